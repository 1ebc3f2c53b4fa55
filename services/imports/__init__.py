"""Bulk import (批量导入) of a district's spreadsheets: areas, households, people, roles,
partner units and their resources."""

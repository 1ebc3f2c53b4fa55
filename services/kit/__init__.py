"""Shared machinery of the service layer, apart from the domains (the clock, ...)."""

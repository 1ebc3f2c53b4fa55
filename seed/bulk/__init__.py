"""Benchmark data sets bulk-loaded with raw SQL, next to seed/scale.py: the one place outside
services/models that knows the tables' columns. bench/ drives and times the runs and imports
its data sets from here; like the rest of seed, nothing here imports api or schema."""

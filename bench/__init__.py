"""Load benchmark: the real GraphQL server against a hand-written Starlette ceiling.

`python -m bench` (or `make bench`); see bench/README.md.
"""

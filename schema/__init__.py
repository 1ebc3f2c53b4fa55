"""The GraphQL layer: one package per domain, the machinery they share in `schema.core`, and the
schema built from them in `schema.build` (the app builds its own from its settings; `python -m
schema` prints the default one). Importing a module here builds nothing."""

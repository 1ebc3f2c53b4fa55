"""HTTP composition root: the Starlette app, its lifespan and the command line."""

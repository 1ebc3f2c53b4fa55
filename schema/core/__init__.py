"""Shared machinery of the GraphQL layer, apart from the domains: the request context, errors,
global ids, pagination, loaders, the limits checked before execution (depth, aliases, tokens,
ids, cost, throttle), the executor, live subscriptions, node lookup, scalars and argument types.
Nothing here imports a domain's GraphQL module (an import contract checks it)."""

"""Shared machinery of the service layer, apart from the domains: the database (db, dbengines,
backups, health), settings, the clock and the calendar, area paths, the actor and its scope
checks (auth), pagination, idempotency, retries, events and their relay, live watches, the job
runner, search text. Nothing here imports a domain (an import contract checks it); what spans
several domains is composed in api/."""

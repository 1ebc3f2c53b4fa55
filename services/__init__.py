"""Domain logic and persistence: one module per domain, models under services/models."""

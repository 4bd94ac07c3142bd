"""The durable queue: procrastinate on the same PostgreSQL, tasks whose payload is an id."""

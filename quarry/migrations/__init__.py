"""Alembic migrations, applied on start by `quarry serve` and by `quarry db upgrade`."""

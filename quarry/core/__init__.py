"""Shared machinery: configuration, database, errors, ids, time."""

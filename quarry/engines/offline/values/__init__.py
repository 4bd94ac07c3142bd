"""Typed readers: the words after a label → a typed value and the words it came from."""

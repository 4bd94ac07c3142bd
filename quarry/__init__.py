"""Quarry: self-hosted document extraction that follows your schema."""

__version__ = "0.1.0"

"""The built-in offline engine (no network, no model weights)."""

from quarry.engines.offline.engine import OfflineEngine

__all__ = ["OfflineEngine"]

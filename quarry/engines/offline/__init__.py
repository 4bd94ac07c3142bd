"""engines/offline."""

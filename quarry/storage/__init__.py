"""The blob store: content-addressed bytes (local folder; S3-compatible comes later)."""

"""extraction_schemas."""

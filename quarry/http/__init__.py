"""The HTTP boundary: FastAPI dependencies, error translation, streaming multipart."""

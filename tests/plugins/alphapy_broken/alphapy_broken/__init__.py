"""A test plugin that raises on import."""

"""A test plugin that builds on the hello plugin's table."""

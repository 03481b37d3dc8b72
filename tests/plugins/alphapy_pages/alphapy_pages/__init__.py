"""A test plugin with a dashboard page at every access level."""

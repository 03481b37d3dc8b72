"""A minimal plugin used by the core's own tests."""

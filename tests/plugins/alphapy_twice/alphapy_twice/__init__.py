"""A test plugin whose settings cannot be declared: the core must refuse it."""

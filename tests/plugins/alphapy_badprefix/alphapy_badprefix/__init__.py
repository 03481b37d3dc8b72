"""A test plugin whose migration id lacks the owner prefix: the others must still run."""

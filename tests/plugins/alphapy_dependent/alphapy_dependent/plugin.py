"""Hook implementations of the test plugin ``dependent``."""

from importlib.resources import files

from alphapy import hookimpl


@hookimpl
def register_migrations():
    return files(__package__) / "migrations"

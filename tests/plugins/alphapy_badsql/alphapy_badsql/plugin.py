"""Hook implementations of the test plugin ``badsql``."""

from importlib.resources import files

from alphapy import hookimpl


@hookimpl
def register_migrations():
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register):
    register("motto", "str", default="never", help="a setting that must vanish with the plugin")

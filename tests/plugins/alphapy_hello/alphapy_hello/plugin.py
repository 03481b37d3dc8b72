"""Hook implementations of the test plugin ``hello``."""

from importlib.resources import files

from alphapy import hookimpl


@hookimpl
def register_migrations():
    return files(__package__) / "migrations"


@hookimpl
async def health():
    return {"status": "ok", "greeting": "hello"}

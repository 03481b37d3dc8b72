"""Hook implementations of the test plugin ``hello``."""

from importlib.resources import files

from alphapy import hookimpl


@hookimpl
def register_migrations():
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register):
    register("greeting", "str", default="Hello", max_length=100, help="how the bot greets")
    register("staff_role", "role", help="who may use the staff command")
    register("reward_role", "role", purpose="grant", help="a role the bot gives (for the role rules' tests)")


@hookimpl
def register_cogs(bot):
    from alphapy_hello.cog import HelloCog

    return HelloCog(bot)


@hookimpl
async def health():
    return {"status": "ok", "greeting": "hello"}

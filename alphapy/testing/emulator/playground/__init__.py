"""The playground: the emulator's web client, to use a bot in a browser as any member of
an emulated server, with no Discord account.

Every action goes through the emulator's drivers (the same ones tests use), so the bot
sees real interactions and events. See ``docs/playground.md``.
"""

from .server import DEFAULT_PORT, PORT_VARIABLE, Playground, port_from_env

__all__ = ["DEFAULT_PORT", "PORT_VARIABLE", "Playground", "port_from_env"]

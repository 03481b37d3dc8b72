"""A Discord emulator on loopback for tests, demos and offline runs.

The real, unmodified discord.py client connects to it (REST + gateway); tests build guilds,
drive the bot like a person and assert on what it did::

    async with running_emulator() as emu:
        guild = emu.add_guild("Test")
        alice = guild.add_member("alice")
        async with bare_bot(emu, bot=my_bot):
            result = await emu.slash(alice, "ping")
            assert result.content == "pong"

(``running_emulator`` and ``bare_bot`` are in :mod:`.fixtures`.)

See ``docs/testing-emulator.md``.
"""

from .drivers import EmulatorTimeout
from .emulator import DiscordEmulator
from .errors import DiscordHTTPError
from .interactions import AutocompleteChoice, Interaction, Modal, ModalField
from .limits import Refusal
from .permissions import P, Permission
from .server import RequestRecord
from .spec import SpecViolation
from .state import (
    Application,
    ApplicationCommand,
    Attachment,
    Channel,
    EmulatorState,
    Entitlement,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    User,
)

#: The result type of the drivers, under a name that does not clash with discord.Interaction.
InteractionResult = Interaction

__all__ = [
    "Application",
    "ApplicationCommand",
    "Attachment",
    "AutocompleteChoice",
    "Channel",
    "DiscordEmulator",
    "DiscordHTTPError",
    "EmulatorState",
    "EmulatorTimeout",
    "Entitlement",
    "Guild",
    "Interaction",
    "InteractionResult",
    "Member",
    "Message",
    "Modal",
    "ModalField",
    "Overwrite",
    "P",
    "Permission",
    "Refusal",
    "RequestRecord",
    "Role",
    "SpecViolation",
    "User",
]

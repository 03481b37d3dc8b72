"""Test drivers that read like a person using Discord.

``await emu.slash(alice, "settings set", key="lang", value="fr")`` builds the interaction
Discord would send for the command the bot synced (subcommands, option types and
``resolved`` data taken from that definition), delivers it over the gateway and returns
once the bot has answered, with the answer. ``click``, ``select`` and ``submit_modal`` do the
same for components and modals; ``post``, ``member_join``, ``member_leave`` and
``pass_screening`` make things happen in a guild and wait until the bot has reacted.

A person can only do what Discord lets them do: use a command they can see, click in a
channel they can see, fill a required field. When the bot does not answer in time, the
error says what it did instead (the requests it made meanwhile).

One mixin per resource, composed into :class:`DriversMixin`: :mod:`.commands` (slash,
autocomplete, context menus) with :mod:`.options` (option values and ``resolved`` data),
:mod:`.components` (buttons, selects, modals), :mod:`.messages`, :mod:`.channels`,
:mod:`.members`, :mod:`.entitlements`, and :mod:`.delivery` (sending an interaction and
waiting for the answer). What every driver may use of the emulator is declared in
:mod:`.base`; a driver that uses another's helpers inherits it (commands and components
inherit options and delivery).
"""

from __future__ import annotations

from .channels import ChannelDriver
from .commands import CommandDriver
from .components import ComponentDriver
from .delivery import EmulatorTimeout
from .entitlements import EntitlementDriver
from .members import MemberDriver
from .messages import MessageDriver
from .options import driver_options


class DriversMixin(
    CommandDriver,
    ComponentDriver,
    MessageDriver,
    ChannelDriver,
    MemberDriver,
    EntitlementDriver,
):
    """The person-like drivers of :class:`~alphapy.testing.emulator.emulator.DiscordEmulator`."""


__all__ = ["DriversMixin", "EmulatorTimeout", "driver_options"]

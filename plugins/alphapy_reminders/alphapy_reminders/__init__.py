"""Alphapy reminders: recurring reminders, and one-off events read from announcement embeds.

Modules, one job each: :mod:`.days` (weekday sets), :mod:`.clock` (HH:MM times),
:mod:`.schedule` (the next instant, across daylight-saving changes), :mod:`.embeds`
(events recognised in embeds), :mod:`.render` (the reminder message), :mod:`.delivery`
(sending exactly once), :mod:`.store` (all SQL), :mod:`.cog` and :mod:`.views`
(what people use), :mod:`.plugin` (the hooks), :mod:`.demo` (its chapter of the tour).
"""

__version__ = "0.1.0"

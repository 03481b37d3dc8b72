"""Alphapy reminders: recurring reminders, and one-off events read from announcement embeds.

Modules, one job each:

* :mod:`.days`, :mod:`.clock`: weekday sets and HH:MM times as people write them;
* :mod:`.inputs`: every other ``/reminder`` option, checked before anything is stored;
* :mod:`.schedule`: the next instant, in the guild's wall clock, across daylight saving;
* :mod:`.embeds`: events recognised in announcement embeds (English, Dutch, timestamps);
* :mod:`.render`: the reminder message members see;
* :mod:`.delivery`: sending due reminders exactly once, late or never when stale;
* :mod:`.store`: every SQL statement;
* :mod:`.cog`, :mod:`.views`: the commands, listeners and buttons people use;
* :mod:`.plugin`: the hooks; :mod:`.cli`: operator commands; :mod:`.demo`: its tour chapter.
"""

__version__ = "0.1.0"

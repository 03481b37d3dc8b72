"""Greeter: the worked example plugin of ``docs/plugins.md`` (tested with the core's tests)."""

__version__ = "0.1.0"

"""Alphapy verification: members prove a payment with a screenshot, checked by a vision model
and staff, in a private channel; nothing sensitive is kept."""

__version__ = "0.1.0"

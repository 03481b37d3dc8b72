"""Onboarding for new members: the server's rules, its questions, two personalization
steps and the roles that follow, one step at a time and resumable after any restart."""

__version__ = "0.1.0"

"""The FAQ plugin: a knowledge base per server (plus global entries), searched in
PostgreSQL full text with typo tolerance, with search analytics for staff and FAQ
proposals drawn from closed tickets' summaries."""

__version__ = "0.1.0"

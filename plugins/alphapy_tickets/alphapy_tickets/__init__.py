"""Support tickets for Alphapy: private channels, a guarded life cycle, transcripts, summaries, metrics."""

__version__ = "0.1.0"

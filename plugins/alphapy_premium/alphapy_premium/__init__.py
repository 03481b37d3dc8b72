"""Premium for Alphapy: who has it where, from the billing service, the local table or Discord."""

__version__ = "0.1.0"

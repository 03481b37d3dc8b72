"""The verification chapter of ``alphapy demo`` (filled in below)."""

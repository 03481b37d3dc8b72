"""The dashboard's pages; each module adds its routes with ``routes()``."""

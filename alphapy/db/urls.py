"""Small helpers for PostgreSQL connection URLs, shared by every driver we use."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """The URL with its password replaced, safe to print and log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def database_name(url: str) -> str:
    """The database a URL names (``postgres`` when it names none, as libpq does)."""
    path = urlsplit(url).path.lstrip("/")
    return path or "postgres"


def yoyo_url(url: str) -> str:
    """yoyo-migrations needs the driver in the scheme: psycopg 3 is ``postgresql+psycopg``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


def describe_server(url: str) -> str:
    """``host:port/db`` or ``socket-dir/db`` for error messages."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = parts.hostname or query.get("host") or "localhost"
    port = parts.port or query.get("port") or 5432
    where = host if host.startswith("/") else f"{host}:{port}"
    return f"{where}/{database_name(url)}"


def with_query(url: str, **params: str) -> str:
    """Add or replace query parameters (``host=`` for a unix socket directory)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))

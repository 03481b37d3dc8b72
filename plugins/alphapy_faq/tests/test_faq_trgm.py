"""pg_trgm where the server has it: detected and created at start, used for "did you mean".

The embedded server has no contrib extensions, so this module starts a throw-away
cluster of the machine's own PostgreSQL (Debian's, with contrib) on a unix socket in a
temporary folder, and skips when there is none. The other test files prove the plugin
without the extension.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alphapy_faq import entries, plugin, search, store
from alphapy_faq.entries import Draft

from alphapy import Database, PluginManager
from alphapy.testing import TestDatabaseServer

GUILD = 444_444_444_444_444_444


def _system_postgres() -> Path | None:
    """The bin folder of an installed PostgreSQL that ships pg_trgm."""
    for lib in sorted(glob.glob("/usr/lib/postgresql/*/lib/pg_trgm.so"), reverse=True):
        bindir = Path(lib).parent.parent / "bin"
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


def _as_owner(owner: str | None, *argv: str) -> list[str]:
    return ["runuser", "-u", owner, "--", *argv] if owner else list(argv)


@pytest.fixture(scope="module")
def trgm_server() -> Iterator[TestDatabaseServer]:
    bindir = _system_postgres()
    if bindir is None:
        pytest.skip("no system PostgreSQL with pg_trgm installed")
    owner = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            owner = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root without a postgres user")
    folder = Path(tempfile.mkdtemp(prefix="alphapy-faq-trgm-"))
    if owner:
        shutil.chown(folder, owner)
    data = folder / "data"
    run: dict[str, Any] = {"capture_output": True, "timeout": 120}
    subprocess.run(_as_owner(owner, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                             "--no-sync"), check=True, **run)
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_owner(owner, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                             str(folder / "log"), "start"), check=True, **run)
    server = TestDatabaseServer(f"postgresql://postgres@/postgres?host={folder}")
    try:
        yield server
    finally:
        server.close()
        subprocess.run(_as_owner(owner, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
                       check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def trgm_db(trgm_server: TestDatabaseServer) -> Any:
    manager = PluginManager()
    manager.register(plugin, "faq")
    url = trgm_server.migrated_database(manager.migration_sources())
    database = Database(url, min_size=1, max_size=2, tracker_size=1)
    await database.open()
    try:
        yield database
    finally:
        await database.close()
        trgm_server.drop_database(url)


async def test_the_migration_needs_no_extension_and_start_up_adds_it(trgm_db) -> None:
    async with trgm_db.acquire() as conn:
        assert await store.pg_trgm_available(conn)
        assert not await store.pg_trgm_installed(conn)  # the migration did not create it
    assert await search.prepare_trigram(trgm_db) is True
    assert await search.prepare_trigram(trgm_db) is True  # a second process starting: nothing to do
    async with trgm_db.acquire() as conn:
        assert await store.pg_trgm_installed(conn) and await store.trigram_index_exists(conn)


async def test_without_the_right_to_create_it_the_search_does_without(trgm_db) -> None:
    async with trgm_db.acquire() as conn:
        await conn.execute("CREATE ROLE faq_reader LOGIN")
        await conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO faq_reader")
        await conn.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO faq_reader")
    url = trgm_db.url.replace("postgres@", "faq_reader@", 1)
    try:
        async with Database(url, min_size=1, max_size=1, tracker_size=1) as plain:
            assert await search.prepare_trigram(plain) is False
    finally:
        async with trgm_db.acquire() as conn:
            await conn.execute("REASSIGN OWNED BY faq_reader TO postgres")
            await conn.execute("DROP OWNED BY faq_reader")
            await conn.execute("DROP ROLE faq_reader")


async def test_trigrams_widen_did_you_mean(trgm_db) -> None:
    assert await search.prepare_trigram(trgm_db)
    async with trgm_db.acquire() as conn:
        await entries.add(conn, None, Draft.parse("Two-factor authentication", "Use an authenticator app.", "2fa"),
                          by=None)
        await entries.add(conn, GUILD + 1, Draft.parse("Configuration", "Theirs.", ""), by=None)
        typo = "authentifikation"  # three edits from "authentication": too far to apply, close enough to offer
        plain = await search.search(conn, GUILD, typo, search.Options(trigram=False))
        widened = await search.search(conn, GUILD, typo, search.Options(trigram=True))
        elsewhere = await search.search(conn, GUILD, "configuratoin", search.Options(trigram=True))
    assert plain.hits == [] and plain.suggestions == []
    assert widened.hits == [] and widened.suggestions == ["authentication"]
    assert elsewhere.suggestions == []  # another guild's words are never offered


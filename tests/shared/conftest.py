"""Fixtures for shared mode: one real PostgreSQL cluster per test process, a fresh database per test.

The cluster is Debian's PostgreSQL started in a temporary directory (``kizuna.shared.devcluster``),
as the ``postgres`` user when the tests run as root. Without PostgreSQL these tests skip with a
clear message; with ``KIZUNA_REQUIRE_POSTGRES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    from kizuna.shared import devcluster, pg

    if devcluster.pg_bin() is None:
        msg = "PostgreSQL's server programs are not installed (apt-get install postgresql): shared-mode tests need them"
        if os.environ.get("KIZUNA_REQUIRE_POSTGRES"):
            pytest.fail(msg)
        pytest.skip(msg)
    cluster = devcluster.start_cluster()
    # One migrated template: each test's database is a copy of it (CREATE DATABASE ... TEMPLATE).
    with pg.connect(cluster.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE kizuna_template")
    pg.migrate(cluster.url("kizuna_template"))
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster) -> Iterator[str]:
    """A new, migrated database on the test cluster; the URL connects as the superuser (the owner)."""
    from kizuna.shared import pg

    name = "t_" + uuid.uuid4().hex[:12]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    yield pg_cluster.url(name)
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

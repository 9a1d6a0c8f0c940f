"""Requests that arrive together are authenticated by one statement (kizuna.web.shared_app.AuthBatch),
and each credential is still read by a statement that started after its request arrived: batching
shares round trips, never an answer read before a revocation."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

import pytest

from kizuna.errors import KizunaError, Where
from kizuna.shared import accounts
from kizuna.web.shared_app import AuthBatch
from tests.conftest import run_async


class FakeDB:
    """Stands in for the pool: a table of live credentials read by each 'statement'."""

    def __init__(self) -> None:
        self.live: dict[tuple[str, bytes], Any] = {}
        self.statements: list[tuple[list[bytes], list[bytes]]] = []
        self.gate: asyncio.Event | None = None  # when set, a statement waits for it (one in flight)
        self.fail: Exception | None = None

    @asynccontextmanager
    async def aconnection(self):
        yield self


@pytest.fixture
def db(monkeypatch) -> FakeDB:
    fake = FakeDB()

    async def principals(con: FakeDB, tokens: list[bytes], sessions: list[bytes]):
        con.statements.append((tokens, sessions))
        snapshot = dict(con.live)  # what the statement sees: the table as it started
        if con.gate is not None:
            await con.gate.wait()
        if con.fail is not None:
            raise con.fail
        wanted = [("token", t) for t in tokens] + [("session", s) for s in sessions]
        return {k: snapshot[k] for k in wanted if k in snapshot}

    monkeypatch.setattr(accounts, "principals_async", principals)
    return fake


def test_requests_arriving_together_share_one_statement_and_each_gets_its_own_answer(db):
    db.live = {("token", b"a"): ("alice", None), ("session", b"s"): ("sam", "csrf")}

    async def run():
        batch = AuthBatch(db, in_flight=1)  # type: ignore[arg-type]
        asks = [("token", b"a"), ("session", b"s"), ("token", b"unknown")] * 20
        return await asyncio.gather(*(batch.lookup(kind, digest) for kind, digest in asks))

    answers = run_async(run())
    assert len(db.statements) == 1
    tokens, sessions = db.statements[0]
    assert sorted(tokens) == [b"a", b"unknown"] and sessions == [b"s"]  # each credential once
    assert answers[:3] == [("alice", None), ("sam", "csrf"), None] and answers == answers[:3] * 20


def test_a_request_arriving_during_a_statement_waits_for_the_next_one_and_sees_a_revocation(db):
    db.live = {("token", b"a"): ("alice", None)}

    async def run():
        batch = AuthBatch(db, in_flight=1)  # type: ignore[arg-type]
        db.gate = asyncio.Event()
        first = asyncio.ensure_future(batch.lookup("token", b"a"))
        await asyncio.sleep(0.01)  # the first statement is under way
        del db.live[("token", b"a")]  # the token is revoked and committed now
        second = asyncio.ensure_future(batch.lookup("token", b"a"))
        await asyncio.sleep(0.01)
        db.gate.set()
        return await first, await second

    before, after = run_async(run())
    assert before == ("alice", None)  # its statement started before the revocation
    assert after is None  # refused: read by a statement that started after its request
    assert len(db.statements) == 2


def test_a_database_failure_reaches_every_waiting_request_and_the_next_ones_try_again(db):
    db.live = {("token", b"a"): ("alice", None)}
    down = KizunaError("db.unavailable", "the database cannot be reached", Where(), status=503)

    async def run():
        batch = AuthBatch(db, in_flight=2)  # type: ignore[arg-type]
        db.fail = down
        failed = await asyncio.gather(*(batch.lookup("token", b"a") for _ in range(5)), return_exceptions=True)
        db.fail = None
        return failed, await batch.lookup("token", b"a"), batch.running

    failed, later, running = run_async(run())
    assert all(isinstance(f, KizunaError) and f.code == "db.unavailable" for f in failed)
    assert later == ("alice", None) and running == 0

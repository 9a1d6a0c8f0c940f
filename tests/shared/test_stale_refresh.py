"""Stale reads: how often a shared server starts a new analytical copy while others keep writing.

Each new copy costs the server its warming and cold caches, so from one copy at most one build starts
every ``refresh_s`` seconds — whichever organisation reading it asks. In process, no PostgreSQL: the
copies' picking logic alone, with the background build recorded instead of run.
"""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.shared.accounts import Principal
from kizuna.web.shared_app import Copies


def who(org: int) -> Principal:
    return Principal(org, f"u{org}@x.org", org, f"org{org}", "viewer", data_version=1)


@pytest.fixture
def copies(tmp_path, monkeypatch) -> tuple[Copies, list[tuple[int, str]], list[float]]:
    clock = [1000.0]
    monkeypatch.setattr("kizuna.web.shared_app.time.monotonic", lambda: clock[0])
    c = Copies(db=None, directory=tmp_path, stale_reads=True, refresh_s=5.0)  # type: ignore[arg-type]
    started: list[tuple[int, str]] = []
    c._refresh = lambda p, key: started.append((p.org_id, key))  # type: ignore[method-assign]
    return c, started, clock


def finish(c: Copies, key: str, seen: frozenset[tuple[int, bool]], orgs: list[int]) -> None:
    """What a background build does when it ends: the copy opens and the organisations read it."""
    c._register(key, object(), seen)  # type: ignore[arg-type]
    c._building.discard(key)
    for org in orgs:
        c._building_for.discard(org)
        c._latest[org] = (key, seen)


def ids(*pairs: int | tuple[int, bool]) -> frozenset[tuple[int, bool]]:
    return frozenset(p if isinstance(p, tuple) else (p, False) for p in pairs)


def test_organisations_sharing_a_copy_start_at_most_one_build_per_pause_between_them(copies):
    c, started, clock = copies
    c.kept = 10
    orgs = [1, 2, 3]
    s0, s1, s2 = (
        frozenset({(1, False)}),
        frozenset({(1, False), (2, False)}),
        frozenset({(i, False) for i in (1, 2, 3)}),
    )
    finish(c, "K0", s0, orgs)

    view: Any = c._pick(who(1), "K1", s1)  # an upload: organisation 1 reads first, its build starts
    assert view[1] is True and view[2] == "K0"  # stale, from the copy it had
    assert started == [(1, "K1")]
    for org in orgs[1:]:
        assert c._pick(who(org), "K1", s1)[2] == "K0"  # the same build serves them: none started
    assert len(started) == 1

    clock[0] += 1.0
    finish(c, "K1", s1, orgs)  # built in a second
    clock[0] += 0.5
    for org in orgs:  # another upload: every organisation reads K1, stale, and none starts a build yet
        assert c._pick(who(org), "K2", s2)[2] == "K1"
    assert started == [(1, "K1")]

    clock[0] += 4.0  # 5.5 s after K1's build started: the next read starts the newest
    assert c._pick(who(2), "K2", s2)[2] == "K1"
    assert started == [(1, "K1"), (2, "K2")]


def test_an_organisation_with_a_copy_of_its_own_is_not_held_by_the_others_pause(copies):
    c, started, clock = copies
    shared, own = frozenset({(1, False)}), frozenset({(1, False), (9, True)})
    finish(c, "A0", shared, [1, 2])
    finish(c, "B0", own, [3])
    c._pick(who(1), "A1", shared | {(2, False)})
    c._pick(who(3), "B1", own | {(2, False)})
    assert started == [(1, "A1"), (3, "B1")]


def test_a_copy_the_server_no_longer_keeps_forgets_its_pause(copies):
    c, _started, _clock = copies
    c.kept = 1
    for i, key in enumerate(("K0", "K1", "K2")):
        c._started[key] = float(i)
        c._register(key, object(), ids(i))  # type: ignore[arg-type]
    assert set(c._started) == set(c._apps) == set(c._seen) == {"K2"}


def test_an_organisation_reads_a_newer_copy_another_brought_in_when_it_holds_only_what_it_may_read(copies):
    c, started, _clock = copies
    finish(c, "K0", ids(1), [1, 2])
    finish(c, "K1", ids(1, 2), [1])  # organisation 1's read brought in the upload of import 2
    view: Any = c._pick(who(2), "K2", ids(1, 2, 3))  # organisation 2, after import 3 too
    assert view[1] is True and view[2] == "K1"  # the newer copy, not its own K0
    assert c._latest[2][0] == "K1"  # kept while it reads it
    assert started == [(2, "K2")]


def test_a_copy_with_anything_an_organisation_may_not_read_is_never_its_stale_copy(copies):
    c, _started, _clock = copies
    finish(c, "MINE", ids(1), [2])
    finish(c, "PRIVATE", ids(1, 7), [1])  # holds organisation 1's private import 7
    finish(c, "PERSONS", ids(1, (8, True)), [3])  # organisation 3's own person-level rows in import 8
    assert c._pick(who(2), "NEW", ids(1, 8, 9))[2] == "MINE"  # 2 reads import 8 without persons, not 7


def test_after_a_withdrawal_no_copy_answers_stale_not_even_an_older_one(copies):
    c, started, _clock = copies
    finish(c, "OLD", ids(1), [2])
    finish(c, "K1", ids(1, 2), [2])
    assert c._pick(who(2), "K2", ids(1)) is None  # import 2 withdrawn: the read waits for a fresh copy
    assert started == []


@pytest.mark.parametrize("ended", ["cancelled", "broken"])
def test_a_build_whose_child_process_ends_is_one_quiet_line_and_the_next_read_tries_again(tmp_path, caplog, ended):
    """A server stopping ends its copy child under a background build: not an error with a traceback."""
    import concurrent.futures
    import logging
    from concurrent.futures.process import BrokenProcessPool

    c = Copies(db=None, directory=tmp_path, stale_reads=True)  # type: ignore[arg-type]
    exc = concurrent.futures.CancelledError() if ended == "cancelled" else BrokenProcessPool("terminated")

    def build(_who: Principal) -> Any:
        raise exc

    c._build = build  # type: ignore[method-assign]
    c._building.add("K1")
    c._building_for.add(1)
    with caplog.at_level(logging.INFO, logger="kizuna.web.shared"):
        c._refresh(who(1), "K1")
    assert [(r.levelno, r.exc_info) for r in caplog.records] == [(logging.INFO, None)]
    assert not c._building and not c._building_for  # the next read may start a build


def test_a_copy_brought_in_later_is_found_by_an_organisation_already_reading_stale(copies):
    c, _started, _clock = copies
    finish(c, "K0", ids(1), [1, 2])
    assert c._pick(who(2), "NEW", ids(1, 2, 3))[2] == "K0"
    finish(c, "K1", ids(1, 2), [1])  # organisation 1's newer copy opens
    assert c._pick(who(2), "NEW", ids(1, 2, 3))[2] == "K1"

"""A long-running shared server tunes Python's garbage collector once it is set up: full collections
stopped every request in flight for ~150 ms (docs/benchmarks.md, shared mode)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from kizuna.web import shared_server
from tests.conftest import run_async


def test_tune_gc_freezes_what_is_alive_and_collects_young_objects_less_often():
    # In a child interpreter: tuning changes the whole process, and the test runner's must stay as it is.
    code = textwrap.dedent(
        """
        import gc
        from kizuna.web.shared_app import GC_YOUNG, tune_gc
        before = gc.get_freeze_count()
        tune_gc()
        print(before, gc.get_freeze_count(), gc.get_threshold()[0], GC_YOUNG)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    before, frozen, young, expected = map(int, out)
    assert before == 0 and frozen > 10_000  # the modules and everything set up so far
    assert young == expected > 700  # CPython's default is 700


def test_kizuna_serve_database_runs_with_the_collector_tuned(monkeypatch, tmp_path):
    seen: dict[str, object] = {}

    class App:
        class state:  # noqa: N801 — stands in for the app's state
            @staticmethod
            def close() -> None:
                seen["closed"] = True

    def fake_create(url, **kw):
        seen.update(kw)
        return App()

    monkeypatch.setattr(shared_server, "create_shared_app", fake_create)
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.setdefault("ran", app))
    shared_server.serve_shared("postgresql://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    assert seen["tune_gc"] is True and seen["child_processes"] is True
    assert isinstance(seen["ran"], App) and seen["closed"] is True


def test_the_tuning_happens_at_the_servers_start_and_only_when_asked(monkeypatch):

    from kizuna.web import shared_app

    calls: list[str] = []
    monkeypatch.setattr(shared_app, "tune_gc", lambda: calls.append("tuned"))

    class DB:
        async def aopen(self) -> None:
            calls.append("pool")

        async def aclose(self) -> None:
            calls.append("closed")

    async def start_and_stop(tuned: bool) -> list[str]:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sent: list[str] = []

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message["type"])

        server = shared_app.SharedServer(None, DB(), None, None, gc_tuned=tuned)  # type: ignore[arg-type]
        await server.lifespan(receive, send)
        return sent

    assert run_async(start_and_stop(False)) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["pool", "closed"]
    calls.clear()
    run_async(start_and_stop(True))
    assert calls == ["pool", "tuned", "closed"]

"""Helpers of the records tests: organisations, users' roles and imports in a test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def add_orgs(url: str, *slugs: str) -> dict[str, int]:
    """Organisations by slug (as the owner role), with their ids."""
    from kizuna.shared import pg

    out = {}
    with pg.connect(url) as con:
        for slug in slugs:
            out[slug] = con.execute(
                "INSERT INTO orgs (slug, name) VALUES (%s, %s) RETURNING org_id", [slug, slug.upper()]
            ).fetchone()["org_id"]
        con.commit()
    return out


def new_import(
    con: Any,
    org_id: int,
    kind: str,
    path: Path | str,
    *,
    visibility: str = "alliance",
    shared_with: list[int] | None = None,
) -> int:
    """An imports row of ``org_id`` (inside the caller's acting transaction), as the web's upload makes it."""
    from kizuna.workspace import file_sha256

    p = Path(path)
    sha = file_sha256(p) if p.exists() else "0" * 64
    return con.execute(
        "INSERT INTO imports (kind, file_name, sha256, org_id, visibility, shared_with, status)"
        " VALUES (%s, %s, %s, %s, %s, %s, 'running') RETURNING import_id",
        [kind, p.name, sha, org_id, visibility, shared_with or []],
    ).fetchone()["import_id"]


def load(
    url: str,
    org_id: int,
    kind: str,
    path: Path,
    *,
    visibility: str = "alliance",
    shared_with: list[int] | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[int, dict[str, int]]:
    """Insert an import, load ``path`` into it and mark it done, as an editor of ``org_id`` (one transaction)."""
    from kizuna.shared import pg, records

    with pg.connect(url, as_app=True) as con, pg.acting(con, org_id, "editor") as a:
        iid = new_import(a, org_id, kind, path, visibility=visibility, shared_with=shared_with)
        counts = records.load_import(a, import_id=iid, kind=kind, path=path, options=options)
        # as a job ends (kizuna.shared.imports.run_job): the import is done in the same transaction
        a.execute("UPDATE imports SET status = 'done' WHERE import_id = %s", [iid])
    return iid, counts


def pg_counts(url: str) -> dict[str, int]:
    """Rows of every record table, as the owner sees them (no RLS)."""
    from kizuna.shared import pg, records

    with pg.connect(url) as con:
        return {t: con.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"] for t in records.RECORD_TABLES}

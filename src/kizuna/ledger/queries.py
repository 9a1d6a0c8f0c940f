"""Read queries over the ledger, shared by the CLI, the API and reports."""

from __future__ import annotations

from typing import Any

from kizuna.workspace import Workspace


def list_sources(ws: Workspace) -> list[dict[str, Any]]:
    """Every import, newest first, with its provenance."""
    return ws.query(
        "SELECT import_id, kind, file_name, sha256, publisher, version, counts, warnings,"
        " imported_at FROM imports ORDER BY import_id DESC"
    )

"""Fixtures for the coordinate tests: a small builder that writes rows straight into the ledger tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from kizuna.workspace import Workspace


@dataclass
class LedgerBuilder:
    """Insert activities and their parts directly (no reader), for hand-worked analysis cases."""

    ws: Workspace
    n: int = 0
    uids: list[str] = field(default_factory=list)

    def activity(
        self,
        uid: str,
        publisher: str,
        *,
        title: str = "",
        description: str = "",
        start: str | None = "2021-01-01",
        end: str | None = "2022-12-31",
        publisher_name: str | None = None,
        publisher_type: str | None = "10",
        source: str = "iati",
        sectors: list[tuple[str, float | None]] | None = None,
        sector_names: list[str] | None = None,
        locations: list[tuple[str | None, str | None, float | None, float | None]] | None = None,
        country: str | None = "XZ",
        orgs: list[tuple[int, str | None, str | None, str | None]] | None = None,
        flows: list[tuple[str, int, str | None, float]] | None = None,
        counted: bool = True,
        iati_identifier: str | None = None,
        links_to: str | None = None,
    ) -> str:
        con = self.ws.con
        self.n += 1
        con.execute(
            "INSERT INTO activities (activity_uid, iati_identifier, source, import_id, publisher_ref,"
            " publisher_name, publisher_type, title, description, status_code, start_date, end_date)"
            " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, '2', ?, ?)",
            [
                uid,
                iati_identifier or uid.split("|")[-1],
                source,
                publisher,
                publisher_name or publisher,
                publisher_type,
                title,
                description,
                _d(start),
                _d(end),
            ],
        )
        for code, pct in sectors or []:
            con.execute(
                "INSERT INTO activity_sectors VALUES (?, ?, ?, ?, NULL)",
                [uid, "1" if len(code) == 5 else "2", code, pct],
            )
        for name in sector_names or []:
            con.execute("INSERT INTO activity_sectors VALUES (?, '99', ?, NULL, ?)", [uid, name, name])
        for i, (adm1, adm2, lat, lon) in enumerate(locations or []):
            con.execute(
                "INSERT INTO locations (activity_uid, seq, adm1, adm2, lat, lon, country) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [uid, i + 1, adm1, adm2, lat, lon, country],
            )
        if country:
            con.execute("INSERT INTO activity_countries VALUES (?, ?, 100)", [uid, country])
        for i, (role, ref, name, typ) in enumerate(orgs or []):
            con.execute(
                "INSERT INTO participating_orgs VALUES (?, ?, ?, ?, ?, ?, NULL)", [uid, i + 1, role, ref, typ, name]
            )
        for i, (type_code, year, sector, usd) in enumerate(flows or []):
            con.execute(
                "INSERT INTO transactions (activity_uid, seq, type_code, date, value, currency, value_date,"
                " provider_activity_id) VALUES (?, ?, ?, ?, ?, 'USD', ?, ?)",
                [
                    uid,
                    i + 1,
                    type_code,
                    date(year, 6, 30),
                    usd,
                    date(year, 6, 30),
                    links_to if type_code == "1" else None,
                ],
            )
            con.execute(
                "INSERT INTO flows (activity_uid, seq, publisher_ref, type_code, date, year, country,"
                " country_source, sector_vocabulary, sector, sector3, sector_source, share, value, currency,"
                " usd, fx_rate, fx_date, counted) VALUES (?, ?, ?, ?, ?, ?, ?, 'activity', ?, ?, ?, 'activity',"
                " 1.0, ?, 'USD', ?, 1.0, ?, ?)",
                [
                    uid,
                    i + 1,
                    publisher,
                    type_code,
                    date(year, 6, 30),
                    year,
                    country,
                    None if sector is None else ("1" if len(sector) == 5 else "2"),
                    sector,
                    None if sector is None else sector[:3],
                    usd,
                    usd,
                    date(year, 6, 30),
                    counted,
                ],
            )
        self.uids.append(uid)
        return uid


def _d(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


@pytest.fixture
def builder(ws) -> LedgerBuilder:
    return LedgerBuilder(ws)


def rows(df: Any) -> list[dict[str, Any]]:
    return df.to_dicts()


@pytest.fixture(scope="session")
def cli_registered():
    """The coordinate commands on the real `kizuna` app (the lead adds this line to cli.py on merge)."""
    from kizuna.cli import app
    from kizuna.coordinate.commands import register

    if not any(getattr(c, "name", None) == "who" for c in app.registered_commands):
        register(app)
    return app

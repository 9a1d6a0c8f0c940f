"""A small hand-made workspace: three allies in the fictional Republic of Kaltara (synthetic).

Small enough that each test can state the expected figures with the arithmetic shown.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from kizuna.workspace import open_workspace

# (uid, publisher_ref, publisher_name, title, sector, [(adm1, lat, lon)], committed USD, spent USD)
ACTIVITIES = [
    (
        "SYN-A|SYN-A-1",
        "SYN-A",
        "Synthetic — Agency Alpha",
        "[SYNTHETIC] Community dialogue in Northmarch",
        "15220",
        [("XZ01", 9.6, 29.4)],
        100_000.0,
        60_000.0,
    ),
    (
        "SYN-A|SYN-A-2",
        "SYN-A",
        "Synthetic — Agency Alpha",
        "[SYNTHETIC] Water points in Eastvale",
        "14030",
        [("XZ02", 9.2, 31.4), ("XZ02", 9.55, 31.75)],
        50_000.0,
        50_000.0,
    ),
    (
        "SYN-B|SYN-B-1",
        "SYN-B",
        "Synthetic — Agency Beta",
        "[SYNTHETIC] Reintegration support in Northmarch",
        "15240",
        [("XZ01", 9.25, 29.05)],
        200_000.0,
        20_000.0,
    ),
    (
        "SYN-C|SYN-C-1",
        "SYN-C",
        "Synthetic — Agency Gamma",
        '=HYPERLINK("http://x") [SYNTHETIC] Riverlands radio',
        "15220",
        [("XZ03", 8.0, 30.0)],
        10_000.0,
        0.0,
    ),
]


def build_fixture(path: Path) -> Path:
    """Create the workspace at ``path`` with the rows above; return ``path``."""
    ws = open_workspace(path)
    with ws.transaction() as con:
        iid = ws.record_import(
            con,
            kind="iati",
            path=Path("synthetic-kaltara.xml"),
            sha256="0" * 64,
            publisher="Synthetic — Agency Alpha",
            counts={"activities": 4},
        )
        for n, (uid, pref, pname, title, sector, locs, committed, spent) in enumerate(ACTIVITIES, start=1):
            ident = uid.split("|", 1)[1]
            con.execute(
                "INSERT INTO activities (activity_uid, iati_identifier, source, import_id, line,"
                " publisher_ref,"
                " publisher_name, title, status_code, start_date, end_date) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    uid,
                    ident,
                    "iati",
                    iid,
                    n * 10,
                    pref,
                    pname,
                    title,
                    "2",
                    date(2025, 1, n),
                    date(2027, 6, 30),
                ],
            )
            con.execute("INSERT INTO activity_countries VALUES (?, 'XZ', 100)", [uid])
            con.execute("INSERT INTO activity_sectors VALUES (?, '1', ?, 100, NULL)", [uid, sector])
            for seq, (adm1, lat, lon) in enumerate(locs, start=1):
                con.execute(
                    "INSERT INTO locations (activity_uid, seq, name, lat, lon, adm1, country)"
                    " VALUES (?,?,?,?,?,?,'XZ')",
                    [uid, seq, f"Site {n}.{seq}", lat, lon, adm1],
                )
            for seq, (type_code, value) in enumerate([("2", committed), ("3", spent)], start=1):
                con.execute(
                    "INSERT INTO transactions (activity_uid, seq, type_code, date, value, currency)"
                    " VALUES (?,?,?,?,?, 'USD')",
                    [uid, seq, type_code, date(2025, 3, 1), value],
                )
                con.execute(
                    "INSERT INTO flows (activity_uid, seq, publisher_ref, type_code, date, year, country,"
                    " country_source, sector_vocabulary, sector, sector3, sector_source, share, value,"
                    " currency,"
                    " usd, fx_rate, fx_date, counted)"
                    " VALUES (?,?,?,?,?,2025,'XZ','activity','1',?,?,'activity',"
                    " 1.0, ?, 'USD', ?, 1.0, ?, TRUE)",
                    [
                        uid,
                        seq,
                        pref,
                        type_code,
                        date(2025, 3, 1),
                        sector,
                        sector[:3],
                        value,
                        value,
                        date(2025, 3, 1),
                    ],
                )
        # kizuna.coordinate's ally rules: SYN-A -> Ally A, SYN-B -> Ally B; SYN-C matches none (Other)
        con.execute(
            "INSERT INTO coordinate_ally_rules VALUES ('SYN-A', 'Ally A', 'user', NULL),"
            " ('SYN-B', 'Ally B', 'user', NULL)"
        )
        con.execute(
            "UPDATE imports SET imported_at = ?, warnings = ? WHERE import_id = ?",
            [datetime(2026, 1, 2, 3, 4, 5), json.dumps({}), iid],
        )
    ws.close()
    return path

"""Organisation keys never lose non-ASCII characters (issue 12): two 3W organisations whose names are
only Japanese stay two organisations, from ingest to the presence views; ASCII names keep the keys
they always had."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from kizuna import i18n
from kizuna.ledger.ingest import ingest_file
from kizuna.reference.orgs import name_slug

JVC = "日本国際ボランティアセンター"
PWJ = "ピースウィンズ・ジャパン"


def _sheet(tmp_path):
    path = tmp_path / "3w-ja.csv"
    path.write_text(
        "#org,#sector,#country+code,#adm1+code\n"
        f"{JVC},Health,SS,SS01\n"
        f"{PWJ},Health,SS,SS01\n"
        f"{PWJ},Education,SS,SS02\n",
        encoding="utf-8",
    )
    return path


def test_two_japanese_only_organisations_stay_two_through_ingest(ws, tmp_path):
    ingest_file(ws, _sheet(tmp_path))
    got = dict(ws.con.execute("SELECT publisher_ref, count(*) FROM activities GROUP BY 1").fetchall())
    assert got == {f"3W:{JVC}": 1, "3W:ピースウィンズ-ジャパン": 2}


def test_two_japanese_only_organisations_stay_two_in_the_presence_views(ws, tmp_path):
    from kizuna.coordinate.load import load_ledger
    from kizuna.coordinate.presence import presence
    from kizuna.web import queries as web_queries

    ingest_file(ws, _sheet(tmp_path))
    for lang in ("en", "ja"):
        with i18n.use(lang):
            lf = load_ledger(ws)
            by_org = presence(lf, by="org", admin_level="country")
            orgs = dict(by_org.group_by("org_key").agg(pl.col("n_activities").sum()).iter_rows())
            assert orgs == {f"3W:{JVC}": 1, "3W:ピースウィンズ-ジャパン": 2}
            assert set(by_org.get_column("org_name")) == {JVC, PWJ}  # names as the sheet wrote them
            web = {(r["publisher_ref"], r["publisher_name"]) for r in web_queries.presence(ws)}
            assert web == {(f"3W:{JVC}", JVC), ("3W:ピースウィンズ-ジャパン", PWJ)}


def _old_slug(name: str) -> str:
    """The 3W key rule before keys kept every script (commit 4980e71^: lower case, [^0-9a-z]+ -> space)."""
    return re.sub(r"[^0-9a-z]+", " ", name.lower()).strip().replace(" ", "-")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40))
def test_ascii_names_keep_the_keys_they_always_had(name):
    if _old_slug(name):  # a name of punctuation only had the empty key "3W:", the bug being fixed
        assert name_slug(name) == _old_slug(name)


def test_keys_of_names_that_differ_only_in_non_ascii_letters_differ():
    assert name_slug(JVC) != name_slug(PWJ)
    assert name_slug("Ａｓｓｏｃｉａｔｉｏｎ ÉCOLE") == name_slug("association école")  # NFKC + casefold
    assert name_slug("Ассоциация") == "ассоциация"
    assert name_slug("★") != name_slug("☆") and name_slug("★")  # symbols only: still a key of its own

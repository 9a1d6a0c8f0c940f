"""Two languages, one catalogue: the catalogue is complete, the language is chosen the documented way,
and numbers, money and dates follow the locale."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n.catalogue_check import messages, missing


def test_every_message_id_in_the_sources_has_a_japanese_translation():
    gaps = missing("ja")
    assert not gaps, "untranslated (run python -m kizuna.i18n.catalogue_check): " + "; ".join(
        f"{f}:{line} {m!r}" for m, f, line in gaps[:20]
    )


def test_the_extractor_sees_python_and_template_messages():
    found = {(m, f.split("/")[-1]) for m, f, _ in messages()}
    assert ("Overview", "render.py") in found  # N_ in Python
    assert ("Skip to content", "base.html") in found  # _() in a template


@pytest.mark.parametrize(
    "header, expected",
    [
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr, ja;q=0.5", "ja"),
        ("fr, de", None),
        ("ja;q=0, en;q=0.1", "en"),
        ("", None),
        ("EN_gb", "en"),
    ],
)
def test_accept_language_picks_the_best_supported_language(header, expected):
    assert i18n.negotiate(header) == expected


def test_formats_follow_the_locale():
    with i18n.use("en"):
        assert i18n.money(41.8e9, compact=True) == "$41.8B"
        assert i18n.number(196.0) == "196"
        assert i18n.number(1234.5) == "1,234"  # whole above 1,000, one column alike
        assert i18n.percent(0.333) == "33%"
        assert i18n.day(date(2026, 12, 1)) == "Dec 1, 2026"
        assert i18n.moment("2026-12-01T10:11:12.123456") == "2026-12-01 10:11"
    with i18n.use("ja"):
        assert i18n.money(41.8e9, compact=True) == "$418億"
        assert i18n.day(date(2026, 12, 1)) == "2026/12/01"
        assert i18n.number(True) == "はい"
        assert i18n.cell(["a", "b"]) == "a、b"


def test_an_error_reads_in_the_language_of_the_moment_with_its_parameters():
    err = KizunaError("cli.bad_lang", "unknown language {lang!r}", Where(field="--lang"), hint="use en or ja",
                      params={"lang": "xx"})
    assert err.to_dict()["error"]["message"] == "unknown language 'xx'"
    with i18n.use("ja"):
        d = err.to_dict()["error"]
        assert d["message"] == "不明な言語です：'xx'" and d["hint"] == "en または ja を指定してください"
        assert err.one_line().startswith("error[cli.bad_lang]: フィールド「--lang」")
    # a message without params is used as given, braces and all
    assert KizunaError("x", "a {literal} brace").text() == "a {literal} brace"


def _cli(*args: str, env_lang: str | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "KIZUNA_LANG"}
    if env_lang:
        env["KIZUNA_LANG"] = env_lang
    return subprocess.run([sys.executable, "-m", "kizuna", *args], capture_output=True, text=True, env=env)


def test_the_cli_takes_lang_and_kizuna_lang_and_refuses_an_unknown_language():
    bad = _cli("--lang", "xx", "--version")
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error[cli.bad_lang]: field '--lang': unknown language 'xx' (hint: use en or ja)"
    )
    ja = _cli("--lang", "xx", "--version", env_lang="ja")  # the error itself in KIZUNA_LANG's language
    assert "不明な言語です" in ja.stderr
    assert _cli("--lang", "ja", "--version").returncode == 0


def test_a_statement_of_what_the_data_cannot_show_reads_in_the_readers_language():
    from kizuna.coordinate.gaps import MEASURE_LABELS

    n = i18n.note(
        "money_without_location",
        "{share} of the USD {total} of {measure} in {country} is in activities with"
        " no subnational location: it is counted in no area",
        share="40%", total="1,000", measure=MEASURE_LABELS["usd_disbursements"], country="AF", words=("measure",),
    )
    assert n["message"].startswith("40% of the USD 1,000 of disbursements in AF")
    assert i18n.note_text(n) == n["message"]
    with i18n.use("ja"):
        assert i18n.note_text(n) == "AFの支出額（1,000米ドル）のうち40%は地方レベルの所在地がない案件のもので、どの地域にも計上されていません"
    assert i18n.note_text({"code": "x", "message": "plain {text}"}) == "plain {text}"


def test_each_message_id_is_translated_in_one_po_file_only():
    """Two files translating one id would let the file order pick the wording; one id, one home."""
    from babel.messages.pofile import read_po

    homes: dict[str, list[str]] = {}
    for path in sorted((i18n.CATALOGUE_DIR / "ja").glob("*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh, locale="ja"):
                if m.id:
                    homes.setdefault(m.id if isinstance(m.id, str) else m.id[0], []).append(path.name)
    twice = {k: v for k, v in homes.items() if len(v) > 1}
    assert not twice, twice


def test_a_said_note_is_english_text_and_reads_in_the_readers_language():
    import json
    import pickle

    said = i18n.Said("{n} funder/implementer links (the same money reported twice) are not treated as overlaps", n=3)
    assert said == "3 funder/implementer links (the same money reported twice) are not treated as overlaps"
    assert json.loads(json.dumps([said])) == [str(said)] and pickle.loads(pickle.dumps(said)).params == {"n": 3}
    with i18n.use("ja"):
        assert i18n.gettext(said) == "資金提供機関と実施機関のつながり3件（同じ資金の二重報告）は重複として扱っていません"
        assert i18n.translate(said) == i18n.gettext(said)

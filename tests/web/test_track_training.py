"""The /training page and the training datasets of the API (issue 14): on the demo's synthetic course, on a
workspace without courses, and with a course the workspace does not hold."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

DEMO_COURSE = "Kaltara community policing course (synthetic)"


@pytest.fixture(scope="module")
def demo_client(demo_ws: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    app = create_app(demo_ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.store.close()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_four_levels_of_the_demo_course(demo_client) -> None:
    r = demo_client.get("/training")
    assert r.status_code == 200
    text = _text(r.text)
    for words in ("Reaction", "Learning", "Behaviour", "Results", "Difference-in-differences", "Cronbach"):
        assert words in text, words
    assert 'href="/training"' in r.text  # in the navigation
    assert "parallel trends" in text  # the DiD's assumption is said


def test_the_levels_dataset_has_every_level_of_the_demo_course(demo_client) -> None:
    r = demo_client.get("/api/v1/training-levels", params={"course": DEMO_COURSE})
    assert r.status_code == 200
    rows = r.json()["items"]
    assert {row["level"] for row in rows} == {1, 2, 3, 4}
    did = next(row for row in rows if row["measure"] == "results_did")
    assert did["lo"] < did["value"] < did["hi"]


def test_a_session_below_the_minimum_cell_is_withheld_in_the_api(demo_client) -> None:
    rows = demo_client.get("/api/v1/training-sessions", params={"course": DEMO_COURSE}).json()["items"]
    small = next(row for row in rows if row["session"] == "KCP-3")  # 8 participants
    assert small["suppressed"] is True and small["participants"] is None and small["mean_change"] is None


def test_the_page_speaks_japanese(demo_client) -> None:
    r = demo_client.get("/training", params={"lang": "ja"})
    assert r.status_code == 200
    text = _text(r.text)
    for words in ("反応", "学習", "行動", "成果"):
        assert words in text, words


def test_a_course_the_workspace_does_not_hold_is_a_404_naming_the_held_ones(demo_client) -> None:
    r = demo_client.get("/api/v1/training-levels", params={"course": "No such course"})
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "course.absent" and DEMO_COURSE in err["hint"]
    assert demo_client.get("/training", params={"course": "No such course"}).status_code == 404


def test_without_courses_the_page_says_how_to_import_one(client) -> None:
    r = client.get("/training")
    assert r.status_code == 200
    assert "kizuna training import" in _text(r.text)
    assert client.get("/api/v1/training-levels").json()["items"] == []


# Latin tokens a Japanese page may keep: the browser language test's acronyms, plus the statistics' symbols
ALLOWED = {"IATI", "API", "CSV", "XLSX", "JSON", "USD", "Kizuna", "DAC", "3W", "HXL", "P-code", "CI", "SE", "OpenAPI"}
ALLOWED |= {"d_z", "g", "t", "p", "n", "W", "KR-20", "DiD", "Hake", "NAME", "ROSTER.csv", "KEY"}
NUMBER = re.compile(r"^[-+−]?\d[\d,.:/\-]*%?$")


def _ui_text(html: str) -> list[str]:
    """Text a person reads as interface: outside translate="no", code/pre/script/style and other-lang elements."""
    from html.parser import HTMLParser

    skip_tags = {"code", "kbd", "samp", "pre", "script", "style", "noscript", "template"}
    void = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr"}
    out: list[str] = []

    class P(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[bool] = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            exempt = (self.stack and self.stack[-1]) or tag in skip_tags or a.get("translate") == "no"
            exempt = exempt or (a.get("lang") not in (None, "ja") and tag != "html")
            if tag not in void:
                self.stack.append(bool(exempt))

        def handle_endtag(self, tag):
            if tag not in void and self.stack:
                self.stack.pop()

        def handle_data(self, data):
            if not (self.stack and self.stack[-1]) and data.strip():
                out.append(data.strip())

    P().feed(html)
    return out


def test_the_japanese_page_leaves_no_english_interface_text(demo_client) -> None:
    r = demo_client.get("/training", params={"lang": "ja"})
    english = []
    for text in _ui_text(r.text):
        for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text):
            if re.search(r"[A-Za-z]", token) and token not in ALLOWED and not NUMBER.match(token):
                english.append((token, text[:80]))
    assert english == []

"""Find the message ids in the sources and the ones the Japanese catalogue lacks (used by the
catalogue test and by ``python -m kizuna.i18n.catalogue_check``, which prints them with where they are;
``python -m kizuna.i18n.catalogue_check --add src/kizuna/i18n/ja/web.po web/`` appends the missing ids
used under ``web/`` to that PO file, to be translated there).

Extraction is Babel's: Python files with the keywords ``_``, ``N_``, ``gettext``, ``ngettext``, and
Jinja templates with Jinja's own Babel extractor.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from kizuna import i18n

SRC = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "translate": None}


def messages(root: Path = SRC) -> Iterator[tuple[str, str, int]]:
    """Every (message id, file, line) marked for translation under ``root``."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
    for filename, lineno, msg, _comments, _ctx in extract_from_dir(
        str(root), method_map=method_map, options_map=options, keywords=KEYWORDS
    ):
        if filename.startswith("i18n/catalogue_check"):
            continue
        ids = msg if isinstance(msg, tuple) else (msg,)
        if ids and ids[0]:
            yield ids[0], filename, lineno


def missing(lang: str = "ja") -> list[tuple[str, str, int]]:
    """Message ids with no translation in ``lang``'s catalogue, with where each is used."""
    have = i18n.catalogue(lang)
    seen: set[str] = set()
    out = []
    for msgid, filename, line in messages():
        if msgid not in have and msgid not in seen:
            seen.add(msgid)
            out.append((msgid, filename, line))
    return out


def add_missing(po_path: Path, under: str) -> int:
    """Append the untranslated message ids used in files under ``under`` (a path relative to
    ``src/kizuna``, e.g. ``web/``) to ``po_path`` with empty translations, for a translator to fill."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if po_path.exists():
        with po_path.open("rb") as fh:
            cat = read_po(fh, locale="ja")
    else:
        cat = Catalog(locale="ja", project="Kizuna", fuzzy=False)
    before = len(cat)
    for msgid, filename, line in missing():
        if filename.startswith(under) and msgid not in cat:
            cat.add(msgid, "", locations=[(filename, line)])
    n = len(cat) - before
    with po_path.open("wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, sort_output=False)
    return n


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--add":
        n = add_missing(Path(sys.argv[2]), sys.argv[3])
        print(f"{n} message id(s) added to {sys.argv[2]}", file=sys.stderr)  # noqa: T201
        return 0
    gaps = missing()
    for msgid, filename, line in gaps:
        print(f"{filename}:{line}: {msgid!r}")
    print(f"{len(gaps)} message(s) without a Japanese translation", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingest is all-or-nothing, idempotent, and refuses hostile XML without expanding it."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

from kizuna.cli import main
from kizuna.errors import InputError
from kizuna.ledger.iati import IatiReader
from kizuna.ledger.ingest import ingest_file, ingest_paths
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<iati-activities version="2.03"><iati-activity><iati-identifier>X-1</iati-identifier>
<title><narrative>&lol9;</narrative></title></iati-activity></iati-activities>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<iati-activities version="2.03"><iati-activity><iati-identifier>X-1</iati-identifier>
<title><narrative>&xxe;</narrative></title></iati-activity></iati-activities>
"""


def test_importing_the_same_file_twice_changes_no_row(ws):
    path = shared_path("iati", "hhs-southsudan.xml")
    first = ingest_file(ws, path)
    assert first.status == "imported" and first.activities == 13
    before = ws.table_counts()
    again = ingest_file(ws, path)
    assert again.status == "skipped"
    assert ws.table_counts() == before


def test_truncated_file_fails_with_one_line_naming_file_and_line_and_keeps_every_table(ws_path, tmp_path, capsys):
    good = shared_path("iati", "usadf-southsudan.xml")
    assert main(["ingest", str(shared_path("iati", "hhs-southsudan.xml")), "-w", str(ws_path)]) == 0
    data = good.read_bytes()
    cut = tmp_path / "usadf-truncated.xml"
    cut.write_bytes(data[: len(data) // 2])  # mid-element
    with open_workspace(ws_path) as ws:
        before = ws.table_counts()
    capsys.readouterr()
    rc = main(["ingest", str(cut), "-w", str(ws_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1
    assert "usadf-truncated.xml" in err and "line " in err and err.startswith("error[xml.malformed]")
    with open_workspace(ws_path) as ws:
        assert ws.table_counts() == before


@pytest.mark.parametrize("doc,name", [(BILLION_LAUGHS, "lolz.xml"), (EXTERNAL_ENTITY, "xxe.xml")])
def test_hostile_xml_is_refused_without_expansion(ws, tmp_path, doc, name):
    path = tmp_path / name
    path.write_text(doc)
    before = ws.table_counts()
    with pytest.raises(InputError) as ei:
        ingest_paths(ws, [path])
    assert ei.value.code == "xml.doctype"
    assert ei.value.where.line == 2
    assert ws.table_counts() == before


def test_the_parser_itself_does_not_expand_entities_even_past_the_prolog_guard(tmp_path):
    # Defence in depth: run the bare parser settings on the bomb in a child limited to 512 MiB of
    # address space and 10 s of CPU; it must finish without expanding (or fail), never blow up.
    path = tmp_path / "lolz.xml"
    path.write_text(BILLION_LAUGHS)
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (10, 10))
        from lxml import etree
        from kizuna.ledger.iati import _parser_kwargs
        n = 0
        try:
            for _, el in etree.iterparse({str(path)!r}, events=("end",), **_parser_kwargs()):
                n += len(el.text or "")
        except etree.XMLSyntaxError as e:
            print("refused", e)
        print("chars", n)
    """)
    # the child's RLIMIT_CPU bounds it; the timeout only keeps a hung child from hanging the suite
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    chars = int(out.stdout.split("chars")[-1])
    assert chars < 10_000  # 'lol' x 10^9 would be 3 GB


def test_version_1_files_are_read_with_a_clear_warning(tmp_path):
    # Issue 11: 1.0x files are read, their codes mapped (tests/ledger/test_iati_v1.py), not refused.
    path = tmp_path / "old.xml"
    path.write_text(
        '<iati-activities version="1.05"><iati-activity><iati-identifier>A</iati-identifier>'
        "</iati-activity></iati-activities>"
    )
    (act,) = list(IatiReader(path))
    assert [code for code, _ in act.warnings] == ["iati.version_1"]
    assert "IATI 1.05" in act.warnings[0][1]


def test_wrong_encoding_is_a_clear_error(ws, tmp_path):
    path = tmp_path / "latin1.xml"
    path.write_bytes(
        '<?xml version="1.0" encoding="UTF-8"?><iati-activities version="2.03"><iati-activity>'
        "<iati-identifier>A</iati-identifier><title><narrative>caf\xe9</narrative></title>"
        "</iati-activity></iati-activities>".encode("latin-1")
    )
    with pytest.raises(InputError) as ei:
        ingest_paths(ws, [path])
    assert ei.value.code == "xml.malformed" and ei.value.where.line == 1


def test_memory_of_the_reader_is_flat_in_the_number_of_activities(tmp_path):
    # 20,000 activities; the reader frees each one, so the tree never holds them all.
    path = tmp_path / "many.xml"
    with open(path, "w") as fh:
        fh.write('<iati-activities version="2.03">')
        for i in range(20000):
            fh.write(
                f"<iati-activity><iati-identifier>A-{i}</iati-identifier><title><narrative>t {i}"
                '</narrative></title><transaction><transaction-type code="3"/><value value-date='
                '"2020-01-01" currency="USD">1</value></transaction></iati-activity>'
            )
        fh.write("</iati-activities>")
    reader = IatiReader(path)
    it = iter(reader)
    next(it)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = 1 + sum(1 for _ in it)
    assert n == 20000
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    assert grown_kib < 50_000  # well under what 20,000 kept activities would take

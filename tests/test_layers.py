"""The layering of docs/architecture.md, checked on the source text (AST only: nothing is imported).

Three rules, each failing with the module and line that breaks it:

(a) **No import cycles** among ``kizuna`` modules. Every import counts — at module level and inside
    functions alike (a deferred import only hides a cycle until the function runs) — except imports
    under ``if TYPE_CHECKING:``, which never run. ``from kizuna.x import y`` is an edge to
    ``kizuna.x.y`` when that is a module, else to ``kizuna.x``. A package's ``__init__`` is not
    counted as imported by its submodules (Python runs it first either way, and no ``__init__`` here
    imports its submodules).
(b) **Only the storage layer touches a connection.** A module outside ``workspace.py``,
    ``*/store.py``, ``*/queries.py``, ``*_store.py`` and :data:`SQL_ALLOWED` may neither import
    ``duckdb`` nor execute SQL: no ``.execute/.executemany/.sql/.fetch*/.register`` call on
    anything, no ``.query/.scalar`` call on a workspace or connection (``ws``, ``con``, ``x.con``...),
    and no SQL text (a string starting ``SELECT``/``INSERT``/... ) handed to any call.
(c) **Readers only read.** A reader (:data:`READERS`: a module whose job is parsing input) imports no
    store, queries or workspace module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kizuna"

# Modules beyond workspace.py, */store.py, */queries.py and *_store.py that may touch a connection.
SQL_ALLOWED: dict[str, str] = {
    "kizuna.ledger.ingest": "the IATI landing itself: loads Parquet batches into the ledger tables in one transaction",
    "kizuna.ledger.money": "derives the flows table in SQL inside the importer's transaction (the money rules)",
    "kizuna.reference.codelists": "loads the IATI codelists table (reference data, run by workspace migrations)",
    "kizuna.reference.orgs": "loads the shipped organisation registry (its one home; a file helpers may not edit)",
    # shared mode (issue 15): the PostgreSQL side of the storage layer, one module per concern
    "kizuna.shared.pg": "shared mode: connections, migrations and the acting organisation (PostgreSQL)",
    "kizuna.shared.accounts": "shared mode: the accounts tables (users, memberships, tokens, sessions)",
    "kizuna.shared.audit": "shared mode: the append-only audit table",
    "kizuna.shared.records": "shared mode: lands an import's rows in the PostgreSQL record tables (COPY)",
    "kizuna.shared.analytic": "shared mode: reads the visible rows (through RLS) into the analytical DuckDB copy",
    "kizuna.shared.imports": "shared mode: the imports and jobs tables (submit, claim, finish, fail)",
}

# Import cycles known and not yet broken: each entry is the exact set of modules of one cycle, with why.
# (none: the last one, web/render <-> track pages <-> pages, went with kizuna/web/nav.py)
KNOWN_CYCLES: dict[frozenset[str], str] = {}

# Modules whose job is parsing input: they yield rows or batches and never land them.
READERS = frozenset(
    {
        "kizuna.ledger.iati",
        "kizuna.ledger.iati_fast",
        "kizuna.ledger.chunks",
        "kizuna.ledger.threew",
        "kizuna.coordinate.needs",
        "kizuna.geo.readers",
        "kizuna.measure.readers",
        "kizuna.measure.spec",
        "kizuna.sheets",
        "kizuna.screen.context",
        "kizuna.screen.events",
        "kizuna.screen.map_layers",
        "kizuna.screen.proposal",
        "kizuna.screen.rules",
        "kizuna.track.ddr_readers",
        "kizuna.track.training_readers",
        "kizuna.track.indicators",
    }
)

CONNECTION_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "sql",
        "fetchall",
        "fetchone",
        "fetchmany",
        "fetchnumpy",
        "fetchdf",
        "fetch_df",
        "fetch_arrow_table",
        "fetch_record_batch",
    }
)
# Names that also mean something else (an STRtree's query, pyarrow's scalar, a part's register(app)):
# counted only on a receiver that is a workspace or a connection.
WORKSPACE_METHODS = frozenset({"query", "scalar", "register", "unregister", "cursor"})
CONNECTION_NAMES = frozenset({"con", "conn", "connection", "cursor", "cur", "ws", "workspace", "db"})
# SQL text as this code base writes it: an upper-case statement keyword first (prose and messages are lower case)
SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|COPY|ATTACH|PRAGMA|SET|CHECKPOINT)\s")


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(root: Path = SRC) -> dict[str, tuple[Path, ast.Module]]:
    """Every module under ``root``: name -> (path, parsed tree)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        out[module_name(path, root)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the statements under ``if TYPE_CHECKING:`` (they never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for sub in node.body:
                    skip.update(id(n) for n in ast.walk(sub))
    return skip


def imports(module: str, tree: ast.Module, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import that runs (module level or in a function)."""
    skip = _type_checking_nodes(tree)
    package = module if module in known and _is_package(module, known) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in known else base), node.lineno


def _is_package(module: str, known: set[str]) -> bool:
    return any(k.startswith(module + ".") for k in known)


def import_graph(mods: dict[str, tuple[Path, ast.Module]]) -> dict[str, dict[str, int]]:
    """module -> {imported kizuna module: first line}."""
    known = set(mods)
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for m, (_path, tree) in mods.items():
        for target, line in imports(m, tree, known):
            if target in known and target != m:
                graph[m].setdefault(target, line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycle_findings(graph: dict[str, dict[str, int]], known: frozenset[frozenset[str]] = frozenset()) -> list[Finding]:
    """Every import edge inside a cycle, except in the cycles of ``known`` (exact module sets)."""
    out = []
    for comp in cycles(graph):
        members = set(comp)
        if frozenset(members) in known:
            continue
        for m in comp:
            for target, line in sorted(graph[m].items(), key=lambda kv: kv[1]):
                if target in members:
                    out.append(Finding(m, line, f"imports {target}, which imports it back (cycle: {', '.join(comp)})"))
    return out


def storage_module(module: str) -> bool:
    last = module.rpartition(".")[2]
    return module == "kizuna.workspace" or last in {"store", "queries"} or last.endswith("_store")


def _receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _sql_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(SQL_TEXT.match(node.value))
    if isinstance(node, ast.JoinedStr) and node.values:
        return _sql_text(node.values[0])
    return False


def sql_findings(module: str, tree: ast.Module) -> list[Finding]:
    """Where ``module`` imports duckdb or executes SQL (rule b)."""
    out: list[Finding] = []
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and id(node) not in skip:
            out += [Finding(module, node.lineno, "imports duckdb") for a in node.names if a.name.split(".")[0] == "duckdb"]
        elif isinstance(node, ast.ImportFrom) and id(node) not in skip and (node.module or "").split(".")[0] == "duckdb":
            out.append(Finding(module, node.lineno, "imports duckdb"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr in CONNECTION_METHODS:
                    out.append(Finding(module, node.lineno, f"calls .{func.attr}() on a connection"))
                    continue
                if func.attr in WORKSPACE_METHODS and _receiver_name(func.value) in CONNECTION_NAMES:
                    out.append(Finding(module, node.lineno, f"calls {_receiver_name(func.value)}.{func.attr}()"))
                    continue
            if any(_sql_text(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                out.append(Finding(module, node.lineno, "hands SQL text to a call"))
    return sorted(set(out), key=lambda f: (f.line, f.what))


def reader_findings(module: str, tree: ast.Module, known: set[str]) -> list[Finding]:
    """Where reader ``module`` imports a store, queries or workspace module (rule c)."""
    found = {
        Finding(module, line, f"reader imports {target}")
        for target, line in imports(module, tree, known)
        if target.startswith("kizuna.") and storage_module(target)
    }
    return sorted(found, key=lambda f: (f.line, f.what))


# --- the rules over src/kizuna -------------------------------------------------------------------

MODULES = sources()


def test_the_kizuna_modules_import_one_another_without_a_cycle():
    found = cycle_findings(import_graph(MODULES), frozenset(KNOWN_CYCLES))
    assert not found, "import cycles:\n" + "\n".join(map(str, found))


def test_the_known_cycles_are_still_cycles_and_the_named_ones_are_gone():
    now = {frozenset(c) for c in cycles(import_graph(MODULES))}
    for members, reason in KNOWN_CYCLES.items():
        assert members in now, f"{sorted(members)} is no longer a cycle: take it off KNOWN_CYCLES ({reason})"
    graph = import_graph(MODULES)
    # the cycles issue 15 named: the workspace and the modules it loads reference data with; the CLI and its docs
    for a, b in [
        ("kizuna.workspace", "kizuna.ledger.money"),
        ("kizuna.workspace", "kizuna.reference.codelists"),
        ("kizuna.cli_app", "kizuna.clidoc"),
        ("kizuna.cli", "kizuna.clidoc"),
    ]:
        assert not (a in graph[b] and b in graph[a]), f"{a} and {b} import each other"
    assert "kizuna.workspace" not in graph["kizuna.ledger.money"]
    assert "kizuna.workspace" not in graph["kizuna.reference.codelists"]


def test_only_the_storage_layer_touches_a_connection():
    found = [
        f
        for m, (_p, tree) in MODULES.items()
        if not storage_module(m) and m not in SQL_ALLOWED
        for f in sql_findings(m, tree)
    ]
    assert not found, "SQL outside the storage layer (move it into the part's store/queries module):\n" + "\n".join(
        map(str, found)
    )


def test_the_allow_list_names_modules_that_exist_and_still_need_it():
    for m, reason in SQL_ALLOWED.items():
        assert m in MODULES, f"{m} is on SQL_ALLOWED but does not exist"
        assert reason.strip(), f"{m} is on SQL_ALLOWED without a reason"
        assert sql_findings(m, MODULES[m][1]), f"{m} no longer touches a connection: take it off SQL_ALLOWED"


def test_readers_never_import_a_store_or_the_workspace():
    missing = READERS - set(MODULES)
    assert not missing, f"READERS names modules that do not exist: {sorted(missing)}"
    known = set(MODULES)
    found = [f for m in sorted(READERS) for f in reader_findings(m, MODULES[m][1], known)]
    assert not found, "readers that reach the store:\n" + "\n".join(map(str, found))


# --- the rules can fail: synthetic sources --------------------------------------------------------


def _tree(text: str) -> ast.Module:
    return ast.parse(text)


def test_a_cycle_through_a_function_level_import_is_found_with_its_line():
    known = {"kizuna.a", "kizuna.b", "kizuna.c"}
    mods = {
        "kizuna.a": (Path("a.py"), _tree("from kizuna import b\n")),
        "kizuna.b": (Path("b.py"), _tree("def f():\n    from kizuna.a import x\n")),
        "kizuna.c": (Path("c.py"), _tree("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import kizuna.a\n")),
    }
    assert set(mods) == known
    found = cycle_findings(import_graph(mods))
    assert [str(f).split(" (")[0] for f in found] == [
        "kizuna.a:1: imports kizuna.b, which imports it back",
        "kizuna.b:2: imports kizuna.a, which imports it back",
    ]


def test_a_known_cycle_is_left_out_but_a_larger_one_is_not():
    mods = {
        "kizuna.a": (Path("a.py"), _tree("import kizuna.b\n")),
        "kizuna.b": (Path("b.py"), _tree("import kizuna.a\nimport kizuna.c\n")),
        "kizuna.c": (Path("c.py"), _tree("import kizuna.a\n")),
    }
    graph = import_graph(mods)
    assert cycle_findings(graph, frozenset({frozenset({"kizuna.a", "kizuna.b", "kizuna.c"})})) == []
    assert len(cycle_findings(graph, frozenset({frozenset({"kizuna.a", "kizuna.b"})}))) == 4


def test_a_type_checking_import_makes_no_cycle():
    mods = {
        "kizuna.a": (Path("a.py"), _tree("import kizuna.b\n")),
        "kizuna.b": (Path("b.py"), _tree("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import kizuna.a\n")),
    }
    assert cycle_findings(import_graph(mods)) == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("import duckdb\n", "imports duckdb"),
        ("def f(ws):\n    return ws.query('SELECT 1')\n", "calls ws.query()"),
        ("def f(ws):\n    ws.con.execute(x)\n", "calls .execute() on a connection"),
        ("def f(con):\n    return con.scalar(q)\n", "calls con.scalar()"),
        ("def f(store):\n    return store.frame(f'SELECT {x} FROM t')\n", "hands SQL text to a call"),
    ],
)
def test_sql_outside_the_storage_layer_is_found_with_its_line(text, what):
    found = sql_findings("kizuna.part.analysis", _tree(text))
    assert found and str(found[0]) == f"kizuna.part.analysis:{found[0].line}: {what}"
    assert found[0].line == len(text.splitlines())


def test_calls_that_only_look_like_sql_are_not_findings():
    text = "import pyarrow as pa\ntree.query(points)\npa.scalar(None)\ncommands.register(app)\nprint('select a colour')\n"
    assert sql_findings("kizuna.part.analysis", _tree(text)) == []


def test_a_reader_importing_a_store_is_found_with_its_line():
    known = {"kizuna.part.reader", "kizuna.part.store", "kizuna.workspace"}
    text = "import csv\nfrom kizuna.part import store\ndef f():\n    from kizuna.workspace import Workspace\n"
    found = reader_findings("kizuna.part.reader", _tree(text), known)
    assert [str(f) for f in found] == [
        "kizuna.part.reader:2: reader imports kizuna.part.store",
        "kizuna.part.reader:4: reader imports kizuna.workspace",
    ]

"""The CLI reference (docs/cli.md), generated from the command tree itself so it cannot drift."""

from __future__ import annotations

from typing import Any

import typer.main


def _params(cmd: Any) -> list[str]:
    lines = []
    for p in cmd.params:
        if p.param_type_name == "argument":
            name = f"`{p.name.upper()}`"
            kind = "argument" + (" (repeatable)" if p.nargs == -1 else "")
            help_text = (getattr(p, "help", None) or "").replace("|", "\\|")
            lines.append(f"| {name} | {kind}: {help_text} | |")
        elif p.param_type_name == "option" and not getattr(p, "hidden", False) and p.name != "help":
            opts = ", ".join(f"`{o}`" for o in p.opts)
            default = "" if p.default in (None, False) or callable(p.default) else f"`{p.default}`"
            if hasattr(p.default, "value"):
                default = f"`{p.default.value}`"
            help_text = (p.help or "").replace("|", "\\|")
            lines.append(f"| {opts} | {help_text} | {default} |")
    return lines


def _walk(cmd: Any, path: list[str], out: list[str]) -> None:
    # Typer vendors its own click: recognise groups by shape, not by class.
    if getattr(cmd, "commands", None):
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            if sub.hidden:
                continue
            _walk(sub, [*path, name], out)
        return
    out.append(f"## `{' '.join(path)}`\n")
    out.append((cmd.help or "").strip() + "\n")
    rows = _params(cmd)
    if rows:
        out.append("| option | meaning | default |\n|---|---|---|")
        out.extend(rows)
        out.append("")


def cli_reference() -> str:
    """Markdown for every command and option of ``kizuna``."""
    from kizuna.cli_app import app

    root = typer.main.get_command(app)
    out = [
        "# CLI reference\n",
        "Generated from the command tree by `kizuna cli-reference` (a test checks it is current).",
        "Every command that reads a workspace takes `--workspace PATH` (default `./kizuna.duckdb` or",
        "`$KIZUNA_WORKSPACE`). Errors print one line on stderr, `error[code]: where: message (hint: ...)`,",
        "and exit with status 2.\n",
    ]
    _walk(root, ["kizuna"], out)
    return "\n".join(out).rstrip() + "\n"

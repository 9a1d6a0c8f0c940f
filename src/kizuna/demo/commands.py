"""``kizuna demo``: build the synthetic demo workspace, run every analysis, open the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna import i18n
from kizuna.i18n import _


def demo(
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Demo workspace (default kizuna-demo/kizuna.duckdb).")
    ] = None,
    inputs: Annotated[
        Path | None, typer.Option("--inputs", help="Where the synthetic input files go (default kizuna-demo/inputs).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data generator.")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build only; do not start the dashboard.")] = False,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8000,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Allow a --host other than this machine (e.g. 0.0.0.0): the data becomes public, with no login.",
        ),
    ] = False,
) -> None:
    """Build the SYNTHETIC demo (fictional Republic of Kaltara), run every analysis and serve the dashboard."""
    from kizuna.demo.build import build_demo

    if not no_serve:
        from kizuna.web import check_host

        check_host(host, public)  # refuse a public address before minutes of building, not after
    summary = build_demo(workspace, inputs, seed=seed)
    led = summary.steps["ledger"]
    typer.echo(
        _(
            "SYNTHETIC demo built in {seconds} s: {workspace} "
            "({activities} activities, {transactions} transactions; inputs in {inputs})"
        ).format(
            seconds=i18n.number(summary.seconds, 1),
            workspace=summary.workspace,
            activities=i18n.number(led["activities"]),
            transactions=i18n.number(led["transactions"]),
            inputs=summary.inputs,
        )
    )
    for name, step in summary.steps.items():
        # one line per step: the step's name and its counts as key=value (names of data, kept as they are)
        if name != "ledger" and isinstance(step, dict):
            typer.echo(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in step.items() if not isinstance(v, dict | list)))
    if no_serve:
        return
    from kizuna.web import serve

    typer.echo(_("dashboard on http://{host}:{port}/ (Ctrl-C to stop)").format(host=host, port=port))
    serve(summary.workspace, host, port, needs=summary.inputs / "coordinate" / "kaltara-needs.csv", public=public)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

"""``kizuna demo``: build the synthetic demo workspace, run every analysis, open the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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
) -> None:
    """Build the SYNTHETIC demo (fictional Republic of Kaltara), run every analysis and serve the dashboard."""
    from kizuna.demo.build import build_demo

    summary = build_demo(workspace, inputs, seed=seed)
    led = summary.steps["ledger"]
    typer.echo(
        f"SYNTHETIC demo built in {summary.seconds:.1f} s: {summary.workspace} "
        f"({led['activities']} activities, {led['transactions']} transactions; inputs in {summary.inputs})"
    )
    for name, step in summary.steps.items():
        if name != "ledger" and isinstance(step, dict):
            typer.echo(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in step.items() if not isinstance(v, dict | list)))
    if no_serve:
        return
    from kizuna.web import serve

    typer.echo(f"dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    serve(summary.workspace, host, port, needs=summary.inputs / "coordinate" / "kaltara-needs.csv")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

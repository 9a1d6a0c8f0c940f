"""A throwaway PostgreSQL cluster in a temporary directory, for tests, benchmarks and a first try of
shared mode on one machine.

PostgreSQL refuses to run as root, so when this process is root the cluster's commands run as the
``postgres`` user (Debian's package creates it) with ``runuser``. The cluster listens on 127.0.0.1
only, on a free port, with its socket in its own directory; host connections need the password,
which is random per cluster (SCRAM-SHA-256).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian: ``/usr/lib/postgresql/<major>/bin``), or None."""
    env = os.environ.get("KIZUNA_PG_BIN")
    if env and (Path(env) / "initdb").exists():
        return Path(env)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    if found:
        return found[0].parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running (or stopped) throwaway cluster. ``url`` connects as its superuser ``postgres``."""

    directory: Path
    port: int
    password: str
    bin: Path
    as_postgres: bool
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.directory / "server.log"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql://{user}:{pw}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off -c max_connections=300"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(parent: Path | None = None) -> Cluster:
    """Create and start a cluster in a new temporary directory; the caller removes it (``remove()``).

    Raises ``RuntimeError`` with the server's own words when PostgreSQL is absent or does not start.
    """
    bin_dir = pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are missing: apt-get install postgresql")
    as_postgres = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="kizuna-pg-", dir=str(parent) if parent else None))
    password = secrets.token_urlsafe(18)
    (directory / "pw").write_text(password + "\n")
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
        shutil.chown(directory / "pw", "postgres", "postgres")
    cluster = Cluster(directory, _free_port(), password, bin_dir, as_postgres)
    try:
        cluster._run(
            "initdb", "-D", str(cluster.data), "-U", "postgres", "--pwfile", str(directory / "pw"),
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-sync",
        )
        for attempt in range(3):
            try:
                cluster.start()
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
                cluster.port = _free_port()  # another process took the port between the probe and the start
                time.sleep(0.2)
    except subprocess.CalledProcessError as exc:
        log = cluster.log.read_text(errors="replace")[-2000:] if cluster.log.exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.strip()} {log}") from exc
    (directory / "pw").unlink()
    return cluster

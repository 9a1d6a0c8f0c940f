"""Helpers of the shared web server's tests: an alliance of fictional organisations and a logged-in client."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.shared import accounts, pg

ROOT = Path(__file__).resolve().parents[2]
PW = "correct horse battery staple"
ORGS = {"aa": "Fictional Agency A", "bb": "Fictional Agency B", "cc": "Fictional Agency C"}


@dataclass
class Alliance:
    url: str
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, role) -> secret
    token_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def email(self, org: str, role: str) -> str:
        return f"{role}@{org}.example.org"

    def bearer(self, org: str, role: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.tokens[(org, role)]}


def make_alliance(url: str, orgs: tuple[str, ...] = ("aa", "bb", "cc"), roles: tuple[str, ...] = accounts.ROLES,
                  tokens: bool = True) -> Alliance:
    """Organisations with one user per role (``{role}@{org}.example.org``) and, with ``tokens``, a token each."""
    out = Alliance(url)
    with pg.connect(url) as con:
        for org in orgs:
            oid = accounts.add_org(con, org, ORGS[org])
            for role in roles:
                # one argon2id hash for all (hashing is deliberately slow; add_user would hash each)
                uid = con.execute(
                    "INSERT INTO users (email, password_hash) VALUES (%s, %s) RETURNING user_id",
                    [out.email(org, role), password_hash()],
                ).fetchone()["user_id"]
                con.execute("INSERT INTO memberships VALUES (%s, %s, %s)", [uid, oid, role])
                if tokens:
                    tid, secret = accounts.create_token(con, out.email(org, role), org, role, label="test")
                    out.tokens[(org, role)], out.token_ids[(org, role)] = secret, tid
        con.commit()
    return out


@functools.lru_cache(maxsize=1)
def password_hash() -> str:
    return accounts.hash_password(PW)


def login(client: Any, email: str, password: str = PW, org: str | None = None, next_path: str = "/") -> Any:
    """Log in through the form as a browser does: GET /login (token + cookie), POST it back."""
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    data = {"email": email, "password": password, "login_token": token, "next": next_path}
    if org:
        data["org"] = org
    return client.post("/login", data=data, follow_redirects=False)


def csrf_of(client: Any, page: str = "/upload") -> str:
    html = client.get(page).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


SHEET = """#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code
Alpha Relief,WASH,Jonglei,Wells,2023-01-15,1200,SS
Beta Aid,Health,Unity,Clinics,2023-02-01,300,SS
"""


def upload(client, headers, body: bytes = SHEET.encode(), name="partners.csv", **fields):
    data = {"kind": "3w", "visibility": "alliance", **fields}
    return client.post("/api/v1/imports", headers=headers, data=data, files={"file": (name, body, "text/csv")})


def wait_job(client, headers, url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {job}")


def start_server(url: str, data_dir: Path, log_path: Path, *extra: str) -> tuple[Any, str]:
    """``kizuna serve --database url`` in its own process on a free loopback port, up and healthy;
    returns (the process, its base URL). Its output goes to ``log_path`` (a file: a full pipe stalls it)."""
    import os
    import subprocess
    import sys

    from tests.server_support import free_port, wait_until_up

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna", "serve", "--database", url, "--port", str(port),
             "--data-dir", str(data_dir), *extra],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/healthz", log_path, "the shared server")
    return proc, base


def stop_server(proc: Any) -> None:
    from tests.server_support import stop_process

    stop_process(proc)

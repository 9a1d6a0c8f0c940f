"""Organisations, users, roles, passwords, API tokens and browser sessions of the shared server.

- Passwords: argon2id (RFC 9106) through ``argon2-cffi``'s defaults (its ``PasswordHasher`` uses
  Argon2id with RFC 9106's low-memory profile); a hash made under older parameters is re-hashed at the
  next successful login.
- API tokens: 32 random bytes (``secrets``), shown once; only their sha256 is stored. A token is
  scoped to one organisation and one role, never more than its user's role there, and is refused the
  moment it is revoked (every request looks it up; nothing caches it).
- Sessions: a random id in an HttpOnly cookie, its sha256 in the table, a CSRF token per session, an
  absolute expiry; a new id at every login (no session fixation).
- Lockout: after ``MAX_FAILURES`` consecutive wrong passwords an account is locked for ``LOCK_MINUTES``
  (OWASP Authentication Cheat Sheet); the web adds a per-address rate limit on top.

Functions take an open psycopg connection: the CLI's (the database owner) or the server's
(``kizuna_app``). They do not commit; the caller's transaction does.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_

ROLES = ("viewer", "editor", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
TOKEN_PREFIX = "kzt_"
_hasher = PasswordHasher()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that a wrong address costs as long as a wrong
    password (made at first use: hashing costs tens of milliseconds, too much for every import)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


@dataclass(frozen=True)
class Principal:
    """Who acts: a user, for one organisation, with one role there."""

    user_id: int
    email: str
    org_id: int
    org_slug: str
    role: str
    via: str = "session"  # 'session' or 'token'
    # The database's data version when this principal was looked up (the server's caches key on it);
    # None outside a request. Not part of who acts: equal principals compare equal whatever it is.
    data_version: int | None = field(default=None, compare=False)

    def can_write(self) -> bool:
        return self.role in ("editor", "admin")


def rank(role: str) -> int:
    return ROLES.index(role)


def sha256(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _now() -> datetime:
    return datetime.now(UTC)


def _bad(code: str, message: str, field: str, hint: str, status: int = 400, **params: Any) -> KizunaError:
    return KizunaError(code, message, Where(field=field), hint=hint, status=status, params=params)


def hash_password(password: str) -> str:
    """An argon2id PHC string for ``password`` (at least 12 characters, NIST SP 800-63B §5.1.1.2 allows 8;
    we ask for more because these accounts can read other agencies' shared data)."""
    if len(password) < 12:
        raise _bad(
            "auth.password_short",
            N_("the password is shorter than 12 characters"),
            "password",
            N_("choose a longer password, for example four unrelated words"),
        )
    return _hasher.hash(password)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise _bad(
            "auth.role_unknown", N_("unknown role {role!r}"), "role", N_("use viewer, editor or admin"), role=role
        )
    return role


def add_org(con: Any, slug: str, name: str, iati_ref: str | None = None) -> int:
    """Create an organisation; its ``slug`` (lower-case letters, digits, hyphens) names it in URLs and commands."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", slug):
        raise _bad(
            "org.slug_invalid",
            N_("{slug!r} is not a valid organisation short name"),
            "slug",
            N_("use lower-case letters, digits and hyphens, for example jica or usaid-ss"),
            slug=slug,
        )
    row = con.execute("SELECT org_id FROM orgs WHERE slug = %s", [slug]).fetchone()
    if row:
        raise _bad(
            "org.exists", N_("the organisation {slug!r} exists already"), "slug", N_("choose another short name"),
            status=409, slug=slug,
        )
    return int(
        con.execute(
            "INSERT INTO orgs (slug, name, iati_ref) VALUES (%s, %s, %s) RETURNING org_id", [slug, name, iati_ref]
        ).fetchone()["org_id"]
    )


def org_id(con: Any, slug: str) -> int:
    row = con.execute("SELECT org_id FROM orgs WHERE slug = %s", [slug]).fetchone()
    if not row:
        raise _bad(
            "org.unknown", N_("no organisation {slug!r}"), "org", N_("list them with kizuna org list"),
            status=404, slug=slug,
        )
    return int(row["org_id"])


def add_user(
    con: Any, email: str, org_slug: str, role: str, password: str | None = None, display_name: str | None = None
) -> int:
    """Create a user (or find one by e-mail) and give them ``role`` in the organisation ``org_slug``.

    A new user needs a password; for an existing one a password replaces theirs.
    """
    check_role(role)
    email = email.strip().lower()
    if "@" not in email:
        raise _bad(
            "auth.email_invalid", N_("{email!r} is not an e-mail address"), "email",
            N_("give the person's work e-mail address"), email=email,
        )
    org = org_id(con, org_slug)
    row = con.execute("SELECT user_id FROM users WHERE email = %s", [email]).fetchone()
    if row:
        uid = int(row["user_id"])
        if password:
            con.execute("UPDATE users SET password_hash = %s WHERE user_id = %s", [hash_password(password), uid])
    else:
        if not password:
            raise _bad(
                "auth.password_missing", N_("a new user needs a password"), "password",
                N_("give --password-file FILE or type it when asked"),
            )
        uid = int(
            con.execute(
                "INSERT INTO users (email, display_name, password_hash) VALUES (%s, %s, %s) RETURNING user_id",
                [email, display_name, hash_password(password)],
            ).fetchone()["user_id"]
        )
    con.execute(
        "INSERT INTO memberships (user_id, org_id, role) VALUES (%s, %s, %s)"
        " ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role",
        [uid, org, role],
    )
    return uid


def memberships(con: Any, user_id: int) -> list[dict[str, Any]]:
    return con.execute(
        "SELECT o.org_id, o.slug, o.name, m.role FROM memberships m JOIN orgs o USING (org_id)"
        " WHERE m.user_id = %s ORDER BY o.slug",
        [user_id],
    ).fetchall()


LOGIN_FAILED = KizunaError(
    "auth.failed",
    N_("wrong e-mail address or password"),
    Where(field="password"),
    hint=N_("check both; after 5 wrong tries the account is locked for 15 minutes"),
    status=401,
)


def login(con: Any, email: str, password: str, org_slug: str | None = None) -> Principal:
    """Check a password and return who logs in (for ``org_slug``, or their only/first organisation).

    Raises ``auth.failed`` (401) for a wrong e-mail or password, ``auth.locked`` (429) while the
    account is locked, ``auth.no_org`` (403) when the user is not a member of ``org_slug``.
    """
    email = email.strip().lower()
    user = con.execute(
        "SELECT user_id, email, password_hash, failed_logins, locked_until, disabled FROM users WHERE email = %s",
        [email],
    ).fetchone()
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        raise LOGIN_FAILED
    if user["locked_until"] is not None and user["locked_until"] > _now():
        raise KizunaError(
            "auth.locked",
            N_("this account is locked after too many wrong passwords"),
            Where(field="email"),
            hint=N_("try again after {minutes} minutes, or ask your organisation's admin"),
            status=429,
            params={"minutes": LOCK_MINUTES},
        )
    try:
        _hasher.verify(user["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = int(user["failed_logins"]) + 1
        locked = _now() + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
        con.execute(
            "UPDATE users SET failed_logins = %s, locked_until = %s WHERE user_id = %s",
            [0 if locked else failures, locked, user["user_id"]],
        )
        raise LOGIN_FAILED from None
    if user["disabled"]:
        raise LOGIN_FAILED
    con.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE user_id = %s", [user["user_id"]])
    orgs = memberships(con, int(user["user_id"]))
    chosen = [m for m in orgs if org_slug is None or m["slug"] == org_slug]
    if not chosen:
        raise KizunaError(
            "auth.no_org",
            N_("this account has no role in that organisation"),
            Where(field="org"),
            hint=N_("ask that organisation's admin to add you"),
            status=403,
        )
    m = chosen[0]
    return Principal(int(user["user_id"]), user["email"], int(m["org_id"]), m["slug"], m["role"])


def needs_rehash(con: Any, user_id: int, password: str) -> None:
    """Re-hash a password stored under older argon2 parameters (call after a successful login, as owner)."""
    row = con.execute("SELECT password_hash FROM users WHERE user_id = %s", [user_id]).fetchone()
    if row and _hasher.check_needs_rehash(row["password_hash"]):
        con.execute("UPDATE users SET password_hash = %s WHERE user_id = %s", [_hasher.hash(password), user_id])


def create_token(
    con: Any, email: str, org_slug: str, role: str, label: str | None = None, days: int | None = 90
) -> tuple[int, str]:
    """A new API token for ``email`` in ``org_slug`` with ``role`` (at most the user's role there).

    Returns ``(token_id, secret)``; the secret is shown once and only its sha256 is stored.
    """
    check_role(role)
    org = org_id(con, org_slug)
    row = con.execute(
        "SELECT u.user_id, m.role FROM users u JOIN memberships m USING (user_id)"
        " WHERE u.email = %s AND m.org_id = %s",
        [email.strip().lower(), org],
    ).fetchone()
    if row is None:
        raise _bad(
            "auth.no_org", N_("this account has no role in that organisation"), "email",
            N_("add the user first: kizuna user add"), status=404,
        )
    if rank(role) > rank(row["role"]):
        raise _bad(
            "auth.role_above_user",
            N_("a token cannot have more rights than its user ({role})"),
            "role",
            N_("ask for {role} or lower"),
            status=403,
            role=row["role"],
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = _now() + timedelta(days=days) if days else None
    tid = con.execute(
        "INSERT INTO api_tokens (token_hash, prefix, user_id, org_id, role, label, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING token_id",
        [sha256(secret), secret[:10], row["user_id"], org, role, label, expires],
    ).fetchone()["token_id"]
    return int(tid), secret


def revoke_token(con: Any, token_id: int) -> bool:
    """Revoke a token at once; True if it was live."""
    cur = con.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE token_id = %s AND revoked_at IS NULL", [token_id]
    )
    return bool(cur.rowcount)


TOKEN_SQL = (
    "SELECT t.token_id, t.user_id, u.email, t.org_id, o.slug, t.role, m.role AS member_role,"
    " t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS touch,"
    " (SELECT version FROM data_version) AS data_version"
    " FROM api_tokens t JOIN users u USING (user_id) JOIN orgs o ON o.org_id = t.org_id"
    " JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id"
    " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
    " AND NOT u.disabled"
)
# last_used_at is kept to the minute: a write on every call would make each API read a write
TOKEN_TOUCH_SQL = "UPDATE api_tokens SET last_used_at = now() WHERE token_id = %s"
SESSION_SQL = (
    "SELECT s.user_id, u.email, s.org_id, o.slug, m.role, s.csrf_token,"
    " (SELECT version FROM data_version) AS data_version FROM sessions s"
    " JOIN users u USING (user_id) JOIN orgs o ON o.org_id = s.org_id"
    " JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.org_id"
    " WHERE s.session_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled"
)


def token_lookup(secret: str) -> bytes | None:
    """The hash a bearer token is looked up by (``TOKEN_SQL``), or None when it cannot be one of ours."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return sha256(secret)


def token_row_principal(row: Any) -> Principal:
    """The principal of a ``TOKEN_SQL`` row: the role is the lower of the token's and the user's current role."""
    role = min(row["role"], row["member_role"], key=rank)
    return Principal(
        int(row["user_id"]), row["email"], int(row["org_id"]), row["slug"], role, via="token",
        data_version=row["data_version"],
    )


def session_lookup(session_id: str) -> bytes | None:
    """The hash a session cookie is looked up by (``SESSION_SQL``), or None when it cannot be one."""
    if not session_id or len(session_id) > 200:
        return None
    return sha256(session_id)


def session_row_principal(row: Any) -> tuple[Principal, str]:
    who = Principal(
        int(row["user_id"]), row["email"], int(row["org_id"]), row["slug"], row["role"],
        data_version=row["data_version"],
    )
    return who, row["csrf_token"]


def token_principal(con: Any, secret: str) -> Principal | None:
    """Who a bearer token acts as, or None (unknown, revoked, expired, or its user lost the role).
    Its ``last_used_at`` is kept to the minute.

    The role is the lower of the token's and the user's current role in that organisation.
    """
    digest = token_lookup(secret)
    if digest is None:
        return None
    row = con.execute(TOKEN_SQL, [digest]).fetchone()
    if row is None:
        return None
    if row["touch"]:
        con.execute(TOKEN_TOUCH_SQL, [row["token_id"]])
    return token_row_principal(row)


# Many credentials in one statement (the server's batched authentication, see
# :class:`kizuna.web.shared_app.Credentials`): the same conditions as TOKEN_SQL and SESSION_SQL, one
# row per live credential, tagged with its kind and hash. One statement sees one snapshot, so every
# row carries the same data version.
BATCH_SQL = (
    "SELECT 'token' AS kind, t.token_hash AS hash, t.token_id, t.user_id, u.email, t.org_id, o.slug, t.role,"
    " m.role AS member_role, t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS touch,"
    " NULL::text AS csrf_token, (SELECT version FROM data_version) AS data_version"
    " FROM api_tokens t JOIN users u USING (user_id) JOIN orgs o ON o.org_id = t.org_id"
    " JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id"
    " WHERE t.token_hash = ANY(%(tokens)s) AND t.revoked_at IS NULL"
    " AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled"
    " UNION ALL"
    " SELECT 'session', s.session_hash, NULL, s.user_id, u.email, s.org_id, o.slug, m.role, m.role, false,"
    " s.csrf_token, (SELECT version FROM data_version) FROM sessions s"
    " JOIN users u USING (user_id) JOIN orgs o ON o.org_id = s.org_id"
    " JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.org_id"
    " WHERE s.session_hash = ANY(%(sessions)s) AND s.revoked_at IS NULL AND s.expires_at > now()"
    " AND NOT u.disabled"
)
BATCH_TOUCH_SQL = "UPDATE api_tokens SET last_used_at = now() WHERE token_id = ANY(%s)"


async def principals_async(
    con: Any, tokens: list[bytes], sessions: list[bytes]
) -> dict[tuple[str, bytes], tuple[Principal, str | None]]:
    """Who each credential hash (:func:`token_lookup`, :func:`session_lookup`) acts as, in one statement:
    ``{("token"|"session", hash): (principal, csrf token or None)}``; unknown, revoked, expired or
    disabled ones are absent. The tokens' ``last_used_at`` is kept to the minute (one more statement,
    only when one is due)."""
    cur = await con.execute(BATCH_SQL, {"tokens": tokens, "sessions": sessions})
    found: dict[tuple[str, bytes], tuple[Principal, str | None]] = {}
    touch = []
    for row in await cur.fetchall():
        if row["kind"] == "token":
            found[("token", bytes(row["hash"]))] = (token_row_principal(row), None)
            if row["touch"]:
                touch.append(row["token_id"])
        else:
            found[("session", bytes(row["hash"]))] = session_row_principal(row)
    if touch:
        await con.execute(BATCH_TOUCH_SQL, [touch])
    return found


def login_allowed(con: Any, address: str, per_minute: int) -> bool:
    """Whether one more login attempt from ``address`` is allowed: fewer than ``per_minute`` in the last 60
    seconds (a sliding window; OWASP Authentication Cheat Sheet, "Login Throttling"). An allowed attempt
    is counted. Kept in the database, so every server process on it shares the count; attempts from one
    address are serialised by an advisory lock, so two at once cannot both take the last place. Call it
    inside a transaction (it commits with the caller's)."""
    con.execute("SELECT pg_advisory_xact_lock(hashtext('kizuna.login:' || %s))", [address])
    con.execute("DELETE FROM login_attempts WHERE at < clock_timestamp() - interval '60 seconds'")
    row = con.execute(
        "SELECT count(*) AS n FROM login_attempts"
        " WHERE address = %s AND at >= clock_timestamp() - interval '60 seconds'",
        [address],
    ).fetchone()
    n = int(row["n"] if isinstance(row, dict) else row[0])
    if n >= per_minute:
        return False
    con.execute("INSERT INTO login_attempts (address) VALUES (%s)", [address])
    return True


def create_session(con: Any, principal: Principal, hours: float = SESSION_HOURS) -> tuple[str, str]:
    """A new session for ``principal``: ``(session_id, csrf_token)``; the id goes in the cookie."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO sessions (session_hash, user_id, org_id, csrf_token, expires_at) VALUES (%s, %s, %s, %s, %s)",
        [sha256(sid), principal.user_id, principal.org_id, csrf, _now() + timedelta(hours=hours)],
    )
    return sid, csrf


def session_principal(con: Any, session_id: str) -> tuple[Principal, str] | None:
    """Who a session cookie belongs to and its CSRF token, or None (unknown, ended or expired)."""
    digest = session_lookup(session_id)
    if digest is None:
        return None
    row = con.execute(SESSION_SQL, [digest]).fetchone()
    return None if row is None else session_row_principal(row)


def end_session(con: Any, session_id: str) -> None:
    con.execute("UPDATE sessions SET revoked_at = now() WHERE session_hash = %s", [sha256(session_id)])

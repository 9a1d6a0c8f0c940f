"""Personal data in track: pseudonyms by keyed hash, sensitive fields encrypted at rest.

DDR person records and training participants name people whom a leak can endanger (ex-combatants,
informants, police officers). Track never stores a name or a raw id: on read, each id becomes a
pseudonym (HMAC-SHA-256 under a key, RFC 2104), and the fields that must be kept but are sensitive
(free text, date of birth, a phone) are sealed with AES-256-GCM (NIST SP 800-38D) through the
``cryptography`` library. The key lives outside the workspace, in a file named by ``--key`` or by the
environment variable ``KIZUNA_TRACK_KEY``; without it the workspace holds only pseudonyms and
ciphertext, and nothing personal can be read back or re-identified by hashing a guessed name.

One key file holds 32 random bytes as 64 hex digits (``kizuna key new PATH`` writes one, mode 0600).
Two sub-keys are derived from it with HKDF-SHA-256 (RFC 5869), one for pseudonyms and one for
encryption, so the same secret is never used by two algorithms; a third derivation gives a key id,
stored beside the data so that a run with the wrong key is refused instead of producing pseudonyms
that silently match nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

ENV = "KIZUNA_TRACK_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96-bit nonces, the size SP 800-38D recommends for GCM
PSEUDONYM_HEX = 32  # 128 bits of the HMAC: collisions are negligible for any programme's size


def _hkdf(secret: bytes, label: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"kizuna-track/" + label).derive(secret)


@dataclass(frozen=True)
class TrackKey:
    """The two derived keys and the key id (16 hex digits, safe to store and show)."""

    pseudonym_key: bytes
    seal_key: bytes
    key_id: str

    @classmethod
    def from_secret(cls, secret: bytes) -> TrackKey:
        if len(secret) != KEY_BYTES:
            raise ValueError("a track key is 32 bytes")
        return cls(_hkdf(secret, b"pseudonym"), _hkdf(secret, b"seal"), _hkdf(secret, b"key-id").hex()[:16])

    def __repr__(self) -> str:  # never print key material, even in a traceback
        return f"TrackKey(key_id={self.key_id!r})"


def new_key_file(path: Path) -> TrackKey:
    """Write a new random key to ``path`` (mode 0600; an existing file is never overwritten)."""
    path = Path(path)
    secret = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(
            "track.key_exists",
            N_("a file already exists here; a key is never overwritten"),
            Where(file=str(path)),
            hint=N_("choose a new path; overwriting a key makes every pseudonym made with it unmatched"),
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
    return TrackKey.from_secret(secret)


def load_key(path: Path | str | None = None, *, workspace: Path | None = None) -> TrackKey:
    """The key from ``path``, else from the file named by ``$KIZUNA_TRACK_KEY``.

    Refused: no key named, a file that is not 64 hex digits, and a key file inside the workspace's own
    folder tree when ``workspace`` is a folder (a key kept with the data protects nothing).
    """
    named = path if path is not None else os.environ.get(ENV)
    if not named:
        raise InputError(
            "track.key_missing",
            N_("personal records need a key, and none was given"),
            Where(field="--key"),
            hint=N_(
                "pass --key PATH or set KIZUNA_TRACK_KEY; create one with `kizuna key new PATH` outside the workspace"
            ),
        )
    key_path = Path(named).expanduser()
    if workspace is not None and workspace.is_dir() and key_path.resolve().is_relative_to(workspace.resolve()):
        raise InputError(
            "track.key_in_workspace",
            N_("the key file is inside the workspace folder"),
            Where(file=str(key_path)),
            hint=N_("keep the key apart from the data, e.g. on a separate drive"),
        )
    try:
        text = key_path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
    except FileNotFoundError:
        raise InputError(
            "track.key_missing",
            N_("the key file does not exist"),
            Where(file=str(key_path)),
            hint=N_("check the path; create a key with `kizuna key new PATH`"),
        ) from None
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise InputError(
            "track.key_invalid",
            N_("the key file is not a Kizuna key (64 hexadecimal digits)"),
            Where(file=str(key_path)),
            hint=N_("use the file `kizuna key new PATH` wrote"),
        )
    return TrackKey.from_secret(secret)


def normalise_id(value: object) -> str:
    """An id as people write it, compared the same way every time: NFKC, trimmed, inner spaces
    collapsed, case folded (so ``" ab-12 "`` and ``"AB-12"`` are one person)."""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).casefold()


def pseudonym(key: TrackKey, value: object, namespace: str = "person") -> str:
    """The pseudonym of an id: the first 128 bits of HMAC-SHA-256(key, namespace ‖ 0 ‖ id), in hex.

    ``namespace`` keeps pseudonyms of different kinds (a DDR person, a training participant) from
    matching each other. Deterministic under one key, so follow-up waves link to their person.
    """
    msg = namespace.encode("utf-8") + b"\x00" + normalise_id(value).encode("utf-8")
    return hmac.new(key.pseudonym_key, msg, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def seal(key: TrackKey, plaintext: str, context: str = "") -> bytes:
    """``plaintext`` encrypted with AES-256-GCM: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.

    ``context`` (for example the pseudonym and the field name) is authenticated but not stored: a
    sealed value moved to another person's row no longer opens.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key.seal_key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))


def unseal(key: TrackKey, blob: bytes, context: str = "") -> str:
    """The plaintext of :func:`seal`'s output; ``track.key_wrong`` when the key or context differ."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return (
            AESGCM(key.seal_key)
            .decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
            .decode("utf-8")
        )
    except (InvalidTag, ValueError):
        raise InputError(
            "track.key_wrong",
            N_("a sealed value does not open with this key"),
            Where(field="--key"),
            hint=N_("use the key these records were stored with"),
        ) from None


def check_key_id(key: TrackKey, stored: str | None, *, where: str) -> None:
    """Refuse a key whose id differs from the one the stored records were made with."""
    if stored is not None and stored != key.key_id:
        raise InputError(
            "track.key_wrong",
            N_("these records were stored with another key (key id {stored}, given {given})"),
            Where(file=where, field="--key"),
            hint=N_("use the key these records were stored with"),
            params={"stored": stored, "given": key.key_id},
        )

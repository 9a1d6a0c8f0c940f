"""Pseudonyms and sealed fields of track's personal records (kizuna.track.protect)."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.errors import InputError
from kizuna.track.protect import TrackKey, check_key_id, load_key, new_key_file, pseudonym, seal, unseal

KEY = TrackKey.from_secret(bytes(range(32)))
OTHER = TrackKey.from_secret(bytes(range(1, 33)))


def test_a_pseudonym_is_the_hmac_of_the_namespaced_normalised_id() -> None:
    import hashlib
    import hmac

    expected = hmac.new(KEY.pseudonym_key, b"person\x00ab-12", hashlib.sha256).hexdigest()[:32]
    assert pseudonym(KEY, "  AB-12 ") == expected
    assert pseudonym(KEY, "ab-12") == expected
    assert pseudonym(KEY, "ab-12", "participant") != expected
    assert pseudonym(OTHER, "ab-12") != expected


def test_the_derived_keys_differ_from_each_other_and_from_the_secret() -> None:
    assert len({KEY.pseudonym_key, KEY.seal_key, bytes(range(32))}) == 3
    assert "pseudonym_key" not in repr(KEY) and KEY.key_id in repr(KEY)


@given(st.text(max_size=200), st.text(max_size=40))
def test_seal_round_trips_and_hides_the_plaintext(text: str, context: str) -> None:
    blob = seal(KEY, text, context)
    assert unseal(KEY, blob, context) == text
    if len(text) >= 4:
        assert text.encode("utf-8") not in blob


def test_a_sealed_value_does_not_open_with_another_key_or_in_another_row() -> None:
    blob = seal(KEY, "Amina Doe", "p1|name")
    with pytest.raises(InputError) as wrong_key:
        unseal(OTHER, blob, "p1|name")
    assert wrong_key.value.code == "track.key_wrong"
    with pytest.raises(InputError):
        unseal(KEY, blob, "p2|name")
    assert seal(KEY, "Amina Doe", "p1|name") != blob  # a fresh nonce each time


def test_a_new_key_file_is_private_and_is_never_overwritten(tmp_path) -> None:
    path = tmp_path / "track.key"
    key = new_key_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path).key_id == key.key_id
    with pytest.raises(InputError) as exists:
        new_key_file(path)
    assert exists.value.code == "track.key_exists"
    assert load_key(path).key_id == key.key_id


def test_the_key_comes_from_the_environment_when_no_path_is_given(tmp_path, monkeypatch) -> None:
    path = tmp_path / "k"
    key = new_key_file(path)
    monkeypatch.setenv("KIZUNA_TRACK_KEY", str(path))
    assert load_key().key_id == key.key_id
    monkeypatch.delenv("KIZUNA_TRACK_KEY")
    with pytest.raises(InputError) as missing:
        load_key()
    assert missing.value.code == "track.key_missing"


@pytest.mark.parametrize("text", ["", "zz" * 32, "ab" * 31, "ab" * 33])
def test_a_file_that_is_not_a_key_is_refused(tmp_path, text: str) -> None:
    path = tmp_path / "k"
    path.write_text(text)
    with pytest.raises(InputError) as bad:
        load_key(path)
    assert bad.value.code == "track.key_invalid"
    assert bad.value.where.file == str(path)


def test_a_key_inside_the_workspace_folder_is_refused(tmp_path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    new_key_file(ws / "k")
    with pytest.raises(InputError) as inside:
        load_key(ws / "k", workspace=ws)
    assert inside.value.code == "track.key_in_workspace"


def test_records_stored_with_one_key_refuse_another() -> None:
    check_key_id(KEY, KEY.key_id, where="ws")
    check_key_id(KEY, None, where="ws")
    with pytest.raises(InputError) as wrong:
        check_key_id(OTHER, KEY.key_id, where="ws")
    assert wrong.value.code == "track.key_wrong"


def test_kizuna_key_new_writes_a_key(tmp_path) -> None:
    from typer.testing import CliRunner

    from kizuna.cli import app

    result = CliRunner().invoke(app, ["key", "new", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    assert load_key(tmp_path / "k").key_id in result.output

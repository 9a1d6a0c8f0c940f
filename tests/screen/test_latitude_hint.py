"""A latitude out of range is called a possible swap only when it could be a longitude (issue 13, Screen)."""

from __future__ import annotations

import pytest

from kizuna.screen.context import latitude_hint


@pytest.mark.parametrize("value", [95.0, -120.0, 180.0])
def test_a_latitude_that_could_be_a_longitude_suggests_a_typo_or_a_swap(value):
    hint = latitude_hint(value)
    assert "typo" in hint and "swapped" in hint


@pytest.mark.parametrize("value", [950.0, -181.0])
def test_a_latitude_that_is_no_longitude_either_is_a_typo_not_a_swap(value):
    hint = latitude_hint(value)
    assert "typo" in hint and "swapped" not in hint

"""Checks on arrays: an array of a fixed dtype is checked by its dtype (a
million PUE values cost no Python loop), lists and object arrays element by element."""

from __future__ import annotations

import numpy as np
import pytest

from capacity import checks
from capacity.errors import InputError


def test_a_float_array_is_checked_without_a_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = checks._is_bool
    monkeypatch.setattr(checks, "_is_bool", lambda value: calls.append(1) or original(value))
    values = np.linspace(1.1, 1.5, 10_000)
    assert checks.number_like(values, "pue") is values
    assert len(calls) <= 1


@pytest.mark.parametrize(
    "value",
    [np.array([True, False]), [1.2, True], np.array([1.2, np.True_], dtype=object)],
    ids=["bool array", "list", "object array"],
)
def test_bools_in_an_array_are_refused(value: object) -> None:
    with pytest.raises(InputError, match="pue must hold numbers, not bools"):
        checks.number_like(value, "pue")


def test_an_empty_array_is_refused() -> None:
    with pytest.raises(InputError, match="pue must hold at least one value"):
        checks.number_like(np.array([], dtype=float), "pue")


def test_a_good_array_is_read_without_writing_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message of a refused value is written only on an error: repr of a million PUE
    values took longer than the conversion itself."""
    from capacity import inputs

    def shown(value: object) -> str:
        raise AssertionError("written out though nothing was refused")

    monkeypatch.setattr(inputs, "_shown", shown)
    values = np.linspace(1.1, 1.5, 1000)
    np.testing.assert_array_equal(inputs.bounded_number(values, "pue", 1.0, 3.0), values)

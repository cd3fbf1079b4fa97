"""``sweep(mixes=...)`` as an (M, K) array of shares beside ``chips``: the same sweep as the
named mixes, and every malformed table refused with what would be right."""

from __future__ import annotations

import numpy as np
import pytest

import capacity
from capacity.axes import simplex_mixes
from capacity.errors import InputError

CHIPS = "h100,mi355x,tpu-v7"


def test_an_array_of_mixes_sweeps_as_the_same_mixes_named() -> None:
    shares = simplex_mixes(3, 0.25)
    names = ["h100", "mi355x", "tpu-v7"]
    named = [{c: float(s) for c, s in zip(names, row, strict=True) if s > 0} for row in shares]
    options = dict(chips=CHIPS, pue="1.1,1.3", utilization="0.6,0.9", backend="numpy")
    from_array = capacity.sweep("30GW", mixes=shares, **options)
    from_names = capacity.sweep("30GW", mixes=named, **options)
    np.testing.assert_array_equal(from_array.mixes, from_names.mixes)
    assert from_array.data is not None and from_names.data is not None
    assert set(from_array.data) == set(from_names.data)
    for output, values in from_names.data.items():
        np.testing.assert_array_equal(from_array.data[output], values, err_msg=output)


def test_rows_of_numbers_are_an_array_too() -> None:
    result = capacity.sweep(
        "30GW", chips="h100,mi355x", mixes=[[0.5, 0.5], (1, 0)], backend="numpy", reduce=True
    )
    np.testing.assert_array_equal(result.mixes, [[0.5, 0.5], [1.0, 0.0]])


@pytest.mark.parametrize(
    ("mixes", "message"),
    [
        ([[0.5, 0.6]], r"mixes\[0\] must sum to 1, got 1\.1"),
        ([[1.0], [1.0]], r"mixes × chips, here \(M, 2\).*got shape \(2, 1\)"),
        (np.zeros((0, 2)), r"M ≥ 1.*got shape \(0, 2\)"),
        (np.ones(2) / 2, r"got shape \(2,\)"),
        (
            [[0.5, 0.5], [1.5, -0.5]],
            r"mixes\[1\]\[0\] \(the share of h100-sxm\).*\[0, 1\], got 1\.5",
        ),
        (np.array([[0.5, np.nan]]), r"mixes\[0\]\[1\] \(the share of mi355x\).*got nan"),
        ([[0.5, "half"]], r"numbers in equal rows"),
        ([[0.5, 0.5], [1.0]], r"numbers in equal rows"),
    ],
    ids=["sum", "columns", "no rows", "one dimension", "range", "nan", "text", "ragged"],
)
def test_a_malformed_array_of_mixes_is_refused(mixes: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        capacity.sweep("30GW", chips="h100,mi355x", mixes=mixes, backend="numpy", reduce=True)


def test_an_array_of_mixes_needs_chips() -> None:
    with pytest.raises(InputError, match="needs chips"):
        capacity.sweep("30GW", mixes=np.array([[1.0]]), backend="numpy", reduce=True)


def test_the_mix_labels_of_a_table_are_those_of_its_rows() -> None:
    from capacity.sweep import _mix_label, _mix_labels

    chips = ["h100-sxm", "mi355x", "tpu-v7"]
    rows = np.random.default_rng(1).dirichlet([1.0, 1.0, 1.0], size=500)
    rows[::7, 1] = 0.0
    rows = np.vstack([rows, simplex_mixes(3, 0.1)])
    assert _mix_labels(chips, rows) == [_mix_label(chips, row) for row in rows]

"""capacity.sweep: against capacity.convert, reductions, the optimum, memory and atomic output."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import capacity
from capacity import InputError, SweepTooLargeError, sweep
from capacity.axes import parse_axis, parse_power_axis, simplex_mix_count, simplex_mixes
from capacity.kernels import backends
from capacity.kernels.backends import FORCE_CPU_ENV, cuda_status
from capacity.streaming import ParquetSink
from tests.backends import BACKEND_PARAMS, make_backend

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

CHIPS = ["h100", "mi355x", "tpu-v7", "openai-broadcom-xpu"]
SMALL = {"pue": "1.1:1.5:0.2", "utilization": "0.5,0.8,1", "mix_step": 0.25}


def test_issue_example_runs_and_names_its_backend() -> None:
    result = sweep(
        "30GW", chips=CHIPS, mix_step=0.05, pue="1.1:1.5:0.05", utilization="0.5:1:0.1",
        reduce=True, objective="max-delivered-flops",
        constraints="grid-share:global-datacenters<=0.5",
    )  # fmt: skip
    assert result.points == 9 * 6 * 1771
    assert result.backend in ("numpy", "numba")  # no CUDA device here
    assert result.backend_detail.startswith(("NumPy", "numba")) and "auto: 95,634 points" in (
        result.backend_detail
    )
    assert result.best is not None
    assert result.data is None


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
@pytest.mark.parametrize(
    "options",
    [
        {"basis": "facility", "mix_basis": "power", "provision": "nameplate"},
        {"basis": "it", "mix_basis": "count", "provision": "busy", "precision": "fp8"},
        {"method": "epoch", "precision": "fp4", "mfu": 0.4},
    ],
)
def test_sweep_points_equal_convert(backend: str, options: dict) -> None:
    """Every output at random points of a materialized sweep equals capacity.convert there."""
    chips = ["h100", "mi355x", "b200"]
    result = sweep(
        "10GW,30GW", chips=chips, pue="1.05:1.6:0.11", utilization="0:1:0.25", mix_step=0.2,
        backend=make_backend(backend), **options,
    )  # fmt: skip
    assert result.data is not None
    rng = np.random.default_rng(0)
    for index in rng.integers(0, result.points, size=6):
        ip, iq, iu, im = np.unravel_index(index, result.shape)
        mix = {c: s for c, s in zip(result.chips, result.mixes[im], strict=True) if s > 0}
        expected = capacity.convert(
            f"{result.power[ip]} W", mix=mix, pue=result.pue[iq],
            utilization=result.utilization[iu], **options,
        )  # fmt: skip
        got = {name: values[index] for name, values in result.data.items()}
        assert got["accelerators"] == pytest.approx(expected.accelerators.m, rel=1e-12)
        assert got["peak_flops"] == pytest.approx(expected.peak_flops.m, rel=1e-12)
        assert got["delivered_flops"] == pytest.approx(expected.delivered_flops.m, rel=1e-12)
        assert got["average_facility_power"] == pytest.approx(
            expected.average_facility_power.m, rel=1e-12
        )
        for k, chip in enumerate(result.chips):
            want = expected.accelerators_by_chip[chip].m if chip in mix else 0.0
            assert got["accelerators_by_chip"][k] == pytest.approx(want, rel=1e-12)


def test_summary_matches_materialized_points() -> None:
    result = sweep("30GW", chips=CHIPS, backend="numba", **SMALL)
    assert result.data is not None
    average = result.data["average_facility_power"]
    for name, values in (
        ("accelerators", result.data["accelerators"]),
        ("delivered-flops", result.data["delivered_flops"]),
        ("average-power", average),
        ("annual-energy", average * 365.25 * 86400),
        ("grid-share:global-datacenters", average * 365.25 * 86400 / 415e12 / 3600),
    ):
        summary = result.summary[name]
        assert summary.minimum == pytest.approx(values.min(), rel=1e-12)
        assert summary.maximum == pytest.approx(values.max(), rel=1e-12)
        assert summary.mean == pytest.approx(values.mean(), rel=1e-12)
        for q in (0.05, 0.5, 0.95):
            # quantiles from the histogram are within one bin of the exact ones
            exact = np.quantile(values, q, method="inverted_cdf")
            assert abs(summary.quantile(q) - exact) <= summary.resolution * (1 + 1e-9)


def test_reduced_equals_materialized_summary() -> None:
    kept = sweep("30GW", chips=CHIPS, backend="numba", **SMALL)
    reduced = sweep("30GW", chips=CHIPS, backend="numba", reduce=True, chunk_points=17,
                    reduction="enumerated", **SMALL)  # fmt: skip
    assert reduced.data is None
    assert (kept.reduction, reduced.reduction) == ("enumerated", "enumerated")
    for name, summary in kept.summary.items():
        other = reduced.summary[name]
        assert other.minimum == pytest.approx(summary.minimum, rel=1e-12)
        assert other.maximum == pytest.approx(summary.maximum, rel=1e-12)
        assert other.mean == pytest.approx(summary.mean, rel=1e-12)
        np.testing.assert_array_equal(other.counts, summary.counts)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_factorized_summary_is_exact(backend: str) -> None:
    """A reduced sweep is factorized by default: its quantiles are values of its points (the
    inverted CDF), and its min and max those of the points numba materializes, bit for bit
    (the numpy backend materializes through capacity.chain: equal to rounding only)."""
    kept = sweep("10GW,30GW", chips=CHIPS, backend="numba", **SMALL)
    reduced = sweep("10GW,30GW", chips=CHIPS, backend=backend, reduce=True, **SMALL)
    assert reduced.reduction == "factorized" and kept.reduction == "enumerated"
    assert f"in {backend} on the CPU" in reduced.reduction_detail
    assert kept.data is not None
    average = kept.data["average_facility_power"]
    for name, values in (
        ("accelerators", kept.data["accelerators"]),
        ("peak-flops", kept.data["peak_flops"]),
        ("delivered-flops", kept.data["delivered_flops"]),
        ("average-power", average),
        ("annual-energy", average * (365.25 * 86400)),
    ):
        summary = reduced.summary[name]
        assert (summary.minimum, summary.maximum) == (values.min(), values.max())
        assert summary.mean == pytest.approx(values.mean(), rel=1e-12)
        assert summary.resolution == 0 and summary.quantile_method == "exact"
        for q in (0, 0.05, 0.5, 0.95, 1, 0.123):
            assert summary.quantile(q) == np.quantile(values, q, method="inverted_cdf")
    document = reduced.to_dict()
    assert document["reduction"] == "factorized"
    assert document["summary"]["accelerators"]["quantile_method"] == "exact"
    assert document["summary"]["accelerators"]["quantile_resolution"] == 0


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_constrained_optimum_matches_brute_force(backend: str) -> None:
    constraints = ["grid-share:global-datacenters<=0.35", "vendor-share<=0.6", "accelerators>=12M"]
    result = sweep(
        "30GW", chips=CHIPS, objective="max-delivered-flops", constraints=constraints,
        backend=make_backend(backend), **SMALL,
    )  # fmt: skip
    data = result.data
    assert data is not None and result.best is not None
    shares = result.mixes
    vendors = {"h100-sxm": "NVIDIA", "mi355x": "AMD", "tpu-v7": "Google",
               "openai-broadcom-xpu": "OpenAI / Broadcom"}  # fmt: skip
    by_vendor = {v: shares[:, [vendors[c] == v for c in result.chips]].sum(axis=1)
                 for v in set(vendors.values())}  # fmt: skip
    mix_ok = np.all([s <= 0.6 + 1e-9 for s in by_vendor.values()], axis=0)
    average = data["average_facility_power"]
    share = average * 365.25 * 86400 / (415e12 * 3600)
    feasible = (share <= 0.35) & (data["accelerators"] >= 12e6)
    feasible &= np.tile(mix_ok, result.points // len(mix_ok))
    assert result.feasible_points == int(feasible.sum()) > 0
    objective = np.where(feasible, data["delivered_flops"], -np.inf)
    best = int(np.argmax(objective))
    assert result.best.value == pytest.approx(objective[best], rel=1e-12)
    assert objective[result.best.index] == pytest.approx(objective[best], rel=1e-12)
    # the best point's own conversion agrees with the sweep
    assert result.best.conversion.delivered_flops.m == pytest.approx(result.best.value, rel=1e-12)
    assert result.best.conversion.grid_share["global-datacenters"].energy.m <= 0.35


def test_minimize_objective_and_infeasible_constraints() -> None:
    low = sweep("30GW", chips=CHIPS, objective="min-annual-energy", reduce=True, **SMALL)
    assert low.best is not None
    assert low.best.value == pytest.approx(low.summary["annual-energy"].minimum, rel=1e-12)
    none = sweep("30GW", chips=CHIPS, objective="max-delivered-flops", reduce=True,
                 constraints=["average-power<=1GW"], **SMALL)  # fmt: skip
    assert none.best is None
    assert none.feasible_points == 0
    assert len(none.unmet) == 1 and "average-power ranges over" in none.unmet[0]
    mixes = sweep("30GW", chips=CHIPS, mixes=["mi355x=0.5,tpu-v7=0.5", "h100=0.5,tpu-v7=0.5"],
                  objective="max-delivered-flops", constraints=["chip-share:h100>=0.9"])  # fmt: skip
    assert mixes.best is None and "no mix" in mixes.unmet[0]


def test_power_axis_and_xarray() -> None:
    result = sweep("10GW:30GW:10GW", chips=["h100", "mi355x"], pue="1.2,1.3",
                   utilization="0.5:1:0.25", mix_step=0.5)  # fmt: skip
    dataset = result.to_xarray()
    assert dict(dataset.sizes) == {"power": 3, "pue": 2, "utilization": 3, "mix": 3,
                                   "chip": 2, "grid": len(result.grids)}  # fmt: skip
    assert list(dataset["mix"].values) == ["h100-sxm=1", "h100-sxm=0.5,mi355x=0.5", "mi355x=1"]
    point = dataset.sel(power=30e9, pue=1.2, utilization=1.0, mix="h100-sxm=1")
    assert float(point["accelerators"]) == pytest.approx(30e9 / 1.2 / 1275, rel=1e-12)
    assert dataset["accelerators"].attrs["units"] == "1"
    assert dataset["facility_power"].dims == ("power", "pue")
    single = sweep("30GW", chips="h100", pue="1.2,1.3", utilization=0.8).to_xarray()
    assert "power" not in single.dims
    assert float(single["power"]) == 30e9


def test_reduced_sweep_has_no_points_to_export() -> None:
    result = sweep("30GW", chips="h100", reduce=True)
    with pytest.raises(InputError, match="kept no points"):
        result.to_xarray()


def test_memory_guard_names_the_size_and_the_alternatives() -> None:
    grid = {"chips": CHIPS, "pue": "1:2:0.01", "utilization": "0:1:0.01", "mix_step": 0.1}
    with pytest.raises(SweepTooLargeError) as refused:
        sweep("30GW", memory_limit="100 MB", **grid)
    message = str(refused.value)
    assert "2,917,486 points" in message  # 101 × 101 × 286
    assert "GiB" in message and "reduce" in message and "out=" in message
    assert sweep("30GW", memory_limit="100 MB", reduce=True, **grid).points == 2_917_486


def test_stream_to_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    destination = tmp_path / "sweep.parquet"
    result = sweep("30GW", chips=CHIPS, out=destination, chunk_points=50, **SMALL)
    kept = sweep("30GW", chips=CHIPS, **SMALL)
    assert result.out == destination and result.data is None
    table = pq.read_table(destination)
    assert table.num_rows == result.points
    assert kept.data is not None
    np.testing.assert_allclose(table["accelerators"].to_numpy(), kept.data["accelerators"],
                               rtol=1e-15)  # fmt: skip
    np.testing.assert_allclose(table["accelerators_mi355x"].to_numpy(),
                               kept.data["accelerators_by_chip"][:, 1], rtol=1e-15)  # fmt: skip
    assert set(table.column_names) >= {"power_w", "pue", "utilization", "mix", "share_tpu-v7",
                                       "annual_energy_twh", "grid_share_energy_basis_global-datacenters"}  # fmt: skip
    assert b"capacity" in table.schema.metadata
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.parquet"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_interrupted_stream_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    destination = tmp_path / "sweep.parquet"
    writes = 0
    real_write = ParquetSink.write

    def write_then_fail(self: ParquetSink, columns: dict) -> None:
        nonlocal writes
        writes += 1
        if writes == 3:
            raise interruption("stop")
        real_write(self, columns)

    monkeypatch.setattr(ParquetSink, "write", write_then_fail)
    with pytest.raises(interruption):
        sweep("30GW", chips=CHIPS, out=destination, chunk_points=40, **SMALL)
    assert list(tmp_path.iterdir()) == []
    # an existing file at the destination survives an interrupted run untouched
    destination.write_bytes(b"earlier results")
    writes = 0
    with pytest.raises(interruption):
        sweep("30GW", chips=CHIPS, out=destination, chunk_points=40, **SMALL)
    assert destination.read_bytes() == b"earlier results"
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.parquet"]


def test_out_must_be_parquet_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.parquet or \.csv"):
        sweep("30GW", chips="h100", out=tmp_path / "x.txt")
    with pytest.raises(InputError, match="does not exist"):
        sweep("30GW", chips="h100", out=tmp_path / "missing" / "x.parquet")
    with pytest.raises(InputError, match="choose one"):
        sweep("30GW", chips="h100", out=tmp_path / "x.parquet", reduce=True)


def test_cuda_without_device_is_an_error_and_auto_says_what_ran() -> None:
    assert not cuda_status().usable
    with pytest.raises(InputError, match="usable CUDA device"):
        sweep("30GW", chips="h100", backend="cuda")
    chosen = sweep("30GW", chips="h100", backend="auto")
    assert chosen.backend == "numpy"  # one point: NumPy ends before numba would load
    assert "auto: 1 point, below" in chosen.backend_detail
    assert sweep("30GW", chips="h100", backend="numpy").backend == "numpy"
    with pytest.raises(InputError, match="backend must be one of"):
        sweep("30GW", chips="h100", backend="gpu")


def test_force_cpu_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_CPU_ENV, "1")
    backends.cuda_status.cache_clear()
    try:
        status = cuda_status()
        assert not status.usable and FORCE_CPU_ENV in status.reason
    finally:
        backends.cuda_status.cache_clear()


def test_import_loads_neither_cupy_nor_numba_cuda() -> None:
    code = (
        "import sys, capacity; "
        "loaded = [m for m in sys.modules if m == 'cupy' or m.startswith(('cupy.', 'numba.cuda'))]; "
        "print(loaded)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    assert output.strip() == "[]"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pue": "0.9:1.2:0.1"}, "pue must be ≥ 1"),
        ({"utilization": "0.5,1.2"}, r"utilization must be in \[0, 1\]"),
        ({"pue": "1.5:1.1:0.1"}, "stop < start"),
        ({"pue": "1.1:1.5:0"}, "step > 0"),
        ({"pue": "1.1:1.5"}, "START:STOP:STEP"),
        ({"chips": "h100,mi355x"}, "need mixes"),
        ({"chips": "h100,mi355x", "mix_step": 0.3}, "divide 1"),
        ({"chips": "h100,nope"}, "known"),
        ({"chips": "h100", "mixes": ["h100=0.5,mi355x=0.4"]}, "sum to 1"),
        ({"chips": "h100", "mixes": ["h100=0.5,mi355x=0.5"]}, "lacks"),
        ({"chips": "h100", "mfu": 1.5}, r"mfu must be in \[0, 1\]"),
        ({"chips": "h100", "objective": "best-flops"}, "max-OUTPUT"),
        ({"chips": "h100", "objective": "max-happiness"}, "unknown output"),
        ({"chips": "h100", "constraints": "grid-share:mars<=0.1"}, "mars"),
        ({"chips": "h100", "constraints": "average-power<=5 kg"}, "needs a power"),
        ({"chips": "h100", "constraints": "vendor-share:Intel<=0.5"}, "no chip of the sweep"),
        ({"chips": "h100", "constraints": "accelerators=5"}, "OUTPUT<=VALUE"),
        ({"chips": "h100", "bins": 0}, "bins"),
        ({"chips": "h100", "chunk_points": 0}, "chunk_points"),
    ],
)
def test_bad_input_is_a_clear_error(options: dict, message: str) -> None:
    with pytest.raises(capacity.CapacityError, match=message):
        sweep("30GW", **options)


def test_bad_power_axis() -> None:
    with pytest.raises(capacity.UnitError, match="needs a power"):
        sweep("30GWh", chips="h100")
    with pytest.raises(InputError, match="≥ 0"):
        parse_power_axis(capacity.ureg.Quantity(np.array([-1.0, 1.0]), "GW"))


def test_axes_ranges_include_stop() -> None:
    pue = parse_axis("1.05:1.6:0.01", "pue", 1, math.inf)
    assert len(pue) == 56 and pue[-1] == 1.6
    assert list(parse_axis("0.3:1:0.35", "u", 0, 1)) == [0.3, 0.6499999999999999, 1.0]
    assert list(parse_axis("1.1, 1.2", "pue", 1, math.inf)) == [1.1, 1.2]
    assert list(parse_power_axis("10GW:30GW:10GW")) == [1e10, 2e10, 3e10]


def test_simplex_enumeration() -> None:
    mixes = simplex_mixes(4, 0.05)
    assert mixes.shape == (1771, 4) == (simplex_mix_count(4, 0.05), 4)
    np.testing.assert_allclose(mixes.sum(axis=1), 1.0, rtol=1e-15)
    assert len({tuple(np.round(row * 20).astype(int)) for row in mixes}) == 1771
    assert simplex_mix_count(6, 0.05) == 53130
    with pytest.raises(InputError, match="mixes"):
        simplex_mixes(12, 0.01)


@pytest.mark.parametrize("grids", [None, ["texas"], ["world", "norway"]])
def test_the_best_points_conversion_is_at_the_sweeps_site(grids: list[str] | None) -> None:
    """The best point's emissions and water are those the sweep measured at that point: at the
    sweep's site region (the default one too), not at the first reference grid."""
    import capacity

    result = capacity.sweep("30GW", chips="h100", pue=1.2, utilization=0.8, grids=grids,
                            objective="max-delivered-flops", backend="numpy")  # fmt: skip
    assert result.points == 1 and result.best is not None
    environment = result.best.conversion.environment
    assert environment is not None
    assert environment.region == result.inputs["region"]
    emissions = environment.emissions.to("kgCO2e/year").magnitude
    assert emissions == pytest.approx(result.summary["emissions"].minimum, rel=1e-12)

"""Distributions of uncertain inputs, for Monte Carlo runs and portfolios.

An input is written as a number (fixed) or as ``KIND:PARAMETERS``:

===============================  ============================================================
``1.2`` or ``"30 GW"``           fixed
``uniform:LOW,HIGH``             uniform on [LOW, HIGH]
``tri:LOW,MODE,HIGH``            triangular (``triangular:`` too)
``normal:MEAN,SD[,LOW,HIGH]``    normal, truncated to the input's valid range (and to
                                 [LOW, HIGH] when given)
``lognormal:MEDIAN,SIGMA``       lognormal with that median and SIGMA the standard deviation
                                 of ln x, truncated to the input's valid range
``samples:FILE``                 the empirical distribution of the numbers in FILE (one per
                                 line, or a ``.npy`` array); an array does the same in the API
===============================  ============================================================

Numbers of inputs with a unit carry it: ``uniform:9GW,11GW``, ``tri:25kUSD,30kUSD,40kUSD``;
numbers of accelerators may be written "250k" or "1.2M" (``tri:4M,4.5M,5M``).
Each distribution draws by inverting its CDF at a uniform number (:mod:`capacity.kernels.
sampling`), so a sample is a pure function of the seed, the input's name and the sample's
index, on every backend.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from capacity.datafiles import SAMPLES_FILE_LIMIT, decode_text, read_bounded
from capacity.errors import CapacityError, InputError
from capacity.grammar import MAX_TEXT_LENGTH, read_number
from capacity.kernels.sampling import KINDS, ndtri_array, normal_cdf
from capacity.units import DIMENSIONS, parse_count, parse_quantity

__all__ = [
    "COUNT",
    "Distribution",
    "SamplesAccess",
    "fixed",
    "is_distribution_text",
    "parse_distribution",
]

# The dimension of a number of accelerators: plain numbers or "250k", "1.2M" (parse_count).
COUNT = "count"

# Four numbers with their units and a kind, with room to spare.
MAX_DISTRIBUTION_TEXT = 4 * MAX_TEXT_LENGTH

_ALIASES = {"tri": "triangular", "unif": "uniform", "lognorm": "lognormal", "norm": "normal"}
_PARAMETER_COUNTS = {"uniform": (2,), "triangular": (3,), "normal": (2, 4), "lognormal": (2,)}
_FORMS = (
    "a number, 'uniform:LOW,HIGH', 'tri:LOW,MODE,HIGH', 'normal:MEAN,SD[,LOW,HIGH]', "
    "'lognormal:MEDIAN,SIGMA' or 'samples:FILE'"
)


@dataclass(frozen=True, eq=False)
class Distribution:
    """One uncertain input, in SI units, with the range every draw is clipped to.

    Attributes
    ----------
    kind : str
        One of ``fixed``, ``uniform``, ``triangular``, ``normal``, ``lognormal``, ``samples``.
    parameters : tuple of float
        As written, in SI units: (value,), (low, high), (low, mode, high), (mean, sd),
        (median, sigma); empty for ``samples``.
    lower, upper : float
        The input's valid range (the truncation of normal and lognormal).
    samples : numpy.ndarray or None
        The values of a ``samples`` distribution.
    text : str
        How the input was written, for display.
    """

    kind: str
    parameters: tuple[float, ...]
    lower: float
    upper: float
    samples: np.ndarray | None = None
    text: str = ""

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    @property
    def _normal(self) -> tuple[float, float, float, float]:
        """(μ, σ, Φ(α), Φ(β)) of the normal (of ln x for lognormal) and its truncation."""
        mean, sd = self.parameters[0], self.parameters[1]
        low, high = self.lower, self.upper
        if self.kind == "lognormal":
            mean = math.log(mean)
            low = math.log(low) if low > 0 else -math.inf
            high = math.log(high) if high < math.inf else math.inf
        return mean, sd, normal_cdf((low - mean) / sd), normal_cdf((high - mean) / sd)

    def table_row(self, pool_offset: int = 0) -> tuple[float, ...]:
        """The row of the kernels' distribution table (:data:`~.sampling.TABLE_COLUMNS`)."""
        p = self.parameters
        kind = float(KINDS.index(self.kind))
        if self.kind == "fixed":
            row = (p[0], 0.0, 0.0, 0.0)
        elif self.kind == "uniform":
            row = (p[0], p[1], 0.0, 0.0)
        elif self.kind == "triangular":
            row = (p[0], p[1], p[2], 0.0)
        elif self.kind in ("normal", "lognormal"):
            row = self._normal
        else:
            assert self.samples is not None
            row = (float(pool_offset), float(self.samples.size), 0.0, 0.0)
        return (kind, *row, self.lower, self.upper)

    def ppf(self, u: Any) -> np.ndarray:
        """The quantile function (inverse CDF) at ``u`` in (0, 1), with NumPy. [SI unit]"""
        u = np.asarray(u, dtype=np.float64)
        p = self.parameters
        if self.kind == "fixed":
            x = np.full(u.shape, p[0])
        elif self.kind == "uniform":
            x = p[0] + (p[1] - p[0]) * u
        elif self.kind == "triangular":
            low, mode, high = p
            left = low + np.sqrt(u * (high - low) * (mode - low))
            right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
            x = np.where(u * (high - low) < mode - low, left, right)
        elif self.kind in ("normal", "lognormal"):
            mean, sd, f_low, f_high = self._normal
            z = mean + sd * ndtri_array(f_low + u * (f_high - f_low))
            x = np.exp(z) if self.kind == "lognormal" else z
        else:
            assert self.samples is not None
            n = self.samples.size
            x = self.samples[np.minimum((u * n).astype(np.int64), n - 1)]
        return np.clip(x, self.lower, self.upper)

    def nominal(self) -> float:
        """The single value a deterministic run uses: the value, midpoint, mode, mean of the
        normal or median of the lognormal (each clipped to the valid range), or the median of
        the samples."""
        p = self.parameters
        if self.kind == "uniform":
            value = 0.5 * (p[0] + p[1])
        elif self.kind == "triangular":
            value = p[1]
        elif self.kind == "samples":
            assert self.samples is not None
            value = float(np.median(self.samples))
        else:
            value = p[0]
        return float(min(max(value, self.lower), self.upper))

    def mean(self) -> float:
        """The exact mean (of the truncated distribution where it is truncated)."""
        return self._moments()[0]

    def std(self) -> float:
        """The exact standard deviation."""
        mean, second = self._moments()
        return math.sqrt(max(second - mean * mean, 0.0))

    def _moments(self) -> tuple[float, float]:
        """(E[X], E[X²])."""
        p = self.parameters
        if self.kind == "fixed":
            return p[0], p[0] ** 2
        if self.kind == "uniform":
            a, b = p
            return (a + b) / 2, (a * a + a * b + b * b) / 3
        if self.kind == "triangular":
            a, c, b = p
            mean = (a + b + c) / 3
            return mean, mean**2 + (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        if self.kind == "samples":
            assert self.samples is not None
            return float(np.mean(self.samples)), float(np.mean(self.samples**2))
        mu, sigma, f_low, f_high = self._normal
        mass = f_high - f_low
        alpha = math.log(self.lower) if self.kind == "lognormal" and self.lower > 0 else None
        low_z = ((alpha if alpha is not None else self.lower) - mu) / sigma
        if self.kind == "lognormal" and self.lower <= 0:
            low_z = -math.inf
        high_edge = math.log(self.upper) if self.kind == "lognormal" else self.upper
        high_z = (high_edge - mu) / sigma if math.isfinite(high_edge) else math.inf
        if self.kind == "lognormal":

            def raw(order: int) -> float:
                shifted = normal_cdf(high_z - order * sigma) - normal_cdf(low_z - order * sigma)
                return math.exp(order * mu + 0.5 * order**2 * sigma**2) * shifted / mass

            return raw(1), raw(2)

        def density(z: float) -> float:
            return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) if math.isfinite(z) else 0.0

        def z_density(z: float) -> float:
            return z * density(z) if math.isfinite(z) else 0.0

        shift = (density(low_z) - density(high_z)) / mass
        variance = sigma**2 * (1 + (z_density(low_z) - z_density(high_z)) / mass - shift**2)
        mean = mu + sigma * shift
        return mean, variance + mean * mean

    def __repr__(self) -> str:
        return f"Distribution({self.text or self.kind!r})"


def fixed(value: float, lower: float = -math.inf, upper: float = math.inf) -> Distribution:
    """A fixed input."""
    return Distribution("fixed", (float(value),), lower, upper, text=f"{value:g}")


def parse_distribution(
    value: Any,
    name: str,
    *,
    dimension: str = "dimensionless",
    lower: float = -math.inf,
    upper: float = math.inf,
    samples_access: SamplesAccess | None = None,
) -> Distribution:
    """Read an input that may be uncertain.

    Parameters
    ----------
    value : float, str, pint.Quantity, array or Distribution
        A fixed value, a distribution string (see the module's table), an array of samples,
        or an already parsed distribution (checked against the range again).
    name : str
        The input's name, quoted in errors.
    dimension : str
        A key of :data:`capacity.units.DIMENSIONS`, whose SI unit numbers are converted to,
        or :data:`COUNT` for a number of accelerators.
    lower, upper : float
        The valid range in SI units: draws are truncated (normal, lognormal) or must lie
        inside it (the others).
    samples_access : SamplesAccess, optional
        Where a ``samples:FILE`` is read from. Default: a path typed by the user, relative to
        the current directory and allowed anywhere; a file that names samples passes
        ``SamplesAccess(its_folder, confined=True)``.

    Examples
    --------
    >>> pue = parse_distribution("tri:1.1,1.2,1.4", "pue", lower=1.0)
    >>> pue.kind, pue.nominal(), round(pue.mean(), 6)
    ('triangular', 1.2, 1.233333)
    >>> parse_distribution("uniform:9GW,11GW", "power", dimension="power").parameters
    (9000000000.0, 11000000000.0)
    """
    if isinstance(value, Distribution):
        return _checked(value, name, lower, upper)
    if isinstance(value, np.ndarray | list | tuple):
        samples = np.array(
            [_number(v, name, dimension) for v in np.ravel(np.asarray(value, dtype=object))]
        )
        return _samples(samples, name, lower, upper, text=f"{samples.size} samples")
    if dimension != COUNT and dimension not in DIMENSIONS:
        known = ", ".join([*DIMENSIONS, COUNT])
        raise InputError(f"dimension must be one of {known}; got {dimension!r}")
    for bound_name, bound in (("lower", lower), ("upper", upper)):
        if isinstance(bound, bool) or not isinstance(
            bound, int | float | np.integer | np.floating
        ):
            raise InputError(f"{bound_name} must be a number, got {bound!r}")
        if math.isnan(bound):
            raise InputError(f"{bound_name} must be a number, not NaN")
    if isinstance(value, str) and len(value) > MAX_DISTRIBUTION_TEXT:
        raise InputError(
            f"{name}: the text is {len(value):,} characters long; a distribution takes at "
            f"most {MAX_DISTRIBUTION_TEXT}"
        )
    if is_distribution_text(value):
        kind_text, _, rest = value.partition(":")
        kind = _ALIASES.get(kind_text.strip().lower(), kind_text.strip().lower())
        if kind == "samples":
            samples = _read_samples(rest.strip(), name, dimension, samples_access)
            return _samples(samples, name, lower, upper, text=value)
        if kind == "fixed":
            number = _number(rest, name, dimension)
            return _checked(fixed(number, lower, upper), name, lower, upper)
        if kind not in _PARAMETER_COUNTS:
            raise InputError(
                f"{name}: unknown distribution {kind_text!r} in {value!r}; use {_FORMS}"
            )
        parts = _split(rest)
        if len(parts) not in _PARAMETER_COUNTS[kind]:
            counts = " or ".join(str(c) for c in _PARAMETER_COUNTS[kind])
            raise InputError(
                f"{name}: {kind} takes {counts} numbers separated by commas, got {value!r} "
                "(inside a distribution, commas separate numbers: group digits with spaces, "
                "'1 500 MW'); use " + _FORMS
            )
        numbers = tuple(_number(part, name, dimension) for part in parts)
        if len(numbers) not in _PARAMETER_COUNTS[kind]:
            counts = " or ".join(str(c) for c in _PARAMETER_COUNTS[kind])
            raise InputError(f"{name}: {kind} takes {counts} numbers, got {value!r}; use {_FORMS}")
        if kind == "normal" and len(numbers) == 4:
            lower, upper = max(lower, numbers[2]), min(upper, numbers[3])
            numbers = numbers[:2]
        return _checked(Distribution(kind, numbers, lower, upper, text=value), name, lower, upper)
    return _checked(fixed(_number(value, name, dimension), lower, upper), name, lower, upper)


def is_distribution_text(value: Any) -> bool:
    """Whether ``value`` is written as ``KIND:PARAMETERS`` (not a number or a quantity, which
    never start with a letter and a colon)."""
    if not isinstance(value, str) or ":" not in value:
        return False
    kind = value.partition(":")[0].strip()
    return kind.isalpha()


def _split(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",")]
    return [part for part in parts if part]


def _number(value: Any, name: str, dimension: str) -> float:
    """One parameter or sample, in the SI unit of ``dimension``, finite (capacity.grammar)."""
    if isinstance(value, np.integer | np.floating):
        value = value.item()
    if dimension == COUNT:
        count = parse_count(value, name) if not isinstance(value, bool) else None
        if count is None:
            raise InputError(
                f"{name}: {value!r} is not a number of accelerators such as 250000, '250k' "
                "or '1.2M'"
            )
        return count
    if isinstance(value, str) and dimension == "dimensionless":
        return read_number(value, name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if dimension != "dimensionless":
            example = DIMENSIONS[dimension][1]
            raise InputError(f"{name}: {value!r} needs a unit, such as {example!r}")
        number = float(value)
    else:
        quantity = parse_quantity(value, dimension, name)
        number = float(quantity.to(DIMENSIONS[dimension][0]).magnitude)
    if not math.isfinite(number):
        raise InputError(f"{name}: {value!r} is not a finite number")
    return number


@dataclass(frozen=True)
class SamplesAccess:
    """Where the file of a ``samples:FILE`` input may be read from.

    Attributes
    ----------
    folder : Path or None
        The folder a relative path is read from; None for the current directory.
    confined : bool
        Refuse a file outside ``folder`` (once ``..`` and links are resolved): a path inside
        a file someone else wrote may not reach the user's other files.
    """

    folder: Path | None = None
    confined: bool = False


# A samples file is at most datafiles.SAMPLES_FILE_LIMIT bytes and holds at most this many
# samples (8 MB as float64); an empirical distribution needs far fewer.
SAMPLES_LIMIT = 1_000_000
_NPY_NUMBER_KINDS = "iuf"  # signed and unsigned integers, floats


def _read_samples(
    path_text: str, name: str, dimension: str, access: SamplesAccess | None = None
) -> np.ndarray:
    """The numbers of a samples file (one per line, or a ``.npy`` array) in SI units.

    Errors name the file and the line but never quote the file: it may be any file the path
    reaches.
    """
    path = _samples_path(path_text, name, access or SamplesAccess())
    try:
        data = read_bounded(path, what="samples file", limit=SAMPLES_FILE_LIMIT, error=InputError)
    except CapacityError as error:
        raise InputError(f"{name}: {error}") from None
    where = f"{name}: samples file {str(path)!r}"
    if path.suffix == ".npy":
        return _npy_samples(data, where, dimension)
    text = decode_text(data, where, what="samples file", error=InputError)
    numbered = [
        (number, line.split(",")[0])
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(numbered) > SAMPLES_LIMIT:
        raise InputError(
            f"{where}: {len(numbered):,} samples, more than the {SAMPLES_LIMIT:,} allowed"
        )
    values = []
    for number, field in numbered:
        try:
            values.append(_number(field, name, dimension))
        except CapacityError:
            raise InputError(
                f"{where}: line {number}: expected {_one_sample(dimension)}, one sample per "
                "line (blank lines and lines starting with # are skipped)"
            ) from None
    return np.array(values, dtype=np.float64)


def _samples_path(path_text: str, name: str, access: SamplesAccess) -> Path:
    if not path_text:
        raise InputError(f"{name}: 'samples:' needs a file, such as 'samples:pue.txt'")
    folder = access.folder if access.folder is not None else Path.cwd()
    path = folder / Path(path_text).expanduser()
    if access.confined:
        real, real_folder = path.resolve(), folder.resolve()
        if not real.is_relative_to(real_folder):
            raise InputError(
                f"{name}: samples file {path_text!r} is outside {str(folder)!r}, the folder of "
                "the file that names it; move the samples into that folder, or allow files "
                "outside it (allow_samples_outside=True; capacity portfolio "
                "--allow-samples-outside)"
            )
    return path


def _one_sample(dimension: str) -> str:
    if dimension == COUNT:
        return "a number of accelerators such as 250000 or 250k"
    if dimension == "dimensionless":
        return "a plain number such as 1.2"
    return f"a value of {dimension} with its unit, such as {DIMENSIONS[dimension][1]!r}"


def _npy_samples(data: bytes, where: str, dimension: str) -> np.ndarray:
    """The numbers of a ``.npy`` array, its header checked before any data is read."""
    if dimension not in ("dimensionless", COUNT):
        example = DIMENSIONS[dimension][1]
        raise InputError(
            f"{where}: a .npy array holds plain numbers, and this input needs a unit; write "
            f"the samples as text, one per line, such as {example!r}"
        )
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }[version]
        shape, _, dtype = read_header(buffer)
    except (ValueError, KeyError, OSError):
        raise InputError(
            f"{where}: not a .npy array of numbers (format version 1 or 2, as numpy.save writes)"
        ) from None
    count = math.prod(shape)
    if dtype.kind not in _NPY_NUMBER_KINDS:
        raise InputError(f"{where}: the array holds {dtype}, not integers or floats")
    if count > SAMPLES_LIMIT:
        raise InputError(f"{where}: {count:,} samples, more than the {SAMPLES_LIMIT:,} allowed")
    if len(data) - buffer.tell() < count * dtype.itemsize:
        raise InputError(f"{where}: the file ends before the {count:,} samples its header gives")
    buffer.seek(0)
    values = np.ravel(np.load(buffer, allow_pickle=False)).astype(np.float64)
    invalid = ~np.isfinite(values)
    if dimension == COUNT:
        invalid |= values < 0
    if np.any(invalid):
        first = int(np.flatnonzero(invalid)[0])
        raise InputError(
            f"{where}: sample {first} (counting from 0) is not {_one_sample(dimension)}"
        )
    return values


def _samples(
    samples: np.ndarray, name: str, lower: float, upper: float, *, text: str
) -> Distribution:
    if samples.size == 0:
        raise InputError(f"{name}: no samples given")
    distribution = Distribution(
        "samples", (), lower, upper, samples=np.ascontiguousarray(samples, dtype=np.float64),
        text=text,
    )  # fmt: skip
    return _checked(distribution, name, lower, upper)


def _checked(distribution: Distribution, name: str, lower: float, upper: float) -> Distribution:
    d = distribution
    if (d.lower, d.upper) != (lower, upper) and d.kind not in ("normal", "lognormal"):
        d = Distribution(d.kind, d.parameters, lower, upper, d.samples, d.text)
    p = d.parameters
    where = f"{name}: {d.text or d.kind}"
    valid = _range_text(lower, upper)
    if d.kind == "samples":
        assert d.samples is not None
        if not np.all(np.isfinite(d.samples)):
            raise InputError(f"{where}: samples must be finite numbers")
        low, high = float(d.samples.min()), float(d.samples.max())
        if low < lower or high > upper:
            raise InputError(
                f"{where}: samples run from {low:g} to {high:g}; {name} must be {valid}"
            )
    elif d.kind in ("normal", "lognormal"):
        if not p[1] > 0:
            raise InputError(f"{where}: the spread must be > 0, got {p[1]:g}")
        if d.kind == "lognormal" and not p[0] > 0:
            raise InputError(f"{where}: the median must be > 0, got {p[0]:g}")
        if not d.lower < d.upper:
            empty = _range_text(d.lower, d.upper)
            raise InputError(f"{where}: the truncation range {empty} is empty")
        _, _, f_low, f_high = d._normal
        if not f_high - f_low > 1e-12:
            raise InputError(f"{where}: almost no probability lies where {name} is {valid}")
    else:
        if any(x > y for x, y in itertools.pairwise(p)):
            raise InputError(f"{where}: the numbers must be in increasing order")
        if min(p) < lower or max(p) > upper:
            raise InputError(f"{where}: {name} must be {valid}")
    return d


def _range_text(lower: float, upper: float) -> str:
    if math.isinf(upper):
        return f"≥ {lower:g}"
    if math.isinf(lower):
        return f"≤ {upper:g}"
    return f"in [{lower:g}, {upper:g}]"

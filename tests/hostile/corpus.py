"""A corpus of hostile inputs for the CLI and the API, each with the outcome it must have.

Every case either must be refused (exit code 2 and one ``error:`` line naming what was wrong,
or a ``CapacityError`` subclass naming the argument) or must give an exact value. Cases that
reach a kernel use the NumPy backend, so that the corpus runs in seconds and forks safely.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CASES", "Case"]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # "cli" or "api"
    expect: str  # "error", "value" or "ok"
    argv: tuple[str, ...] = ()
    code: str = ""
    setup: str = ""
    match: str = ""
    """A regex the error line or message must match: what was wrong, by name."""
    path: str = ""
    """Dotted path into the JSON output (CLI) whose value is checked."""
    value: Any = None
    rel: float = 1e-12
    files: dict[str, str | bytes] = field(default_factory=dict)
    fifos: tuple[str, ...] = ()
    env: dict[str, str | None] = field(default_factory=dict)
    encoding: str | None = None
    timeout: float = 20.0

    def materialize(self, folder: Path) -> None:
        """Write the case's files (and FIFOs) into ``folder``, its working directory."""
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        for name in self.fifos:
            os.mkfifo(folder / name)

    def request(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "argv": list(self.argv), "code": self.code, "setup": self.setup,
            "env": self.env, "encoding": self.encoding, "timeout": self.timeout,
        }  # fmt: skip


CASES: list[Case] = []


def refuse(case_id: str, *argv: str, match: str = "", **options: Any) -> None:
    CASES.append(Case(case_id, "cli", "error", argv=argv, match=match, **options))


def gives(case_id: str, *argv: str, path: str, value: Any, **options: Any) -> None:
    CASES.append(Case(case_id, "cli", "value", argv=argv, path=path, value=value, **options))


def runs(case_id: str, *argv: str, **options: Any) -> None:
    CASES.append(Case(case_id, "cli", "ok", argv=argv, **options))


def api_refuses(case_id: str, code: str, match: str = "", setup: str = "", **options: Any) -> None:
    CASES.append(Case(case_id, "api", "error", code=code, match=match, setup=setup, **options))


def api_gives(case_id: str, code: str, value: Any, setup: str = "", **options: Any) -> None:
    CASES.append(Case(case_id, "api", "value", code=code, value=value, setup=setup, **options))


JSON = ("--format", "json")
W_PER_H100 = 1275.0 * 1.11  # provisioned IT W per H100 SXM: DGX H100 10.2 kW / 8, + 11 %

# --- quantities written by users --------------------------------------------------------------

GOOD_POWERS = {
    "1 500 MW": 1.5e9,
    "1,500 MW": 1.5e9,
    "1_500 MW": 1.5e9,
    "1\u202f500 MW": 1.5e9,
    "1 000 GW": 1e12,
    "30GW": 30e9,
    ".5 GW": 0.5e9,
    "2.5e3 MW": 2.5e9,
}
BAD_POWERS = {
    "30 GW 2": "30 GW 2",
    "30 GW @ 1.2": "30 GW @ 1.2",
    "GW": "GW",
    "10**10**10 GW": r"10\*\*10",
    "digits": "characters long",
    "1e308 GW": "too large",
    "nan GW": "nan",
    "inf GW": "inf",
    "-30 GW": "power",
    "0x1F GW": "0x1F",
    "30 GWh": "energy",
    "1,5 GW": "1,5",
    "30 GW;rm -rf": "30 GW;rm",
    "30 kg": "mass",
    "1e-400 W": "too small",
    "30 GW * 2": r"\*",
    "(30) GW": r"\(30\)",
    "1,500 000 W": "separator",
}


def _power_text(key: str) -> str:
    return "9" * 200_000 + " GW" if key == "digits" else key


for text, watts in GOOD_POWERS.items():
    gives(f"convert-power[{text}]", "convert", "--chip", "h100", *JSON, "--", text,
          path="inputs.power_w", value=watts)  # fmt: skip
gives("convert-1500MW-accelerators", "convert", "--chip", "h100", *JSON, "--", "1 500 MW",
      path="accelerators", value=1.5e9 / 1.2 / W_PER_H100)  # fmt: skip
for key, match in BAD_POWERS.items():
    refuse(f"convert-power[{key}]", "convert", "--chip", "h100", "--", _power_text(key),
           match=match)  # fmt: skip
for key in ("30 GW 2", "GW", "10**10**10 GW", "nan GW", "1e308 GW", "1,5 GW", "digits"):
    text = _power_text(key)
    refuse(f"sweep-power[{key}]", "sweep", "--chips", "h100", "--backend", "numpy", "--", text)
    refuse(f"montecarlo-power[{key}]", "montecarlo", "--chip", "h100", "--backend", "numpy",
           "--samples", "1000", "--", text)  # fmt: skip
    refuse(f"costs-power[{key}]", "costs", "--chip", "h100", "--", text)
    refuse(f"check-power[{key}]", "check", "--power", text, "--count", "1M", "--chip", "h100")
for key in ("1e308", "1e400", "nan", "1,5", "1,2,3"):
    refuse(f"convert-count[{key}]", "convert", "--chip", "h100", *JSON, "--", key)
gives("convert-count[200 000]", "convert", "--chip", "h100", *JSON, "--", "200 000",
      path="accelerators", value=200000.0)  # fmt: skip
gives("convert-count[4.5M]", "convert", "--chip", "h100", *JSON, "--", "4.5M",
      path="accelerators", value=4.5e6)  # fmt: skip
gives("sweep-power-axis[1 500 MW,2 GW]", "sweep", "1 500 MW,2 GW", "--chips", "h100",
      "--backend", "numpy", *JSON, path="axes.power_w.min", value=1.5e9)  # fmt: skip
refuse("montecarlo-power[uniform:1,500 MW,2 GW]", "montecarlo", "uniform:1,500 MW,2 GW",
       "--chip", "h100", "--backend", "numpy", "--samples", "2000",
       match="commas separate")  # fmt: skip
runs("montecarlo-power[uniform:1 500 MW,2 GW]", "montecarlo", "uniform:1 500 MW,2 GW",
     "--chip", "h100", "--backend", "numpy", "--samples", "2000", *JSON)  # fmt: skip

# --- numeric options --------------------------------------------------------------------------

BAD_NUMBERS = ["nan", "inf", "-inf", "1_2", "1,5", "abc", "1e999", "", "1.2.3", "0x2", "1.2 GW"]
for option in ("--pue", "--utilization", "--mfu"):
    for text in BAD_NUMBERS:
        refuse(f"convert{option}[{text}]", "convert", "30GW", "--chip", "h100", option, text)
for option in ("--pue", "--utilization"):
    for text in ("nan", "1_2", "-1"):
        refuse(f"costs{option}[{text}]", "costs", "30GW", "--chip", "h100", option, text)
        refuse(f"check{option}[{text}]", "check", "30 GW = 4M h100", option, text)
refuse("convert--pue[0.9]", "convert", "30GW", "--chip", "h100", "--pue", "0.9", match="pue")
refuse("convert--utilization[1.5]", "convert", "30GW", "--chip", "h100", "--utilization", "1.5",
       match="utilization")  # fmt: skip
refuse("convert--mfu[-0.1]", "convert", "30GW", "--chip", "h100", "--mfu", "-0.1", match="mfu")
gives("convert--pue[1.3]", "convert", "30GW", "--chip", "h100", "--pue", "1.3", *JSON,
      path="inputs.pue", value=1.3)  # fmt: skip
gives("convert--utilization[80%]", "convert", "30GW", "--chip", "h100", "--utilization", "80%",
      *JSON, path="inputs.utilization", value=0.8)  # fmt: skip
gives("convert--pue[1 500%]", "convert", "30GW", "--chip", "h100", "--pue", "150%", *JSON,
      path="inputs.pue", value=1.5)  # fmt: skip
refuse("check--tolerance[nan]", "check", "30 GW = 4M h100", "--tolerance", "nan")
refuse("check--tolerance[-1]", "check", "30 GW = 4M h100", "--tolerance", "-1")

# --- sweeps -----------------------------------------------------------------------------------

SWEEP = ("sweep", "30GW", "--chips", "h100", "--backend", "numpy")
refuse("sweep--pue[1.1:1.5:0.3]", *SWEEP, "--pue", "1.1:1.5:0.3", match=r"1\.4 or 1\.7")
for text in ("1.1:1.5:0", "1.1:1.5:-0.1", "1.5:1.1:0.1", "1:2:1e-12", "1.1:1.5", "1.1::0.1",
             "1.1,nan", "1.1,,1.2", "nan:2:0.1", "1:inf:0.1", "1:2:0.1:3", "0.5:1:0.1",
             "1.1,1_2"):  # fmt: skip
    refuse(f"sweep--pue[{text}]", *SWEEP, "--pue", text, match="pue")
for text in ("0:1.5:0.5", "-0.1,0.5", "0.5,nan", "50%:100%:10"):
    refuse(f"sweep--utilization[{text}]", *SWEEP, "--utilization", text, match="utilization")
gives("sweep--utilization[0.5:1:0.1]", *SWEEP, "--utilization", "0.5:1:0.1", *JSON,
      path="axes.utilization.count", value=6)  # fmt: skip
gives("sweep--pue[1.1:1.4:0.3]", *SWEEP, "--pue", "1.1:1.4:0.3", *JSON, path="axes.pue.max",
      value=1.4)  # fmt: skip
MIXED = ("sweep", "30GW", "--chips", "h100,mi355x", "--backend", "numpy")
for text in ("0.3", "0", "-0.5", "nan", "2", "1e-9"):
    refuse(f"sweep--mix-step[{text}]", *MIXED, "--mix-step", text, match="mix")
for option, text in (("--bins", "0"), ("--bins", "-1"), ("--bins", "1.5"), ("--bins", "1e9"),
                     ("--bins", "nan"), ("--chunk-points", "0"), ("--chunk-points", "-5"),
                     ("--chunk-points", "1.5"), ("--chunk-points", "1e30 W")):  # fmt: skip
    refuse(f"sweep{option}[{text}]", *SWEEP, option, text, match=option.strip("-").split("-")[0])
for text in ("average-power<=nan GW", "average-power<=inf GW", "average-power<=",
             "bogus<=1", "average-power<=30 kg", "average-power=30GW", "vendor-share<=nan",
             "chip-share:h1000>=0.1", "grid-share:nowhere<=0.5", "average-power<=30 GW 2",
             "average-power<=1,5 GW"):  # fmt: skip
    refuse(f"sweep--constraint[{text}]", *SWEEP, "--objective", "max-accelerators",
           "--constraint", text, match="constraint")  # fmt: skip
for text in ("max-bogus", "maximize", "min-", "max-grid-share:nowhere", ""):
    refuse(f"sweep--objective[{text}]", *SWEEP, "--objective", text, match="objective")
refuse("sweep--backend[cuda]", *SWEEP[:-2], "--backend", "cuda", match="cuda")
refuse("sweep--backend[gpu]", *SWEEP[:-2], "--backend", "gpu", match="backend")
refuse("sweep--chips[h1000]", "sweep", "30GW", "--chips", "h100,h1000", match="h1000")
refuse("sweep--chips[dup]", "sweep", "30GW", "--chips", "h100,h100-sxm", match="twice")
refuse("sweep--mix[sum]", "sweep", "30GW", "--mix", "h100=0.5,gb300=0.6", match="sum to 1")
refuse("sweep--mix[nan]", "sweep", "30GW", "--mix", "h100=nan,gb300=0.5", match="h100")

# --- Monte Carlo ------------------------------------------------------------------------------

MONTE = ("montecarlo", "30GW", "--chip", "h100", "--backend", "numpy", "--samples", "2000")
for text in ("uniform:nan,2", "uniform:1,inf", "tri:1.2,1.1,1.4", "uniform:1", "uniform:2,1",
             "normal:1.2,0", "normal:1.2,nan", "lognormal:-1,0.5", "lognormal:1.2,-1",
             "bogus:1,2", "uniform:1,2,3", "tri:1,1_2,2", "uniform:1 GW,2 GW", "fixed:nan",
             "uniform:0.5,0.9", "samples:", "samples:missing.txt", "uniform:" + "1" * 5000,
             "normal:1.2,0.1,2,1"):  # fmt: skip
    refuse(f"montecarlo--pue[{text[:40]}]", *MONTE, "--pue", text, match="pue")
for text in ("uniform:0.5,1.5", "tri:-0.1,0.5,0.9", "normal:nan,0.1"):
    refuse(f"montecarlo--utilization[{text}]", *MONTE, "--utilization", text,
           match="utilization")  # fmt: skip
for text in ("0", "-1", "nan", "1e30", "1.5", "abc", "1,5", "10 GW"):
    refuse(f"montecarlo--samples[{text}]", *MONTE[:-2], "--samples", text, match="samples")
for text in ("1.5", "nan", "-1"):
    refuse(f"montecarlo--quantile[{text}]", *MONTE, "--quantile", text, match="quantile")
for text in ("0", "-3", "1e9"):
    refuse(f"montecarlo--bins[{text}]", *MONTE, "--bins", text, match="bins")
refuse("montecarlo--seed[1.5]", *MONTE, "--seed", "1.5", match="seed")
refuse("montecarlo--seed[nan]", *MONTE, "--seed", "nan", match="seed")
refuse("montecarlo--price[nan]", *MONTE, "--price", "h100=nan USD", match="price")
refuse("montecarlo--price[bad]", *MONTE, "--price", "h100", match="price")
refuse("montecarlo--electricity[nan]", *MONTE, "--electricity", "uniform:nan,1", match="elec")
refuse("montecarlo--power-uncertainty[bad]", *MONTE, "--power-uncertainty", "h100=tri:1,0.9,1.1",
       match="h100")  # fmt: skip
refuse(
    "montecarlo-samples-file-echo",
    *MONTE,
    "--pue",
    "samples:secret.txt",
    files={"secret.txt": "root:x:0:0:root:/root:/bin/bash\n"},
    match="secret.txt",
)
refuse(
    "montecarlo-samples-file-nan",
    *MONTE,
    "--pue",
    "samples:s.txt",
    files={"s.txt": "1.2\nnan\n1.3\n"},
    match="s.txt",
)
refuse("montecarlo-samples-file-dev-zero", *MONTE, "--pue", "samples:/dev/zero",
       match="zero")  # fmt: skip
runs("montecarlo-samples-file", *MONTE, "--pue", "samples:s.txt", *JSON,
     files={"s.txt": "1.2\n1.3\n1.25\n"})  # fmt: skip

# --- portfolio files --------------------------------------------------------------------------

HEADER = '[portfolio]\nname = "p"\n\n'


def deal(**fields: str) -> str:
    base = {"name": '"a"', "counterparty": '"c"', "chip": '"h100"', "start": "2026-01-01",
            "power": '"1 GW"'}  # fmt: skip
    base.update(fields)
    body = "".join(f"{key} = {value}\n" for key, value in base.items() if value != "")
    return HEADER + "[[deal]]\n" + body


def portfolio_refuses(case_id: str, text: str | bytes, match: str = "p.toml", *more: str) -> None:
    refuse(f"portfolio-{case_id}", "portfolio", "p.toml", *more, files={"p.toml": text},
           match=match)  # fmt: skip


portfolio_refuses("nested-brackets", "x = " + "[" * 5000, "p.toml")
portfolio_refuses("nested-tables", "x = " + "{a = " * 5000, "p.toml")
portfolio_refuses("binary", b"\x00\xff\xfe" * 1000, "p.toml")
portfolio_refuses("empty", "", "p.toml")
portfolio_refuses("power-1,5", deal(power='"1,5 GW"'), "1,5")
portfolio_refuses("power-arith", deal(power='"30 GW 2"'), "power")
portfolio_refuses("power-nan-float", deal(power="nan"), "power")
portfolio_refuses("power-nan-text", deal(power='"nan GW"'), "power")
portfolio_refuses("pue-inf", deal(pue="inf"), "pue")
portfolio_refuses("pue-nan-text", deal(pue='"uniform:nan,2"'), "pue")
portfolio_refuses("utilization-2", deal(utilization="2"), "utilization")
portfolio_refuses("count-bool", deal(power="", accelerators="true"), "accelerators")
portfolio_refuses("count-1,5", deal(power="", accelerators='"1,5"'), "accelerators")
portfolio_refuses("count-nan", deal(power="", accelerators="nan"), "accelerators")
portfolio_refuses("date-text", deal(start='"soon"'), "start")
portfolio_refuses("end-before-start", deal(end="2025-01-01"), "end")
portfolio_refuses("samples-outside", deal(pue='"samples:/etc/passwd"'), "pue")
portfolio_refuses("samples-parent", deal(pue='"samples:../x.txt"'), "pue")
portfolio_refuses("unknown-key", deal(bogus="1"), "bogus")
portfolio_refuses("unknown-chip", deal(chip='"h1000"'), "h1000")
refuse("portfolio-dev-zero", "portfolio", "/dev/zero", match="zero")
refuse("portfolio-directory", "portfolio", ".", match="")
refuse("portfolio-missing", "portfolio", "missing.toml", match="missing.toml")
refuse("portfolio-fifo", "portfolio", "pipe.toml", fifos=("pipe.toml",), match="pipe.toml",
       timeout=10)  # fmt: skip
refuse("portfolio-samples-echo", "portfolio", "p.toml",
       files={"p.toml": deal(pue='"samples:s.txt"'), "s.txt": "secret-line-42\n"},
       match="s.txt")  # fmt: skip
refuse("portfolio-samples-zero", "portfolio", "p.toml", "--samples", "0",
       files={"p.toml": deal()}, match="samples")  # fmt: skip
refuse("portfolio--out-proc", "portfolio", "p.toml", "--out", "/proc/x.json",
       files={"p.toml": deal()}, match="x.json")  # fmt: skip
refuse("portfolio--out-missing-dir", "portfolio", "p.toml", "--out", "no/such/dir/x.json",
       files={"p.toml": deal()}, match="x.json|dir")  # fmt: skip
refuse("portfolio--out-directory", "portfolio", "p.toml", "--out", ".",
       files={"p.toml": deal()})  # fmt: skip
gives(
    "portfolio-power-1 500 MW",
    "portfolio",
    "p.toml",
    *JSON,
    files={"p.toml": deal(power='"1 500 MW"')},
    path="total.facility_power_w",
    value=1.5e9,
)
# A schedule may end on the last day a date holds (it raised "year 10000 is out of range").
for key, expected in (("year", 9999), ("online_fraction.a", 1.0)):
    gives(f"portfolio-year-9999[{key}]", "portfolio", "p.toml", *JSON,
          files={"p.toml": deal(start="9999-12-31", end="9999-12-31")},
          path=f"timeline.0.{key}", value=expected)  # fmt: skip
# --- grid and profile files -------------------------------------------------------------------

GRID = (
    '[g]\nname = "G"\nannual_energy = { value = "%s", confidence = "datasheet", source = "s" }\n'
)
refuse("grids--grid-file-dev-zero", "grids", "--grid-file", "/dev/zero", match="zero")
refuse("convert--grid-file-dev-zero", "convert", "1GW", "--chip", "h100", "--grid-file",
       "/dev/zero", match="zero")  # fmt: skip
refuse("grids--grid-file-nested", "grids", "--grid-file", "g.toml",
       files={"g.toml": "x = " + "[" * 5000}, match="g.toml")  # fmt: skip
refuse("grids--grid-file-fifo", "grids", "--grid-file", "g.toml", fifos=("g.toml",),
       match="g.toml", timeout=10)  # fmt: skip
for value in ("nan TWh", "-5 TWh", "30 GW", "1 500,5 TWh", "30 TWh 2"):
    refuse(f"grids--grid-file[{value}]", "grids", "--grid-file", "g.toml",
           files={"g.toml": GRID % value}, match="g.toml")  # fmt: skip
runs("convert--grid-file[1 000 TWh]", "convert", "1GW", "--chip", "h100", "--grid-file",
     "g.toml", "--grid", "g", *JSON, files={"g.toml": GRID % "1 000 TWh"})  # fmt: skip
refuse("chips--profiles-file-not-dir", "chips", "--profiles", "p.toml", files={"p.toml": "x"})
refuse("chips--profiles-bad", "chips", "--profiles", "d", files={"d/x.toml": 'id = "x"\n'},
       match="x.toml")  # fmt: skip
refuse("chips--profiles-nested", "chips", "--profiles", "d",
       files={"d/x.toml": "x = " + "[" * 5000}, match="x.toml")  # fmt: skip
refuse("chips--profiles-fifo", "chips", "--profiles", "d", files={"d/.keep": ""},
       fifos=("d/x.toml",), match="x.toml", timeout=10)  # fmt: skip
refuse("chips--profiles-env-dev-zero", "chips", env={"CAPACITY_PROFILES": "/dev/zero"},
       match="zero")  # fmt: skip

# --- overrides --------------------------------------------------------------------------------

for text, match in (("h100.tdp=nan W", "tdp"), ("h100.tdp=-5 W", "tdp"),
                    ("h100.tdp=10**10 W", "tdp"), ("h100.tdp=1 500,5 W", "tdp"),
                    ("h100.bogus=1", "bogus"), ("h100.tdp", "set"), ("h1000.tdp=1 W", "h1000"),
                    ("h100.tdp=700 kg", "tdp"), ("h100.tdp=1e400 W", "tdp"),
                    ("h100.peak.bf16=1e999 TFLOP/s", "bf16")):  # fmt: skip
    refuse(f"convert--set[{text}]", "convert", "1GW", "--chip", "h100", "--set", text,
           match=match)  # fmt: skip
gives("convert--set[system.power=10 200 W]", "convert", "1GW", "--chip", "h100", "--set",
      "h100.system.power=10 200 W", *JSON, path="accelerators",
      value=1e9 / 1.2 / W_PER_H100)  # fmt: skip

# --- claims -----------------------------------------------------------------------------------

for text in ("30 GW 2 = 4M h100", "nan GW = 4M h100", "30 GW = nan h100", "GW = 4M h100",
             "30 GW = 1e999% of world", "30 GW = 4M h1000", "30 GW = 4,5M h100",
             "30 GW = -4M h100", "30 GW = 25% of nowhere", "30 GW = = 4M h100", "",
             "10**10**10 GW = 4M h100", "30 GW = 5-4M h100"):  # fmt: skip
    refuse(f"check[{text}]", "check", text)
gives("check[1 500 MW = 980k h100]", "check", "1 500 MW = 980k h100", *JSON,
      path="power_w", value=1.5e9)  # fmt: skip

# --- silent choices ---------------------------------------------------------------------------

refuse("convert-two-chips", "convert", "1GW", "--chip", "h100", "--chip", "gb300", match="chip")
refuse("convert-two-pues", "convert", "1GW", "--chip", "h100", "--pue", "1.2", "--pue", "1.3",
       match="pue")  # fmt: skip
refuse("convert-two-formats", "convert", "1GW", "--chip", "h100", "--format", "json",
       "--format", "table", match="format")  # fmt: skip
refuse("sweep-two-objectives", *SWEEP, "--objective", "max-accelerators", "--objective",
       "min-accelerators", match="objective")  # fmt: skip
refuse("montecarlo-two-samples", *MONTE, "--samples", "1000", match="samples")
refuse("convert-chip-and-mix", "convert", "1GW", "--chip", "h100", "--mix", "h100=1",
       match="chip")  # fmt: skip

# --- output and terminals ---------------------------------------------------------------------

runs("convert-ascii-terminal", "convert", "30GW", "--chip", "h100", encoding="ascii")
runs("sweep-ascii-terminal", *SWEEP, "--pue", "1.1:1.3:0.1", encoding="ascii")
runs("check-ascii-terminal", "check", "30 GW = 4.5M h100", encoding="ascii")
runs("chips-ascii-terminal", "chips", encoding="ascii")
refuse("convert-json-overflow", "convert", "--chip", "h100", *JSON, "--", "1e308")
refuse("convert-overflow", "convert", "--chip", "h100", "--", "1e300 W", match="too large")
refuse("sweep-overflow", "sweep", "1e300 W", "--chips", "h100", "--backend", "numpy",
       match="too large")  # fmt: skip
refuse("montecarlo-overflow", "montecarlo", "1e300 W", "--chip", "h100", "--backend", "numpy",
       "--samples", "1000", match="too large")  # fmt: skip
refuse("sweep--out-proc", *SWEEP, "--out", "/proc/x.parquet", match="out")
refuse("sweep--out-missing-dir", *SWEEP, "--out", "no/dir/x.parquet", match="dir")
refuse("sweep--out-suffix", *SWEEP, "--out", "x.txt", match="parquet")
refuse("sweep--out-directory", *SWEEP, "--out", "d.parquet", files={"d.parquet/.keep": ""},
       match="d.parquet")  # fmt: skip
refuse("sweep--reduce-and--out", *SWEEP, "--reduce", "--out", "x.parquet", match="reduce")
refuse("show-unknown", "show", "h1000", match="h1000")
refuse("convert-unknown-chip", "convert", "1GW", "--chip", "h1000", match="h100-sxm")
refuse("convert-unknown-grid", "convert", "1GW", "--chip", "h100", "--grid", "mars",
       match="mars")  # fmt: skip
refuse("convert-format-xml", "convert", "1GW", "--chip", "h100", "--format", "xml",
       match="format")  # fmt: skip
refuse("convert-unknown-option", "convert", "1GW", "--chip", "h100", "--bogus", match="bogus")
refuse("convert-missing-argument", "convert", "--chip", "h100", match="POWER")
refuse("convert-basis-count", "convert", "200k", "--chip", "h100", "--basis", "it",
       match="basis")  # fmt: skip
refuse("convert-epoch-busy", "convert", "1GW", "--chip", "h100", "--method", "epoch",
       "--provision", "busy", match="epoch")  # fmt: skip
refuse("unknown-command", "frobnicate", match="frobnicate")

# --- the API ----------------------------------------------------------------------------------

SWEEP_CALL = "capacity.sweep('1 GW', chips='h100', {})"
for argument, match in (("bins=True", "bins"), ("bins=0", "bins"), ("bins=1.5", "bins"),
                        ("backend=None", "backend"), ("backend='gpu'", "backend"),
                        ("objective=5", "objective"), ("chunk_points=True", "chunk_points"),
                        ("chunk_points=0", "chunk_points"), ("chunk_points=2.5", "chunk_points"),
                        ("quantiles=[1.5]", "quantiles"), ("quantiles=[float('nan')]",
                                                           "quantiles"),
                        ("quantiles=None", "quantiles"), ("pue='1.1:1.5:0.3'", "pue"),
                        ("pue=[1.2, float('nan')]", "pue"), ("utilization=True", "utilization"),
                        ("constraints=5", "constraint"), ("mfu='nan'", "mfu"),
                        ("memory_limit='lots'", "memory_limit"), ("reduce='yes'", "reduce"),
                        ("precision=None", "precision"), ("grids=5", "grid")):  # fmt: skip
    defaults = ", ".join(
        default for default in ("backend='numpy'", "reduce=True")
        if default.split("=")[0] not in argument
    )  # fmt: skip
    api_refuses(f"api-sweep[{argument}]", SWEEP_CALL.format(f"{argument}, {defaults}"),
                match=match)  # fmt: skip
api_refuses("api-sweep[power=None]", "capacity.sweep(None, chips='h100')", match="power")
api_refuses("api-sweep[chips=5]", "capacity.sweep('1 GW', chips=5)", match="chips")
CONVERT_CALL = "capacity.convert({}, chip='h100'{})"
for power, extra, match in (("'1e308 W'", "", "too large"), ("30", "", "power"),
                            ("None", "", "power"), ("'30 GW 2'", "", "power"),
                            ("'nan GW'", "", "power"), ("True", "", "power"),
                            ("'1 GW'", ", pue=True", "pue"), ("'1 GW'", ", pue=None", "pue"),
                            ("'1 GW'", ", pue='nan'", "pue"), ("'1 GW'", ", pue='1_2'", "pue"),
                            ("'1 GW'", ", pue=[1.2, float('nan')]", "pue"),
                            ("'1 GW'", ", utilization=1.5", "utilization"),
                            ("'1 GW'", ", pue=[1.1, 1.2, 1.3], utilization=[0.5, 0.6]",
                             "broadcast|shape"),
                            ("'1 GW'", ", mfu=float('inf')", "mfu"),
                            ("'1 GW'", ", basis=None", "basis"),
                            ("'1 GW'", ", grids='mars'", "mars"),
                            ("'1 GW'", ", overrides={'h100.tdp': 'nan W'}", "tdp"),
                            ("'1 GW'", ", profiles=5", "profiles")):  # fmt: skip
    api_refuses(f"api-convert[{power}{extra}]", CONVERT_CALL.format(power, extra), match=match)
api_refuses("api-convert[chip=5]", "capacity.convert('1 GW', chip=5)", match="chip")
api_refuses("api-convert[chip=h1000]", "capacity.convert('1 GW', chip='h1000')", match="h1000")
api_refuses("api-convert[mix-sum]", "capacity.convert('1 GW', mix={'h100': 0.5})", match="sum")
api_refuses("api-convert[mix-nan]", "capacity.convert('1 GW', mix={'h100': float('nan')})",
            match="h100")  # fmt: skip
api_refuses("api-convert[mix=5]", "capacity.convert('1 GW', mix=5)", match="mix")
api_refuses("api-convert_accelerators[-5]", "capacity.convert_accelerators(-5, chip='h100')",
            match="accelerators|count")  # fmt: skip
api_refuses("api-convert_accelerators[nan]",
            "capacity.convert_accelerators(float('nan'), chip='h100')",
            match="accelerators|count")  # fmt: skip
api_refuses("api-convert_accelerators[True]", "capacity.convert_accelerators(True, chip='h100')",
            match="accelerators|count")  # fmt: skip
api_gives("api-convert[1 500 MW]",
          "float(capacity.convert('1 500 MW', chip='h100').accelerators.magnitude)",
          1.5e9 / 1.2 / W_PER_H100)  # fmt: skip
api_gives(
    "api-convert[arrays broadcast]",
    "capacity.convert('1 GW', chip='h100', pue=[[1.1], [1.2]],"
    " utilization=[0.5, 0.6, 0.7]).accelerators.magnitude.shape",
    [2, 3],
)
MONTE_CALL = "capacity.montecarlo('1 GW', chip='h100', {})"
for argument, match in (("samples=0", "samples"), ("samples=True", "samples"),
                        ("samples=1.5", "samples"), ("samples=float('nan')", "samples"),
                        ("samples='many'", "samples"), ("seed='x'", "seed"),
                        ("seed=1.5", "seed"), ("seed=-1", "seed"), ("bins=0", "bins"),
                        ("quantiles=[2]", "quantile"), ("pue='uniform:nan,2'", "pue"),
                        ("pue='uniform:1,inf'", "pue"), ("utilization=float('nan')",
                                                         "utilization"),
                        ("backend=None", "backend")):  # fmt: skip
    backend = "" if argument.startswith("backend") else ", backend='numpy'"
    api_refuses(f"api-montecarlo[{argument}]", MONTE_CALL.format(argument + backend),
                match=match)  # fmt: skip
api_refuses("api-load_portfolio[None]", "capacity.load_portfolio(None)", match="path|file")
api_refuses("api-load_portfolio[5]", "capacity.load_portfolio(5)", match="path|file")
api_refuses("api-load_portfolio[/dev/zero]", "capacity.load_portfolio('/dev/zero')",
            match="zero")  # fmt: skip
api_refuses("api-loads_portfolio[None]", "capacity.loads_portfolio(None)", match="text|str")
api_refuses("api-loads_portfolio[nested]", "capacity.loads_portfolio('x = ' + '[' * 5000)")
api_refuses("api-load_grids[/dev/zero]", "capacity.load_grids('/dev/zero')", match="zero")
api_refuses("api-load_profiles[/dev/zero]", "capacity.load_profiles('/dev/zero')", match="zero")
api_refuses("api-load_profile[None]", "capacity.load_profile(None)", match="path|file")
api_refuses("api-Grid.create[nan]", "capacity.Grid.create('g', 'nan TWh')", match="energy")
api_refuses("api-Grid.create[1,5]", "capacity.Grid.create('g', '1,5 TWh')", match="energy")
api_refuses("api-parse_distribution[uniform:nan,1]",
            "capacity.parse_distribution('uniform:nan,1', 'x')", match="x")  # fmt: skip
api_refuses("api-parse_distribution[None]", "capacity.parse_distribution(None, 'x')", match="x")
api_refuses("api-parse_distribution[[nan]]",
            "capacity.parse_distribution([1.0, float('nan')], 'x')", match="x")  # fmt: skip
api_refuses("api-parse_mix[5]", "capacity.parse_mix(5)", match="mix")
api_refuses("api-check_claim[5]", "capacity.check_claim(5)", match="claim")
api_refuses("api-check_claim[nan]", "capacity.check_claim('nan GW = 4M h100')", match="nan")
api_refuses("api-parse_claim[arith]", "capacity.parse_claim('30 GW 2 = 4M h100')",
            match="30 GW 2")  # fmt: skip
api_refuses("api-capital_recovery_factor[nan]", "capacity.capital_recovery_factor(float('nan'), 5)",
            match="rate")  # fmt: skip
api_refuses("api-capital_recovery_factor[years=0]", "capacity.capital_recovery_factor(0.05, 0)",
            match="year|lifetime")  # fmt: skip
api_refuses("api-cost_assumptions[nan]",
            "capacity.cost_assumptions(['h100'], overrides={'electricity_price': 'nan USD/MWh'})",
            match="electricity")  # fmt: skip
api_refuses("api-cost_assumptions[5]", "capacity.cost_assumptions(5)", match="chips")

"""The documentation: citations that stay inside the repository, and the page generator.

The pages themselves are built by ``mkdocs build --strict`` and their command outputs checked
by ``python docs/generate.py --check``, both in CI (.ci/run); these tests cover what can be
checked in a second.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from capacity.cli.app import app
from capacity.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
MODEL_PAGE = ROOT / "docs" / "model.md"
GENERATOR = ROOT / "docs" / "generate.py"
# Where the project's text lives: code, data, examples, docs, tests, benchmarks.
CITING_FOLDERS = ("capacity", "kernels", "hardware_profiles", "examples", "docs", "tests")
CITING_FILES = ("README.md", "benchmarks/README.md", "benchmarks/RESULTS.md")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".sh"}
# A document outside the repository that older versions cited (written in two parts, so that
# this file does not cite it either).
OUTSIDE = re.compile("MODEL" + r"\.md|" + "shared" + r"/")
MODEL_ANCHOR = re.compile(r"docs/model\.md#([a-z0-9-]+)")


def project_text_files() -> list[Path]:
    files = [ROOT / name for name in CITING_FILES if (ROOT / name).is_file()]
    for folder in CITING_FOLDERS:
        files += [
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.suffix in TEXT_SUFFIXES and path.is_file() and "__pycache__" not in path.parts
        ]
    return files


def slug(heading: str) -> str:
    """The anchor MkDocs gives a heading (Python-Markdown's default ``toc`` slugify)."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def test_nothing_cites_a_file_outside_the_repository() -> None:
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in project_text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert not citing, f"cite docs/model.md or a primary source instead: {citing}"


@pytest.mark.skipif(not MODEL_PAGE.is_file(), reason="docs/ is not in this tree")
def test_every_cited_section_of_the_model_page_exists() -> None:
    headings = {
        slug(line.lstrip("#").strip())
        for line in MODEL_PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }
    cited = {
        (anchor, str(path.relative_to(ROOT)))
        for path in project_text_files()
        for anchor in MODEL_ANCHOR.findall(path.read_text(encoding="utf-8"))
    }
    assert cited, "the code and data cite sections of docs/model.md"
    missing = sorted(f"{where}: #{anchor}" for anchor, where in cited if anchor not in headings)
    assert not missing, f"no such section in docs/model.md: {missing}"


def test_slug_matches_the_anchors_mkdocs_writes() -> None:
    assert slug("Epoch AI's method") == "epoch-ais-method"
    assert slug("Inputs and their defaults") == "inputs-and-their-defaults"
    assert slug("Idle and busy fractions") == "idle-and-busy-fractions"


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    if not GENERATOR.is_file():
        pytest.skip("docs/ is not in this tree")
    spec = importlib.util.spec_from_file_location("docs_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


PAGE = """# A page

<!-- run: capacity convert 1GW --chip h100 --format json -->
```json
old
```
<!-- end run -->

  <!-- run status=2 tail=1: capacity convert 1GWh --chip h100 -->
  ```text
  ```
  <!-- end run -->
"""


def test_blocks_are_found_with_their_options(generate: ModuleType) -> None:
    first, second = generate.find_blocks(Path("page.md"), PAGE)
    assert (first.command, first.status, first.language) == (
        "capacity convert 1GW --chip h100 --format json", 0, "json",
    )  # fmt: skip
    assert (second.status, second.tail, second.indent, second.language) == (2, 1, "  ", "text")


def test_outputs_replace_the_blocks_and_keep_the_indent(generate: ModuleType) -> None:
    page = Path("page.md")
    blocks = generate.find_blocks(page, PAGE)
    new = generate.render(PAGE, blocks, ['{"a": 1}', "error: x\n\nsecond"])
    assert '```json\n{"a": 1}\n```' in new
    assert "  ```text\n  error: x\n\n  second\n  ```\n  <!-- end run -->" in new
    assert "old" not in new
    again = generate.find_blocks(page, new)
    assert [(b.command, b.status, b.tail) for b in again] == [
        (b.command, b.status, b.tail) for b in blocks
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<!-- run: capacity chips -->\n```text\n```\n",  # no end marker
        "<!-- end run -->\n",  # no start marker
        "<!-- run lines: capacity chips -->\n<!-- end run -->\n",  # an option without a value
        "<!-- run colour=1: capacity chips -->\n<!-- end run -->\n",  # an unknown option
    ],
)
def test_malformed_markers_are_refused_with_the_line(generate: ModuleType, text: str) -> None:
    with pytest.raises(generate.GenerateError, match=r"^page\.md:1: "):
        generate.find_blocks(Path("page.md"), text)


def test_timings_and_paths_are_masked(generate: ModuleType) -> None:
    header = (
        "on backend numpy (NumPy reference, one core) in 0.0977 s (0.979 M points/s; 0.133 s "
        "with set-up and compiling); 1.25 s, 8.01e+05 samples/s (1.4 s with set-up)"
    )
    assert generate.mask_timings(header) == (
        "on backend numpy (NumPy reference, one core) in … s (… points/s; … s with set-up and "
        "compiling); … s, … samples/s (… s with set-up)"
    )
    unchanged = "19.4 ZFLOP/s, 1,771 mixes, 5 samples, 20 years, 10.2 kW"
    assert generate.mask_timings(unchanged) == unchanged
    installed = "file: /venv/lib/python3.11/site-packages/capacity/hardware_profiles/h100.toml"
    assert generate.relative_paths(installed) == "file: capacity/hardware_profiles/h100.toml"
    checkout = f"file: {generate.ROOT}/hardware_profiles/h100.toml"
    assert generate.relative_paths(checkout) == "file: hardware_profiles/h100.toml"


def test_outputs_are_tidied_and_cut(generate: ModuleType) -> None:
    output = "\n\nfirst   \nsecond\nthird\n\n"
    assert generate.tidy(output) == "first\nsecond\nthird"
    assert generate.tidy(output, lines=1) == "first\n… (2 more lines)"
    assert generate.tidy(output, tail=2) == "… (1 lines before these)\nsecond\nthird"


SNIPPET_DATASET = ROOT / "docs" / "snippets" / "sweep-dataset"
SNIPPET_SWEEP = (
    "capacity sweep 30GW --chips h100,b200 --mix-step 0.25 --pue 1.1:1.4:0.1 --objective "
    "max-delivered-flops --grid us --backend numpy --chunk-points 8 --out "
    "docs/snippets/sweep-dataset"
)
# What two runs of the same sweep write differently in its manifest: where to and how long
# it took (and, at the top, when).
RUN_RECORD = ("seconds", "compute_seconds", "out")


@pytest.mark.skipif(not SNIPPET_DATASET.is_dir(), reason="docs/ is not in this tree")
def test_progress_lines_are_left_out_of_the_pages(generate: ModuleType) -> None:
    """Every line the progress reporter writes where stderr is no terminal is dropped."""
    from tests.test_faults import _run_progress

    lines = _run_progress(terminal=False, seconds_per_chunk=2.0, chunks=100)
    assert lines.count("\n") > 2
    assert generate._without_progress(lines + "error: kept\n") == "error: kept\n"


def test_the_dataset_the_summarize_page_reads_is_current(tmp_path: Path) -> None:
    """The committed dataset is what its sweep writes with the model as it is now (the page
    generator only reads it back)."""
    page = (ROOT / "docs" / "commands" / "summarize.md").read_text(encoding="utf-8")
    assert SNIPPET_SWEEP in " ".join(page.split())
    arguments = [*shlex.split(SNIPPET_SWEEP)[1:-1], str(tmp_path / "d")]
    done = CliRunner().invoke(app, arguments)
    assert done.exit_code == 0, done.output
    committed, written = open_dataset(SNIPPET_DATASET), open_dataset(tmp_path / "d")
    manifests = []
    for dataset in (committed, written):
        manifest = dict(dataset.manifest)
        manifest.pop("written")
        manifest["sweep"] = {
            key: value for key, value in manifest["sweep"].items() if key not in RUN_RECORD
        }
        manifests.append(manifest)
    stale = (
        f"{SNIPPET_DATASET.relative_to(ROOT)} is stale: remove it, run '{SNIPPET_SWEEP}', "
        "then python docs/generate.py"
    )
    assert manifests[0] == manifests[1], stale
    assert pq.read_table(SNIPPET_DATASET).equals(pq.read_table(tmp_path / "d")), stale


def test_the_readmes_examples_say_what_the_commands_give() -> None:
    """The README's prose figures for its first two examples, rounded as written there, are
    those of the model now (they went stale once when the cluster overhead changed)."""
    import capacity

    readme = (ROOT / "README.md").read_text()
    converted = capacity.convert("30GW", chip="h100").to_dict()
    systems = sum(converted["systems_by_chip"].values())
    average_w = converted["average_facility_power_w"]
    share = converted["grid_share"]["global-datacenters"]["energy"]
    assert (
        f"That is {converted['accelerators'] / 1e6:.1f} million H100s in {systems / 1e6:.2f} "
        f"million DGX H100 systems, {converted['delivered_flop_per_s'] / 1e21:.1f} ZFLOP/s "
        f"delivered, an\naverage draw of {average_w / 1e9:.1f} GW "
        f"({converted['annual_energy_twh']:.0f} TWh a year) and {share * 100:.1f} %"
    ) in readme
    (end,) = capacity.check_claim("30 GW = 4.5M h100").to_dict()["checks"][0]["ends"]
    assert (
        f"understates the model's by a factor of {end['ratio']:.2f}: it would take a PUE of "
        f"{end['implied_pue']:.1f} to make it"
    ) in readme

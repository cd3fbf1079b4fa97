"""Write the output of real runs into the documentation pages, or check that it is current.

A page asks for the output of a command with a pair of markers around a fenced block::

    <!-- run: capacity convert 30GW --chip h100 -->
    ```text
    (the output of the command goes here)
    ```
    <!-- end run -->

``python docs/generate.py`` runs every such command from the repository root and writes its
output (stdout, then stderr) between the markers. ``python docs/generate.py --check`` writes
nothing and exits with status 1, naming each page and command whose output differs, when a
page is out of date; CI runs it. Pages given as arguments limit either mode to those pages.

Options go between ``run`` and the colon, separated by spaces:

- ``status=N``: the exit status the command is expected to end with (default 0); any other
  status is an error, so an example that stops working cannot go unnoticed;
- ``lines=N``: keep the first N lines of the output and say how many were left out;
- ``tail=N``: keep the last N lines, likewise.

The output is made the same on every machine: a fixed terminal width (``COLUMNS``: 100 for
help, and too wide to wrap a line for everything else, so that no line breaks inside a timing
whose length varies), UTF-8, no
colour, no user profiles or grids from the environment, the CPU backends only, every timing
replaced by ``…`` (:data:`TIMINGS`) and every path inside the checkout or site-packages made
relative. Commands that draw samples give ``--seed``, and
sweeps and Monte Carlo runs use ``--backend numpy``, which reports no thread count.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TERMINAL_WIDTH = 100
UNWRAPPED_WIDTH = 1000
COMMAND_TIMEOUT_S = 300

START = re.compile(
    r"^(?P<indent>[ \t]*)<!-- run(?P<options>(?: [a-z]+=\d+)*): (?P<command>.+) -->$"
)
END = re.compile(r"^[ \t]*<!-- end run -->$")

# Timings change from run to run; they are replaced, number and unit prefix, by "…".
TIMINGS = (
    (re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)? ?[kMGT]? points/s\b"), "… points/s"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)? samples/s\b"), "… samples/s"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)? s\b"), "… s"),
)

SITE_PACKAGES = re.compile(r"[^\s'\"]*[/\\]site-packages[/\\]")

# ``python -m capacity`` under the name the help texts should show.
LAUNCHER = (
    "import runpy, sys; sys.argv[0] = 'capacity'; "
    "runpy.run_module('capacity', run_name='__main__')"
)

# Environment variables that would make the output depend on the machine or the user.
UNSET = ("CAPACITY_PROFILES", "CAPACITY_GRIDS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
FIXED = {
    "LINES": "50",
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "NO_COLOR": "1",
    "CAPACITY_FORCE_CPU": "1",
}


class GenerateError(Exception):
    """A page whose markers are malformed, or a command that did not run as expected."""


@dataclass(frozen=True)
class Block:
    """One marked output in a page: its command, options and where it sits."""

    page: Path
    first_line: int
    """Index of the ``run`` marker line."""
    last_line: int
    """Index of the ``end run`` marker line."""
    indent: str
    command: str
    status: int
    lines: int | None
    tail: int | None

    @property
    def language(self) -> str:
        return "json" if re.search(r"--format[ =]json\b", self.command) else "text"


def find_blocks(page: Path, text: str) -> list[Block]:
    """Every marked block of ``text`` (the content of ``page``), in order."""
    blocks = []
    lines = text.split("\n")
    start: re.Match[str] | None = None
    first = 0
    for number, line in enumerate(lines):
        if END.match(line):
            if start is None:
                raise GenerateError(f"{page}:{number + 1}: 'end run' without a 'run' marker")
            options = dict(item.split("=") for item in start["options"].split())
            unknown = set(options) - {"status", "lines", "tail"}
            if unknown:
                raise GenerateError(f"{page}:{first + 1}: unknown option {sorted(unknown)[0]!r}")
            blocks.append(
                Block(
                    page=page,
                    first_line=first,
                    last_line=number,
                    indent=start["indent"],
                    command=start["command"],
                    status=int(options.get("status", 0)),
                    lines=int(options["lines"]) if "lines" in options else None,
                    tail=int(options["tail"]) if "tail" in options else None,
                )
            )
            start = None
        elif line.lstrip().startswith("<!-- run"):
            if start is not None:
                raise GenerateError(f"{page}:{first + 1}: 'run' marker without 'end run'")
            start = START.match(line)
            if start is None:
                raise GenerateError(
                    f"{page}:{number + 1}: malformed marker; write "
                    "'<!-- run: capacity ... -->' or '<!-- run status=2 lines=40: ... -->'"
                )
            first = number
    if start is not None:
        raise GenerateError(f"{page}:{first + 1}: 'run' marker without 'end run'")
    return blocks


def environment(command: Sequence[str]) -> dict[str, str]:
    """The environment a command runs in: help at :data:`TERMINAL_WIDTH` columns, every other
    output on a terminal too wide to wrap a line, so that no line breaks inside a timing."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    width = TERMINAL_WIDTH if "--help" in command else UNWRAPPED_WIDTH
    return env | FIXED | {"COLUMNS": str(width)}


def mask_timings(text: str) -> str:
    """``text`` with every timing replaced by "…"."""
    for pattern, replacement in TIMINGS:
        text = pattern.sub(replacement, text)
    return text


def relative_paths(text: str) -> str:
    """``text`` with the paths of files in the checkout or in site-packages made relative:
    "capacity/hardware_profiles/h100-sxm.toml" wherever the package is installed."""
    text = text.replace(f"{ROOT}{os.sep}", "")
    return SITE_PACKAGES.sub("", text)


def tidy(text: str, lines: int | None = None, tail: int | None = None) -> str:
    """Output without timings, absolute paths, trailing spaces or surrounding blank lines,
    cut to its first ``lines`` or its last ``tail`` lines."""
    kept = [line.rstrip() for line in relative_paths(mask_timings(text)).split("\n")]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    if lines is not None and len(kept) > lines:
        left_out = len(kept) - lines
        kept = [*kept[:lines], f"… ({left_out} more lines)"]
    if tail is not None and len(kept) > tail:
        left_out = len(kept) - tail
        kept = [f"… ({left_out} lines before these)", *kept[-tail:]]
    return "\n".join(kept)


def run(block: Block) -> str:
    """The tidied output of the block's command, run from the repository root."""
    words = shlex.split(block.command)
    if words[0] != "capacity":
        raise GenerateError(f"{block.page}: only 'capacity' commands run, got {block.command!r}")
    completed = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *words[1:]],
        cwd=ROOT,
        env=environment(words),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != block.status:
        raise GenerateError(
            f"{block.page}:{block.first_line + 1}: {block.command!r} exited with status "
            f"{completed.returncode}, expected {block.status}:\n{completed.stderr[-2000:]}"
        )
    return tidy(completed.stdout + _without_progress(completed.stderr), block.lines, block.tail)


# Progress lines and time estimates on stderr depend on the machine's speed and load, so no
# page shows them (capacity/cli/progress.py writes them).
_PROGRESS_LINE = re.compile(
    r"^.+: (?:\d+% \(.+ of .+\), about .+ left|about .+ for .+ at .+; Ctrl-C to stop)$"
)


def _without_progress(stderr: str) -> str:
    return "".join(
        line
        for line in stderr.splitlines(keepends=True)
        if not _PROGRESS_LINE.match(line.rstrip("\n"))
    )


def render(text: str, blocks: Sequence[Block], outputs: Sequence[str]) -> str:
    """``text`` with each block's fenced output replaced by the new one."""
    lines = text.split("\n")
    for block, output in sorted(
        zip(blocks, outputs, strict=True), key=lambda pair: -pair[0].first_line
    ):
        fenced = [f"```{block.language}", *output.split("\n"), "```"]
        indented = [f"{block.indent}{line}" if line else "" for line in fenced]
        lines[block.first_line + 1 : block.last_line] = indented
    return "\n".join(lines)


def pages(selected: Iterable[str]) -> list[Path]:
    """The pages named, or every Markdown page under docs/."""
    named = [Path(page).resolve() for page in selected]
    return named or sorted(DOCS.rglob("*.md"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to process (default: all of docs/)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail if a page is out of date"
    )
    arguments = parser.parse_args(argv)
    texts = {page: page.read_text(encoding="utf-8") for page in pages(arguments.pages)}
    try:
        blocks = {page: find_blocks(page, text) for page, text in texts.items()}
        every_block = [block for page_blocks in blocks.values() for block in page_blocks]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            outputs = dict(zip(every_block, pool.map(run, every_block), strict=True))
    except (GenerateError, subprocess.TimeoutExpired) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    stale = []
    for page, text in texts.items():
        new = render(text, blocks[page], [outputs[block] for block in blocks[page]])
        if new == text:
            continue
        stale.append(page)
        if arguments.check:
            diff = difflib.unified_diff(
                text.split("\n"), new.split("\n"), str(page), "generated", lineterm="", n=1
            )
            print("\n".join(list(diff)[:40]), file=sys.stderr)
        else:
            page.write_text(new, encoding="utf-8")
    relative = [str(page.relative_to(ROOT)) for page in stale]
    if arguments.check and stale:
        print(
            f"error: {len(stale)} page(s) out of date: {', '.join(relative)}; "
            "run python docs/generate.py",
            file=sys.stderr,
        )
        return 1
    done = "up to date" if arguments.check else f"{len(stale)} page(s) rewritten"
    print(f"{len(every_block)} outputs in {len(texts)} pages: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up: ``import capacity`` and each command load only what they use.

Each check runs a fresh interpreter and looks at the modules it ended with: a module that
should not load (numba for a conversion, NumPy for the help) is a start-up cost that a user
pays on every command.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import capacity
from capacity.cli.app import COMMANDS, load_command
from capacity.cli.imports import HIDDEN_FROM_PINT

HEAVY = (
    "numba",
    "llvmlite",
    "pydantic",
    "xarray",
    "pyarrow",
    "scipy",
    "pandas",
    "dask",
    "distributed",
)


def modules_after(code: str, pythonpath: str | None = None) -> set[str]:
    """The top-level packages loaded by a fresh Python that runs ``code`` (with ``pythonpath``
    ahead of the installed packages, when given)."""
    script = (
        "import atexit, json, sys\n"
        "def report():\n"
        "    names = sorted({m.split('.')[0] for m in sys.modules})\n"
        "    sys.stderr.write('modules: ' + json.dumps(names) + '\\n')\n"
        f"atexit.register(report)\n{code}"
    )
    env = {**os.environ, "COLUMNS": "100"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, env=env)  # fmt: skip
    line = [x for x in done.stderr.splitlines() if x.startswith("modules: ")][-1]
    return set(json.loads(line.removeprefix("modules: ")))


def command(*arguments: str) -> str:
    return f"import sys; sys.argv = ['capacity', *{list(arguments)!r}]\n" + (
        "from capacity.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    )


def test_import_capacity_loads_no_numerics() -> None:
    loaded = modules_after("import capacity")
    assert not loaded & {"numpy", "pint", "typer", "rich", *HEAVY}


def test_the_help_loads_neither_numpy_nor_pint() -> None:
    loaded = modules_after(command("--help"))
    assert "typer" in loaded
    assert not loaded & {"numpy", "pint", "markdown_it", "pygments", *HEAVY}


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("arguments", [("--help",), ("sweep", "--help")])
def test_the_help_is_the_same_with_typers_markdown_and_traceback_put_off(
    arguments: tuple[str, ...],
) -> None:
    """The help drawn with stand-ins for rich's Markdown and Traceback is the help drawn with
    the real ones (imported first here, so the hook leaves them alone)."""
    put_off = run_python(command(*arguments))
    real = run_python("import rich.markdown, rich.traceback, typer.rich_utils\n"
                      + command(*arguments))  # fmt: skip
    assert "Usage: capacity" in put_off
    assert put_off == real


def test_the_stand_ins_become_the_real_classes_on_first_use() -> None:
    code = (
        "import capacity.cli, typer.rich_utils as r, rich.markdown, rich.traceback, sys\n"
        "assert sys.modules['rich.markdown'].__file__.endswith('markdown.py')\n"
        "assert type(r.Markdown('# x')) is rich.markdown.Markdown\n"
        "assert isinstance(r.Markdown('# x'), r.Markdown)\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError as error:\n"
        "    tb = r.Traceback.from_exception(type(error), error, error.__traceback__)\n"
        "assert type(tb) is rich.traceback.Traceback\n"
        "print(r.MARKUP_MODE_MARKDOWN)\n"
    )
    assert run_python(code).strip() == "markdown"


def test_a_stand_in_module_gives_the_real_modules_other_names() -> None:
    """A typer that took more from rich.markdown than the class still gets it, and then the
    real module is in place."""
    code = (
        "import sys, capacity.cli.imports as hooks\n"
        "module = hooks._stand_in_module('rich.markdown', 'Markdown')\n"
        "sys.modules['rich.markdown'] = module\n"
        "from rich.markdown import Heading\n"
        "real = sys.modules['rich.markdown']\n"
        "assert real is not module and real.Heading is Heading\n"
        "assert module.Markdown.real() is real.Markdown\n"
        "print('ok')\n"
    )
    assert run_python(code).strip() == "ok"


@pytest.mark.parametrize(
    "arguments",
    [("convert", "30GW", "--chip", "h100"), ("chips",), ("convert", "--help"),
     ("sweep", "30GW", "--chips", "h100", "--mix-step", "1", "--backend", "numpy")],
    ids=["convert", "chips", "convert help", "sweep on numpy"],
)  # fmt: skip
def test_a_command_loads_no_compiler(arguments: tuple[str, ...]) -> None:
    loaded = modules_after(command(*arguments))
    assert "pint" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_the_command_line_hides_dask_and_scipy_from_pint(tmp_path: Path) -> None:
    """pint imports SciPy and looks for Dask whenever they are installed (on this machine or
    not: stand-ins are put on the path); the command line never uses either, and a library
    process keeps pint's support for both."""
    for name in HIDDEN_FROM_PINT:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    loaded = modules_after(command("convert", "30GW", "--chip", "h100"), str(tmp_path))
    assert "pint" in loaded
    assert not loaded & set(HIDDEN_FROM_PINT)
    loaded = modules_after("import capacity, pint.compat", str(tmp_path))
    assert "scipy" in loaded


def test_every_public_name_resolves() -> None:
    for name in capacity.__all__:
        assert getattr(capacity, name) is not None, name
    assert set(capacity.__all__) <= set(dir(capacity))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        capacity.nothing  # noqa: B018


def test_functions_keep_their_names_when_their_modules_load() -> None:
    import capacity.montecarlo
    import capacity.sweep

    for name in ("convert", "sweep", "montecarlo"):
        value = getattr(capacity, name)
        assert not isinstance(value, types.ModuleType), name
        assert callable(value)
        assert value.__module__ == f"capacity.{name}"
    assert sys.modules["capacity.sweep"].sweep is capacity.sweep


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_lists_each_command_by_its_docstring(name: str) -> None:
    entry = COMMANDS[name]
    function = getattr(__import__(entry.module, fromlist=["_"]), entry.function)
    assert entry.summary == (inspect.getdoc(function) or "").split("\n\n")[0]
    assert load_command(name).name == name


def test_tables_print_emoji_codes_as_written() -> None:
    """A note holding ":100:" stays text (rich would draw an emoji, after loading its table
    of emoji codes, a cost of every command that prints a table)."""
    import io

    from capacity.cli.format import TextConsole

    buffer = io.StringIO()
    TextConsole(file=buffer, width=40).print("source: table :100: of 2024")
    assert buffer.getvalue() == "source: table :100: of 2024\n"

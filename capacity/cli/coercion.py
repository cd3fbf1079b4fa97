"""Option values converted without pydantic.

typer (from 0.2x) converts every option's value through a pydantic ``TypeAdapter``, which
costs a command about as much time to import as NumPy does. The options of this package are
of a few plain kinds (text, a number read by a ``parser``, a path, a list of one of those),
whose conversion is a line of Python each. :class:`PlainConversions` gives a command's
options of those kinds such a conversion, with the same results and errors, and leaves any
other option, and any typer without this layer, to typer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

__all__ = ["PlainConversions", "convert_plainly"]

Conversion = Callable[[Any, Any, Any], Any]


class PlainConversions:
    """Mixed into a click command class: its parameters, ``--help`` included, converted
    plainly where they can be."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        convert_plainly(params)
        return params


def convert_plainly(params: Iterable[Any]) -> None:
    """Give each of ``params`` (typer parameters) a plain conversion where it has one of the
    kinds above; a typer without per-parameter conversions is left as it is."""
    runtime_param = _runtime_param_class()
    if runtime_param is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", ...) is not None:
            continue
        convert = _conversion(descriptor.annotation, descriptor.parameter_info)
        if convert is not None:
            param._runtime_param = runtime_param(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                convert=convert,
            )


@functools.cache
def _runtime_param_class() -> Any:
    """typer's per-parameter conversion, made to call a plain function; None for a typer
    that has none."""
    try:
        from typer._coercion import RuntimeParam
    except ImportError:
        return None

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        convert: Conversion

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            return self.convert(value, param, ctx)

    return PlainRuntimeParam


def _conversion(annotation: Any, info: Any) -> Conversion | None:
    """The conversion of a value of ``annotation``, or None where typer must do it."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        convert_item = _conversion(item, info)
        if convert_item is None:
            return None

        def convert_list(value: Any, param: Any, ctx: Any) -> list[Any]:
            items = value if isinstance(value, list | tuple) else [value]
            return [convert_item(v, param, ctx) for v in items]

        return convert_list
    if getattr(info, "parser", None) is not None:
        parser = info.parser
        return lambda value, param, ctx: parser(value)
    if annotation is str:
        return lambda value, param, ctx: _text(value)
    if annotation is bool:
        return _flag
    if annotation is Path:
        from typer._param_types import coerce_cli_path

        def convert_path(value: Any, param: Any, ctx: Any) -> Any:
            path = Path(value) if isinstance(value, str) else value
            return coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)

        return convert_path
    return None


def _text(value: Any) -> str:
    """A command-line value as text, as typer's own conversion gives it."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _flag(value: Any, param: Any, ctx: Any) -> Any:
    """A flag's value: a bool as it is; anything else as typer reads it."""
    if isinstance(value, bool):
        return value
    from typer._coercion import build_runtime_param

    return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)

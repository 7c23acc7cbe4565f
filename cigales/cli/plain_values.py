"""Plain options without pydantic: Typer 0.29 coerces every parameter value through a pydantic
``TypeAdapter``, so any command with an option imports pydantic (about 0.1 s on a quiet
machine, more than a trial balance takes to compute).

All but a handful of our options are plain ``str`` (dates, amounts, codes and years are text
that the commands parse themselves, with their own messages) or ``bool`` flags. For text,
Typer's adapter only turns the value Click read into ``str`` (``typer._adapters._parse_cli_str``);
for a flag, Click already gives a ``bool``, which Typer returns as it is. This module does the
same without pydantic. Every other annotation or value (``int``, lists, paths, choices, custom
parsers, a flag's value from the environment) still goes through Typer's own coercion.

If a future Typer reshapes the private hook (``_TyperParameter.get_runtime_param``), the patch
is skipped and Typer's coercion is used: slower, never different.
"""

from __future__ import annotations

import sys
from typing import Any

_installed: list[bool] = []


def _as_text(value: Any) -> str:
    """The text of a value Click read: what Typer's ``_parse_cli_str`` returns."""
    if value is None:  # Typer's coerce() returns None before calling us; kept for safety
        raise ValueError("None is not a valid string")
    if isinstance(value, bytes):
        # Click's rule, as Typer applies it: argv's encoding, the file system's, lossy UTF-8.
        from typer._click import _compat

        for encoding in (_compat._get_argv_encoding(), sys.getfilesystemencoding()):
            try:
                return value.decode(encoding)
            except UnicodeError:
                continue
        return value.decode("utf-8", "replace")
    return str(value)


def install() -> None:
    if _installed:
        return
    try:
        from typer import _coercion
        from typer.core import _TyperParameter
    except ImportError:  # pragma: no cover - another Typer: its own coercion
        return
    base = getattr(_coercion, "RuntimeParam", None)
    original = getattr(_TyperParameter, "get_runtime_param", None)
    if base is None or original is None or not hasattr(base, "_coerce_value"):
        return  # pragma: no cover - another Typer: its own coercion

    class PlainText(base):  # type: ignore[misc, valid-type]
        """A plain ``str`` option: no pydantic, the same value."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:  # noqa: ARG002
            return _as_text(value)

    class Flag(base):  # type: ignore[misc, valid-type]
        """A ``bool`` option (our flags, and --help): Click already gives a bool, which Typer
        returns as it is; anything else (a value from the environment) goes to Typer."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, bool):
                return value
            typer_own = _coercion.build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            kind = _plain_kind(self.type_descriptor)
            if kind is not None:
                self._runtime_param = kind(parameter_info=self.type_descriptor.parameter_info,
                                           annotation=self.type_descriptor.annotation)
        return original(self)

    def _plain_kind(descriptor: Any) -> type | None:
        """``str`` or ``bool`` with nothing Typer would add: no parser, no choices, not a file
        or a path."""
        try:
            if (descriptor.parameter_info.parser is not None or descriptor.is_file
                    or descriptor.is_path or descriptor.is_choice):
                return None
        except AttributeError:  # pragma: no cover - another Typer's descriptor
            return None
        return {str: PlainText, bool: Flag}.get(descriptor.annotation)

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    _installed.append(True)


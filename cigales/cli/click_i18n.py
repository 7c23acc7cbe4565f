"""French for the usage errors and help pages of the Click copy bundled in Typer.

That Click builds its messages in English without gettext, so the catalogs cannot reach them.
We replace ``format_message`` of the few exception classes users meet (missing option, bad
value, unknown option) with versions that go through our catalog, each ending with a
bracketed code like the program's own errors (``[missing_value]``, ``[invalid_value]``,
``[unknown_option]``, ``[usage_error]``).

The help pages get the same treatment: "Usage:", "[OPTIONS]", "COMMAND [ARGS]...", the
--help option's "Show this message and exit.", and the value names (Typer shows a Python type,
``<str>``, ``<bool>``; people read ``TEXTE``, ``ENTIER``, ``FICHIER``, and nothing after a
flag). If a future Typer changes those classes, the patch is skipped and the English text is
shown: never an error.
"""

from __future__ import annotations

from typing import Any

from cigales.i18n import _
from ledger.errors import N_

# Value names shown in help pages, by Python type (options) or parameter name (arguments).
_TYPE_NAMES = {"str": N_("TEXT"), "int": N_("INTEGER"), "float": N_("NUMBER"),
               "Path": N_("PATH")}
_ARGUMENT_NAMES = {"file": N_("FILE"), "files": N_("FILES"), "path": N_("PATH"),
                   "slug": N_("IDENTIFIER")}
# Metavars given in the code (common.year_option).
_METAVARS = {"YEAR": N_("YEAR")}


def _hint(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    if hint is None and getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    return str(hint or "")


def _missing(self: Any) -> str:
    kind = getattr(self, "param_type", None) or getattr(self.param, "param_type_name", "option")
    template = _("Missing argument {name}.") if kind == "argument" else _("Missing option {name}.")
    return template.format(name=_hint(self)) + " [missing_value]"


def _bad_value(self: Any) -> str:
    hint = _hint(self)
    if not hint:
        return _("Invalid value: {message}").format(message=self.message) + " [invalid_value]"
    return _("Invalid value for {name}: {message}").format(
        name=hint, message=self.message) + " [invalid_value]"


def _no_such_option(self: Any) -> str:
    text = _("No such option: {name}").format(name=self.option_name)
    if self.possibilities:
        text += " " + _("(possible options: {options})").format(
            options=", ".join(sorted(self.possibilities)))
    return text + " [unknown_option]"


def _usage(self: Any) -> str:
    # Any other usage error (unknown command, extra argument): Click's text and a code, so
    # that scripts can tell every refusal by its bracketed code.
    if type(self).__name__ == "NoArgsIsHelpError":  # the help text, shown on purpose
        return str(self.message)
    return f"{self.message} [usage_error]"


def _metavar(name: str) -> str:
    return _(_METAVARS[name]) if name in _METAVARS else name


def _option_type(self: Any, ctx: Any) -> str | None:
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None  # a flag takes no value: nothing to name
    if self.metavar is not None:
        return _metavar(self.metavar)
    bare = self.bare_type() if hasattr(self, "bare_type") else ""
    repeated = bare.startswith("list[") and bare.endswith("]")
    if repeated:
        bare = bare[5:-1]
    if bare in _TYPE_NAMES:
        return _(_TYPE_NAMES[bare]) + ("..." if repeated else "")
    return _ORIGINAL_TYPE["option"](self, ctx)  # type: ignore[no-any-return]


def _argument_type(self: Any, ctx: Any) -> str | None:  # noqa: ARG001 (Typer passes ctx=)
    return None  # the argument's name already says what it is (FICHIER)


def _argument_name(self: Any) -> str:
    if self.metavar is not None:
        return _metavar(self.metavar)
    return _(_ARGUMENT_NAMES[self.name]) if self.name in _ARGUMENT_NAMES else self.name.upper()


def _argument_usage(self: Any) -> str:
    name = _argument_name(self)
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def _usage_pieces(original: Any) -> Any:
    def pieces(self: Any, ctx: Any) -> list[str]:
        labels = {"[OPTIONS]": _("[OPTIONS]"), "COMMAND [ARGS]...": _("COMMAND [ARGS]...")}
        return [labels.get(p, p) for p in original(self, ctx)]
    return pieces


def _write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
    _ORIGINAL_PIECES["usage"](self, prog, args, _("Usage: ") if prefix is None else prefix)


def _help_option(self: Any, ctx: Any) -> Any:
    option = _ORIGINAL_PIECES["help"](self, ctx)
    if option is not None:
        option.help = _("Show this message and exit.")
    return option


_ORIGINAL_TYPE: dict[str, Any] = {}
_ORIGINAL_PIECES: dict[str, Any] = {}


def _install_help() -> None:
    try:
        from typer import core as typer_core
        from typer._click import core as click_core
        from typer._click import formatting
    except ImportError:  # pragma: no cover
        return
    option = getattr(typer_core, "TyperOption", None)
    argument = getattr(typer_core, "TyperArgument", None)
    command = getattr(click_core, "Command", None)
    group = getattr(typer_core, "TyperGroup", None)
    formatter = getattr(formatting, "HelpFormatter", None)
    if (option is None or argument is None or command is None or formatter is None
            or group is None
            or not hasattr(option, "display_type_rich")
            or not hasattr(argument, "_usage_display_name")):
        return  # pragma: no cover - another Typer: English value names
    if "option" not in _ORIGINAL_TYPE:
        _ORIGINAL_TYPE["option"] = option.display_type_rich
        _ORIGINAL_PIECES["command"] = command.collect_usage_pieces
        _ORIGINAL_PIECES["group"] = group.collect_usage_pieces
        _ORIGINAL_PIECES["usage"] = formatter.write_usage
        _ORIGINAL_PIECES["help"] = command.get_help_option
    option.display_type_rich = _option_type
    argument.display_type_rich = _argument_type
    argument.display_name_raw = property(_argument_name)
    argument._usage_display_name = _argument_usage
    command.collect_usage_pieces = _usage_pieces(_ORIGINAL_PIECES["command"])
    group.collect_usage_pieces = _usage_pieces(_ORIGINAL_PIECES["group"])
    formatter.write_usage = _write_usage
    command.get_help_option = _help_option


def install() -> None:
    _install_help()
    try:
        from typer._click import exceptions as click_exceptions
    except ImportError:  # pragma: no cover - a Typer without a bundled Click
        return
    patches = {
        "MissingParameter": _missing,
        "BadParameter": _bad_value,
        "NoSuchOption": _no_such_option,
        "UsageError": _usage,
    }
    for name, function in patches.items():
        cls = getattr(click_exceptions, name, None)
        if cls is not None and hasattr(cls, "format_message"):
            cls.format_message = function

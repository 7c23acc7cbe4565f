"""French for the usage errors of the Click copy bundled in Typer.

That Click builds its messages in English without gettext, so the catalogs cannot reach them.
We replace ``format_message`` of the few exception classes users meet (missing option, bad
value, unknown option) with versions that go through our catalog, each ending with a
bracketed code like the program's own errors (``[missing_value]``, ``[invalid_value]``,
``[unknown_option]``, ``[usage_error]``). If a future Typer changes
those classes, the patch is skipped and the English text is shown: never an error.
"""

from __future__ import annotations

from typing import Any

from cigales.i18n import _


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


def install() -> None:
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

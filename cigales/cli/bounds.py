"""Every value typed on the command line is bounded before any command sees it.

``install()`` walks the Click command tree once and wraps the type of each integer and text
parameter: integers must fit the database's INTEGER columns (years a calendar range), text
must be free of control characters and within the length of the column it ends up in
(``ledger.limits``). The commands and services keep their own checks; this makes sure that a
hostile value never reaches them in a shape the database would choke on.

``user_error()`` is the last wall: a database refusal that still gets through (a length or
range the database enforces, a PostgreSQL role without the privilege) becomes a coded error
instead of a traceback.
"""

from __future__ import annotations

from typing import Any

from ledger import limits
from ledger.errors import N_, UserError

# Parameter name -> longest text accepted (the size of the column it is stored in).
TEXT_LIMITS: dict[str, int] = {
    "label": limits.LABEL_MAX,
    "key": limits.KEY_MAX,
    "name": limits.NAME_MAX,
    "email": limits.NAME_MAX,
    "address": limits.ADDRESS_MAX,
    "club": limits.SLUG_MAX,
    "slug": limits.SLUG_MAX,
    "to": limits.SLUG_MAX,
    "member": 16,
    "code": limits.SLUG_MAX,
    "investee": 40,
    "region": limits.REGION_MAX,
    "sector": limits.REGION_MAX,
    "role": 63,  # PostgreSQL identifiers
}
# Parameter name -> (lowest, highest) integer; others get the INTEGER column range.
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "year": (1900, 2999),
}


class PermissionDenied(UserError):
    code = "permission_denied"
    template = N_("The database role you are connected as may not do this ({detail}). A club's "
                  "role reads and writes its own club's books only: creating clubs, granting "
                  "access and upgrading the database are for the database owner.")


def _check(value: Any, name: str, flag: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        low, high = NUMBER_RANGES.get(name, (-limits.MAX_NUMBER, limits.MAX_NUMBER))
        limits.check_number(value, flag, low, high)
    elif isinstance(value, str):
        limits.check_text(value, flag, TEXT_LIMITS.get(name, limits.TEXT_MAX))
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, name, flag)


def _bounded(param: Any) -> None:
    # Wraps the parameter's own processing (Typer's coercion, then the callbacks): the value
    # is checked once it has its Python type, whatever Typer's internals look like.
    process = param.process_value
    name = param.name or ""
    flag = (getattr(param, "opts", None) or [name])[0]

    def process_value(ctx: Any, value: Any) -> Any:
        result = process(ctx, value)
        _check(result, name, flag)
        return result

    param.process_value = process_value


def install(command: Any) -> Any:
    for param in getattr(command, "params", []):
        _bounded(param)
    for sub in getattr(command, "commands", {}).values():
        install(sub)
    return command


def user_error(exc: BaseException) -> UserError | None:
    """The coded error for a database refusal of a value or a privilege, else None."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    message = str(orig).strip().splitlines()[0] if orig is not None else ""
    if state == "42501":
        return PermissionDenied(detail=message)
    if state == "22001" or "text_too_long" in message:
        return limits.TextTooLong(field="text", length="?", limit="the database's")
    if state == "22003" or isinstance(orig, OverflowError):
        return limits.NumberOutOfRange(field="value", value="?", low=-limits.MAX_NUMBER,
                                       high=limits.MAX_NUMBER)
    return None

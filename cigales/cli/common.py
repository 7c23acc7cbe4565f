"""Helpers shared by the commands: global state, parsing of option values, sessions."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from cigales import clock, i18n
from cigales.errors import (
    ConfirmationRequired,
    DatabaseNotFound,
    InvalidChoice,
    InvalidDate,
    InvalidLine,
    InvalidMonth,
    InvalidYear,
    MissingValue,
    Notice,
)

__all__ = ["InvalidChoice", "MissingValue"]
from cigales.i18n import _
from ledger.money import Money

if TYPE_CHECKING:
    # SQLAlchemy is imported by the commands that open the database, not by the command table
    # and the help (cigales.cli.app).
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session

    from cigales.models import Club

FORMATS = ("table", "json", "csv")


@dataclass
class State:
    db_url: str
    engine: Engine | None = None

    def get_engine(self, *, create: bool = True) -> Engine:
        """The engine, the schema checked; ``create=False`` for commands that only read."""
        if self.engine is None:
            from cigales import db, migrate

            engine = db.command_engine(self.db_url)  # checks the folder; does not connect
            try:
                path = db.sqlite_path(self.db_url)
                if not create and path is not None and not path.exists():
                    # Connecting would create the file: say there is nothing instead.
                    raise DatabaseNotFound(url=str(path))
                migrate.ensure_ready(engine, create=create)
            except BaseException:
                db.release(engine)  # the check's connection, as close() would
                raise
            self.engine = engine
        return self.engine

    def close(self) -> None:
        """Release the engine's connections when the command ends (the root context's close,
        ``db.release``), rather than whenever the engine is garbage-collected: a process that
        runs several commands (a test session) would otherwise hold a server connection per
        command."""
        if self.engine is not None:
            from cigales import db

            db.release(self.engine)
            self.engine = None


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


@contextmanager
def session(ctx: typer.Context, *, write: bool = True) -> Iterator[Session]:
    from cigales import db

    with db.session_scope(state(ctx).get_engine(create=write), write=write) as s:
        yield s


@contextmanager
def reading(ctx: typer.Context) -> Iterator[Connection]:
    """``session(ctx, write=False)`` as a Core ``Connection`` (``db.read_scope``): for the
    commands that read with Core queries only (``report balance``), which so never import
    the ORM nor the mapped classes (start-up, tests/cli/test_startup.py)."""
    from cigales import db

    with db.read_scope(state(ctx).get_engine(create=False)) as conn:
        yield conn


def today() -> dt.date:
    return clock.today()


def store_return_on_close(session: Session, club: Club, year: int) -> None:
    """``bookkeeping.close``'s ``on_closed``: compute and store the closed year's return
    (reused by ``federation report`` and ``federation return`` while the books are
    unchanged)."""
    from cigales.services.closed_returns import store
    from reports.club_return import closing_return

    store(session, [closing_return(session, club, year, today=today())], today=today())


_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str | None) -> dt.date | None:
    """YYYY-MM-DD always; JJ/MM/AAAA too in French (in English, 03/04 would be ambiguous)."""
    if text is None:
        return None
    value = text.strip()
    french = _FRENCH_DATE.fullmatch(value)
    if french and i18n.language() == "fr":
        day, month, year = (int(g) for g in french.groups())
        try:
            return dt.date(year, month, day)
        except ValueError as exc:
            raise InvalidDate(text=text) from exc
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InvalidDate(text=text)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidDate(text=text) from exc


def require_date(text: str) -> dt.date:
    parsed = parse_date(text)
    assert parsed is not None
    return parsed


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidMonth(text=text)
    return int(match.group(1)), int(match.group(2))


def parse_line(text: str) -> tuple[str, Money]:
    if "=" not in text:
        raise InvalidLine(text=text)
    account, amount = text.split("=", 1)
    account = account.strip()
    if not account:
        raise InvalidLine(text=text)
    return account, Money.parse(amount)


def choice(value: str, option: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidChoice(value=value, option=option, allowed=", ".join(allowed))
    return value


def check_format(value: str, dialect: str | None = None) -> str:
    """The --format value, and the --dialect of the command that offers CSV (checked even
    when another format is asked, so a typo is never silently ignored)."""
    from cigales.cli.output import use_dialect
    from reports.csvdialect import DEFAULT

    use_dialect(check_dialect(dialect) if dialect is not None else DEFAULT)
    return choice(value, "--format", FORMATS)


def format_option() -> Any:
    return typer.Option("table", "--format", help=_("Output format: table, json or csv."))


def check_dialect(value: str) -> str:
    from reports.csvdialect import NAMES

    return choice(value, "--dialect", NAMES)


def dialect_option() -> Any:
    """--dialect, on every command that writes CSV (reports.csvdialect)."""
    return typer.Option("rfc4180", "--dialect", help=_(
        "CSV dialect: rfc4180 (comma, dot decimals, ISO dates) or excel-fr (semicolon, "
        "decimal comma, dd/mm/yyyy, UTF-8 with BOM, for a French spreadsheet)."))


def output_option() -> Any:
    return typer.Option(None, "-o", "--output", help=_("Write to this file instead of stdout."))


def as_of_option() -> Any:
    return typer.Option(None, "--as-of", help=_("Date, YYYY-MM-DD; default today."))


def club_option() -> Any:
    return typer.Option(..., "--club", help=_("The club's identifier (slug), e.g. les-fourmis."))


def confirm(yes: bool, action: str) -> None:
    """Irreversible steps ask first; without a terminal they need --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(action=action)
    if not ask(_("{action} cannot be undone. Continue?").format(action=action)):
        raise ConfirmationRequired(action=action)


# Click's confirm only knows y/yes: a French treasurer answers "o" or "oui".
_YES = frozenset({"o", "oui", "y", "yes"})
_NO = frozenset({"", "n", "non", "no"})


def ask(question: str) -> bool:
    """A yes/no question on the terminal; no by default; asked again on any other answer."""
    choices = _("[y/N]")
    while True:
        answer = typer.prompt(f"{question} {choices}", default="", show_default=False,
                              prompt_suffix=" ").strip().casefold()
        if answer in _YES:
            return True
        if answer in _NO:
            return False
        notice(_("Answer {yes} or {no}.").format(yes=_("y"), no=_("n")))


def notice(message: str) -> None:
    """Diagnostics go to stderr so that stdout stays pure data."""
    print(message, file=sys.stderr)


def render(item: Notice) -> str:
    """A notice in the user's language, its marked amounts and percentages in their format."""
    from reports import fmt

    return Notice(item.code, item.template, dict(fmt.localized(item.params))).render(_)  # type: ignore[arg-type]


def _no_progress(n: int = 1) -> None:
    del n  # no bar: nothing to advance


@contextmanager
def progress(total: int, description: str, *, enabled: bool | None = None,
             in_bytes: bool = False) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr when it is a terminal (design.md §5); nothing when piped.

    Yields the function to call once per item done (or with the number done, e.g. bytes
    read when ``in_bytes``). ``enabled`` lets a command narrow when the bar shows (the bank
    import also wants stdout on a terminal); by default, whenever stderr is one.
    """
    shown = sys.stderr.isatty() if enabled is None else enabled and sys.stderr.isatty()
    if total <= 1 or not shown:
        yield _no_progress
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    count = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress("[progress.description]{task.description}", BarColumn(), count,
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def year_option(required: bool = False) -> Any:
    """--year as text, so that a wrong value gets our message and code (not Click's)."""
    if required:
        return typer.Option(..., "--year", metavar="YEAR", help=_("Year, e.g. 2025."))
    return typer.Option(None, "--year", metavar="YEAR", help=_("Only this year; default all."))


def parse_year(text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise InvalidYear(text=text)
    return int(text.strip())


def require_year(text: str) -> int:
    year = parse_year(text)
    assert year is not None
    return year

"""Expected, user-fixable errors with stable codes.

Each error carries a snake_case ``code`` naming the broken rule (tests match on it), an English
message template (the gettext msgid, translated when rendered) and the parameters to fill it.
The ledger knows nothing of languages: the CLI translates ``template`` through the message
catalogs, so ``str(error)`` is the English text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

# A date given to a message as ISO text ("2026-11-04"): shown in the reader's format.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def N_(message: str) -> str:
    """Mark a string for extraction into the message catalog without translating it here."""
    return message


class Plural(str):
    """A message template with a plural form (the string itself is the singular): the form
    is chosen by the number in the parameter ``key``, with the catalog's plural rule."""

    __slots__ = ("key", "plural")
    plural: str
    key: str

    def __new__(cls, singular: str, plural: str, key: str = "count") -> Plural:
        made = super().__new__(cls, singular)
        made.plural = plural
        made.key = key
        return made


def NP_(singular: str, plural: str, key: str = "count") -> Plural:
    """Mark a singular/plural pair for extraction (babel.cfg: NP_:1,2); translated when
    rendered, in the form the number in ``params[key]`` needs."""
    return Plural(singular, plural, key)


def render_template(template: str, params: dict[str, Any], translate: Any) -> str:
    """The template in the reader's language: a Plural picks its form through the
    translator's ``ngettext`` (the English rule when the translator has none)."""
    if isinstance(template, Plural):
        try:
            n = int(str(params.get(template.key, 0)).replace("\u202f", "").replace(" ", ""))
        except ValueError:
            n = 2
        plural = getattr(translate, "ngettext", None)
        if plural is not None:
            return str(plural(str(template), template.plural, n))
        return str(translate(str(template) if n == 1 else template.plural))
    return str(translate(template))


class Msg(str):
    """A message parameter that is itself translatable (a word such as "savings")."""

    __slots__ = ()


class MsgList(str):
    """A message parameter listing translatable words ("investment, management"): each is
    translated when the message is rendered; the plain string is the English list."""

    __slots__ = ("items",)
    items: tuple[str, ...]

    def __new__(cls, items: tuple[str, ...] | list[str]) -> MsgList:
        made = super().__new__(cls, ", ".join(items))
        made.items = tuple(items)
        return made


def render_params(params: dict[str, Any], translate: Any) -> dict[str, Any]:
    """Message parameters with their translatable words translated, and dates in the
    reader's format when the translator knows one (``format_date``: 04/11/2026 in French)."""
    out: dict[str, Any] = {}
    format_date = getattr(translate, "format_date", None)
    for key, value in params.items():
        if format_date is not None and _is_date(value):
            out[key] = format_date(value if isinstance(value, dt.date)
                                   else dt.date.fromisoformat(value))
        elif isinstance(value, MsgList):
            out[key] = ", ".join(str(translate(item)) for item in value.items)
        elif isinstance(value, Msg):
            out[key] = translate(value)
        else:
            out[key] = value
    return out


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date):
        return True
    if isinstance(value, str) and not isinstance(value, Msg) and _ISO_DATE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False  # an impossible date the user typed is shown as typed
        return True
    return False


class UserError(Exception):
    """Base of every error a user can fix; rendered once by the CLI, never as a traceback."""

    code: ClassVar[str] = "user_error"
    template: ClassVar[str] = N_("Invalid request.")
    # Exit codes per design.md §4: 1 rule broken, 3 idempotency conflict, 4 audit failure.
    exit_code: ClassVar[int] = 1

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.render(lambda s: s))

    def render(self, translate: Any) -> str:
        return render_template(self.template, self.params, translate).format(
            **render_params(self.params, translate))


class LedgerError(UserError):
    code = "ledger_error"


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    exit_code = 2  # a value that cannot be read is a usage error
    template = N_(
        "“{text}” is not an amount: write euros with at most two decimals, "
        "e.g. 1234.56, 1 234,56 or -30,00."
    )


class AmountTooPrecise(InvalidAmount):
    code = "amount_too_precise"
    template = N_(
        "“{text}” has more than two decimals: amounts are exact to the cent, "
        "nothing is rounded silently."
    )


class EntryMustBalance(LedgerError):
    code = "entry_must_balance"
    template = N_(
        "The entry does not balance: debits minus credits = {difference}. "
        "The lines of an entry must sum to zero (positive = debit, negative = credit)."
    )


class EntryTooShort(LedgerError):
    code = "entry_needs_two_lines"
    template = N_("An entry needs at least two lines (one debit and one credit); got {count}.")


class ZeroPosting(LedgerError):
    code = "posting_must_not_be_zero"
    template = N_("Line {line} on account {account} is zero: every line must move money.")


class UnknownAccount(LedgerError):
    code = "unknown_account"
    template = N_(
        "Account {account} does not exist in this book. "
        "Use `cigales account list` to see the accounts, or `cigales account add` to open one."
    )


class AccountNotPostable(LedgerError):
    code = "account_not_postable"
    template = N_(
        "Account {account} only groups sub-accounts; post to one of its sub-accounts "
        "({account}-CODE) instead."
    )


class InvalidAccountCode(LedgerError):
    code = "invalid_account_code"
    exit_code = 2
    template = N_(
        "“{account}” is not a valid account code: digits, optionally followed by “-” and a "
        "sub-account code of letters, digits, “.” or “_” (e.g. 5121, 1011-M01)."
    )


class DuplicateAccount(LedgerError):
    code = "account_exists"
    template = N_("Account {account} already exists in this book.")


class UnknownParentAccount(LedgerError):
    code = "unknown_parent_account"
    template = N_("Sub-account {account} needs its parent account {parent} in the chart.")


class UnknownJournal(LedgerError):
    code = "unknown_journal"
    template = N_("Unknown journal “{journal}”; allowed: {allowed}.")


class DateBeforeBookStart(LedgerError):
    code = "date_before_book_start"
    template = N_("{date} is before the books were opened on {start}; allowed: from {start}.")


class FiscalYearClosed(LedgerError):
    code = "fiscal_year_closed"
    template = N_(
        "{date} falls in fiscal year {year}, which is closed; post corrections in an open "
        "year (from {next_open})."
    )


class FiscalYearNotEnded(LedgerError):
    code = "fiscal_year_not_ended"
    template = N_("Fiscal year {year} ends on {end}; it can be closed from the day after.")


class FiscalYearAlreadyClosed(LedgerError):
    code = "fiscal_year_already_closed"
    template = N_("Fiscal year {year} is already closed; the next year to close is {next}.")


class EarlierYearsOpen(LedgerError):
    code = "earlier_years_open"
    template = N_("Fiscal year {year} cannot be closed before {years}: close years in order.")


class UnknownFiscalYear(LedgerError):
    code = "unknown_fiscal_year"
    template = N_("The books have no fiscal year {year}; years with entries: {allowed}.")


class UnknownEntry(LedgerError):
    code = "unknown_entry"
    template = N_("There is no entry {journal} {number} in this book.")


class AlreadyReversed(LedgerError):
    code = "entry_already_reversed"
    template = N_(
        "Entry {journal} {number} was already reversed by {by}; an entry is reversed once."
    )


class CannotReverseReversal(LedgerError):
    code = "cannot_reverse_reversal"
    template = N_(
        "Entry {journal} {number} is itself a reversal; post a new entry instead of "
        "reversing it."
    )


class ReversalBeforeOriginal(LedgerError):
    code = "reversal_before_original"
    template = N_(
        "Entry {journal} {number} is dated {original}; its reversal cannot be dated earlier "
        "({date}). Allowed: from {original}."
    )


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    template = N_(
        "The key “{key}” was already used for entry {journal} {number} with different "
        "content; use a new key for a new entry."
    )
    exit_code = 3


class LabelRequired(LedgerError):
    code = "label_required"
    template = N_("An entry needs a label saying what it records.")


class DatabaseRefused(LedgerError):
    """A database guard refused a write that the Python checks let through."""

    code = "database_guard"
    template = N_("The database refused the write: {detail}.")

"""Domain errors (clubs, dates, database) on top of the ledger's UserError family."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import N_, NP_, UserError, render_params, render_template


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning or alert that does not stop the operation: a rule code and a message."""

    code: str
    template: str
    params: dict[str, str]

    def render(self, translate: Callable[[str], str]) -> str:
        return render_template(self.template, self.params, translate).format(
            **render_params(self.params, translate))


class Amount(str):
    """A message parameter holding a plain amount ("1234.50"): JSON and logs keep it as it is,
    the CLI and documents print it in the reader's format ("1 234,50") via reports.fmt."""

    __slots__ = ()


class Percent(str):
    """A message parameter holding a percentage as a plain decimal ("25.03" for 25.03 %),
    printed with its decimals and the sign in the reader's format ("25,03 %" in French,
    "25.03%" in English) via reports.fmt.percent; templates write "{percent}", no sign."""

    __slots__ = ()


class CigalesError(UserError):
    code = "cigales_error"


class UsageProblem(CigalesError):
    """A value that cannot be read at all (exit code 2, like other usage errors)."""

    exit_code = 2


class InvalidDate(UsageProblem):
    code = "invalid_date"
    template = N_("“{text}” is not a valid date: write YYYY-MM-DD, e.g. 2025-03-31.")


class InvalidMonth(UsageProblem):
    code = "invalid_month"
    template = N_("“{text}” is not a valid month: write YYYY-MM, e.g. 2025-03.")


class MissingValue(UsageProblem):
    code = "missing_value"
    template = N_("This command needs {option}.")


class InvalidLine(UsageProblem):
    code = "invalid_line"
    template = N_(
        "“{text}” is not an entry line: write ACCOUNT=AMOUNT, e.g. 5121=30,00 (debit) or "
        "1011-M01=-30,00 (credit)."
    )


class InvalidChoice(UsageProblem):
    code = "invalid_choice"
    template = N_("“{value}” is not allowed for {option}; allowed: {allowed}.")


class DateInFuture(CigalesError):
    code = "date_in_future"
    template = N_("{date} is in the future; allowed: up to today ({today}).")


class InvalidSlug(CigalesError):
    code = "invalid_slug"
    template = N_(
        "“{slug}” is not a valid club identifier: lower-case letters, digits and single "
        "hyphens, 2 to 64 characters (e.g. les-fourmis)."
    )


class InvalidDepartment(UsageProblem):
    code = "invalid_department"
    template = N_("“{department}” is not a French department number: 01–95, 2A, 2B or 971–976.")


class NameRequired(CigalesError):
    code = "name_required"
    template = N_("A name is required.")


class ClubExists(CigalesError):
    code = "club_exists"
    template = N_("A club “{slug}” already exists; choose another identifier.")


class UnknownClub(CigalesError):
    code = "unknown_club"
    template = N_("There is no club “{slug}”; known clubs: {known}.")


class DatabaseUnavailable(CigalesError):
    code = "database_unavailable"
    template = N_("Cannot open the database {url}: {reason}.")


class DatabaseNotFound(CigalesError):
    code = "database_not_found"
    template = N_("No cigales database at {url}: nothing to read. Create one with "
                  "`cigales club create` (or try `cigales demo`), or point to yours with "
                  "--db FILE or the CIGALES_DB environment variable.")


class DatabaseNeedsUpgrade(CigalesError):
    code = "database_needs_upgrade"
    template = N_(
        "The database is at schema version {current}, this program needs {head}: "
        "run `cigales db upgrade` (make a copy of the file first)."
    )


class DatabaseTooNew(CigalesError):
    code = "database_too_new"
    template = N_(
        "The database is at schema version {current}, unknown to this program (latest {head}): "
        "upgrade cigales."
    )


class NotACigalesDatabase(CigalesError):
    code = "not_a_cigales_database"
    template = N_("{url} holds tables but no cigales schema version; refusing to touch it.")


class MemberAccountReserved(CigalesError):
    code = "member_account_reserved"
    template = N_(
        "Account {account} belongs to a member: it is written only by `member add`, "
        "`saving add`, `saving collect` and `member leave`, so that shares always match the "
        "books."
    )


class DepartureNotReversible(CigalesError):
    code = "departure_not_reversible"
    template = N_(
        "Entry {journal} {number} settles a member's departure and cannot be reversed; "
        "record the correction with new entries."
    )


class AuditFailed(CigalesError):
    code = "audit_failed"
    template = NP_("The books of “{club}” fail {count} integrity check.",
                   "The books of “{club}” fail {count} integrity checks.")
    exit_code = 4


class OutputNotWritable(CigalesError):
    code = "output_not_writable"
    template = N_("Cannot write {path}: {reason}.")


class ConfirmationRequired(CigalesError):
    code = "confirmation_required"
    template = N_("{action} cannot be undone: confirm it, or pass --yes to run without asking.")


class InvalidYear(UsageProblem):
    code = "invalid_year"
    template = N_("“{text}” is not a year: write four digits, e.g. 2025.")


class YearOutOfRange(CigalesError):
    code = "year_out_of_range"
    template = N_("The books of “{club}” cover {first} to {last}; {year} is outside.")


class OutputFileRequired(UsageProblem):
    code = "output_file_required"
    template = N_("{what} is a binary file and is not written to the terminal: give a file "
                  "name with -o, e.g. -o {example}.")


class AccountNameClash(CigalesError):
    code = "account_name_clash"
    template = N_("Accounts {first} and {second} would both be written as {name} in the "
                  "{tool} file; rename one of the sub-accounts.")


class UnreadableFile(CigalesError):
    code = "file_unreadable"
    template = N_("Cannot read {path}: {reason}.")


class SomeFilesRejected(CigalesError):
    code = "files_rejected"
    template = NP_("{count} of {total} files was rejected (see the list above); the others "
                   "were processed.",
                   "{count} of {total} files were rejected (see the list above); the others "
                   "were processed.")

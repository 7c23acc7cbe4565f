"""Errors of the bank import, each with a stable code (tests match on it, not on the text)."""

from __future__ import annotations

from typing import Any

from cigales.errors import CigalesError, UsageProblem
from ledger.errors import N_, UserError


class BankFileUnreadable(UsageProblem):
    code = "bank_file_unreadable"
    template = N_("Cannot read {path}: {reason}.")


class BankFileChanged(CigalesError):
    code = "bank_file_changed"
    template = N_("{path} changed while it was being imported (its content is no longer the "
                  "one checked): nothing more was booked. Lines booked before the change "
                  "stay booked; import the final file again, lines already imported are "
                  "skipped.")


class UndecodableLine(UsageProblem):
    code = "bank_file_encoding"
    template = N_("Line {line} of {path} cannot be read as {encoding} (byte {byte}); allowed "
                  "encodings: utf-8, utf-8-sig, cp1252, iso-8859-15 — declare the right one "
                  "in the profile (encoding = ...).")


class HeaderNotFound(UsageProblem):
    code = "bank_header_not_found"
    template = N_("{path}: no header line with the columns {columns} in the first {lines} "
                  "lines; is “{profile}” the right profile? See `cigales bank profiles`.")


class NoProfileFits(UsageProblem):
    code = "bank_profile_not_detected"
    template = N_("{path}: no shipped profile recognises this CSV file; choose one with "
                  "--profile (known: {known}) or write your own TOML profile.")


class BadDate(UsageProblem):
    code = "bank_invalid_date"
    template = N_("Line {line} of {path}: “{text}” is not a date written {format}.")


class BadAmount(UsageProblem):
    code = "bank_invalid_amount"
    template = N_("Line {line} of {path}: “{text}” is not an amount exact to the cent "
                  "(decimal separator “{decimal}”).")


class AmbiguousAmount(UsageProblem):
    code = "bank_ambiguous_amount"
    template = N_("Line {line} of {path}: “{text}” is ambiguous: this profile writes decimals "
                  "with “{decimal}” and thousands with “{thousands}”, so “{other}” cannot be "
                  "read safely. Fix the profile's decimal_separator or thousands_separator.")


class MissingCell(UsageProblem):
    code = "bank_missing_value"
    template = N_("Line {line} of {path}: the column “{column}” is empty or missing.")


class DebitAndCredit(UsageProblem):
    code = "bank_debit_and_credit"
    template = N_("Line {line} of {path}: both a debit ({debit}) and a credit ({credit}); "
                  "a bank line is one or the other.")


class UnknownProfile(UsageProblem):
    code = "unknown_bank_profile"
    template = N_("There is no bank profile “{profile}”; known profiles: {known} (or give the "
                  "path of a .toml file).")


class InvalidProfile(UsageProblem):
    code = "invalid_bank_profile"
    template = N_("Bank profile {profile}, key “{key}”: {problem}.")


class InvalidRules(UsageProblem):
    code = "invalid_bank_rules"
    template = N_("Rules file {path}, {where}: {problem}.")


class InvalidOfx(UsageProblem):
    code = "invalid_ofx"
    template = N_("{path} is not a readable OFX statement: {reason}.")


class InvalidCamt(UsageProblem):
    code = "invalid_camt"
    template = N_("{path} is not a readable camt.053 statement: {reason}.")


class UnsafeXml(UsageProblem):
    code = "unsafe_xml"
    template = N_("{path} declares a DTD or entities, which bank statements never need; it is "
                  "refused for safety.")


class InvalidIban(UsageProblem):
    code = "invalid_iban"
    template = N_("“{iban}” is not a valid IBAN ({reason}); copy it as printed on the "
                  "member's bank details (RIB): country, check digits, then the account, "
                  "spaces allowed.")


class IbanInUse(CigalesError):
    code = "iban_in_use"
    template = N_("IBAN {iban} is already recorded for member {member}; an IBAN identifies one "
                  "member only.")


class LineNotBookable(CigalesError):
    code = "bank_line_not_bookable"
    template = N_("Line {line} ({date}, {amount}) cannot be booked: {reason} Nothing was "
                  "imported; remove the line from the file or fix the club's dates.")

    def __init__(self, *, cause: UserError, **params: Any) -> None:
        self.cause = cause
        super().__init__(reason="", **params)

    def render(self, translate: Any) -> str:
        # The reason is the refusing rule's own message, in the same language.
        params = {**self.params, "reason": self.cause.render(translate)}
        return str(translate(self.template)).format(**params)


class UnknownBankLine(CigalesError):
    code = "unknown_bank_line"
    template = N_("There is no imported bank line {line} in this club; see `cigales bank "
                  "suspense`.")


class LineNotInSuspense(CigalesError):
    code = "bank_line_not_in_suspense"
    template = N_("Bank line {line} is not in suspense (471): it was booked as {kind}. Only "
                  "lines listed by `cigales bank suspense` can be assigned.")


class AssignTarget(UsageProblem):
    code = "assign_target_required"
    template = N_("Give exactly one of --member, --account or --loan.")


class AssignSignMismatch(CigalesError):
    code = "assign_sign_mismatch"
    template = N_("Bank line {line} is a {direction} of {amount}: {target} takes only "
                  "{allowed}.")


class BalanceMismatch(CigalesError):
    code = "bank_balance_mismatch"
    template = N_("On {date} the books show {ledger} on 5121 and the statement {statement}: "
                  "a difference of {difference}.")

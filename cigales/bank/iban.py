"""IBANs: validated with python-stdnum, stored compact, never shown in full."""

from __future__ import annotations

from stdnum import iban as stdnum_iban
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from cigales.bank.errors import InvalidIban
from ledger.errors import N_, Msg

# python-stdnum explains in English; the reader gets the same reason in their language.
_REASONS: list[tuple[type[ValidationError], str]] = [
    (InvalidChecksum, N_("the check digits do not match: a character is probably mistyped")),
    (InvalidLength, N_("wrong number of characters for this country")),
    (InvalidFormat, N_("only letters and digits, starting with the country code")),
    (InvalidComponent, N_("unknown country or bank code")),
]


def _reason(exc: ValidationError) -> Msg:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return Msg(reason)
    return Msg(N_("not an IBAN"))


def validate(value: str) -> str:
    """The compact IBAN ("FR7630006000011234567890189"), or InvalidIban."""
    try:
        return str(stdnum_iban.validate(value))
    except ValidationError as exc:
        raise InvalidIban(iban=mask(value), reason=_reason(exc)) from exc


def mask(value: str) -> str:
    """Country and check digits, then stars, then the last three characters, in groups of 4:
    "FR76 **** **** **** **** **** 189". Anything too short is masked entirely."""
    compact = "".join(value.split()).upper()
    if len(compact) < 8:
        return "*" * len(compact)
    hidden = compact[:4] + "*" * (len(compact) - 7) + compact[-3:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))

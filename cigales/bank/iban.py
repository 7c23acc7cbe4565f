"""IBANs: validated with python-stdnum, stored compact, never shown in full."""

from __future__ import annotations

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from cigales.bank.errors import InvalidIban


def validate(value: str) -> str:
    """The compact IBAN ("FR7630006000011234567890189"), or InvalidIban."""
    try:
        return str(stdnum_iban.validate(value))
    except ValidationError as exc:
        raise InvalidIban(iban=mask(value), reason=str(exc)) from exc


def mask(value: str) -> str:
    """Country and check digits, then stars, then the last three characters, in groups of 4:
    "FR76 **** **** **** **** **** 189". Anything too short is masked entirely."""
    compact = "".join(value.split()).upper()
    if len(compact) < 8:
        return "*" * len(compact)
    hidden = compact[:4] + "*" * (len(compact) - 7) + compact[-3:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))

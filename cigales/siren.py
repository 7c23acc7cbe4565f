"""SIREN numbers (9 digits, Luhn check digit) of clubs and investees, checked with
python-stdnum's ``stdnum.fr.siren``."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.fr import siren as siren_number

from cigales.errors import CigalesError
from ledger.errors import N_


class InvalidSiren(CigalesError):
    code = "invalid_siren"
    template = N_("“{siren}” is not a valid SIREN number: 9 digits with a valid check digit.")
    exit_code = 2


def validate_siren(value: str) -> str:
    """The SIREN without spaces, or InvalidSiren."""
    try:
        return str(siren_number.validate(value))
    except ValidationError as exc:
        raise InvalidSiren(siren=value) from exc

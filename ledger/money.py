"""Money as integer cents, parsing of French and dot decimals, rounding and allocation.

Money never goes through a float: floats are refused wherever money enters, and strings with
more than two decimals are an error rather than being silently rounded. Rounding only happens
at named points (``round_half_up``), and every split of money goes through ``allocate``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import SupportsIndex

from ledger.errors import AmountTooPrecise, InvalidAmount
from ledger.limits import AmountTooLarge, check_cents, limit_text

CURRENCY = "EUR"

# Spaces that people and spreadsheets put between thousands: plain, no-break, narrow no-break,
# thin. A dot is only accepted as the decimal point; a comma likewise (French style).
_GROUP_SPACES = " \u00a0\u202f\u2009'"
_AMOUNT_RE = re.compile(r"^(?P<sign>[+-]?)(?P<int>[0-9]+)(?:[.,](?P<frac>[0-9]*))?$")


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount of euros held as a whole number of cents."""

    cents: int

    def __post_init__(self) -> None:
        # bool is an int subclass; True euros is always a bug.
        if type(self.cents) is not int:
            raise TypeError(f"Money needs integer cents, got {type(self.cents).__name__}")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse "1234.5", "1 234,50", "-30,00", "+12". Refuses >2 decimals and garbage."""
        if isinstance(text, float):
            raise TypeError("floats are refused for money; pass a string or integer cents")
        if not isinstance(text, str):
            raise TypeError(f"Money.parse needs a string, got {type(text).__name__}")
        raw = text.strip()
        for ch in _GROUP_SPACES:
            raw = raw.replace(ch, "")
        if raw.endswith("€"):
            raw = raw[:-1]
        if raw.upper().endswith("EUR"):
            raw = raw[:-3]
        raw = raw.strip()
        match = _AMOUNT_RE.match(raw)
        if match is None:
            raise InvalidAmount(text=text)
        frac = match.group("frac") or ""
        if len(frac) > 2:
            raise AmountTooPrecise(text=text)
        digits = match.group("int").lstrip("0")
        if len(digits) > 15:
            # Refused before int(): a 10^6-digit string would take seconds to convert.
            raise AmountTooLarge(text=text, limit=limit_text())
        cents = int(digits or "0") * 100 + int((frac + "00")[:2])
        check_cents(cents, text)
        return cls(-cents if match.group("sign") == "-" else cents)

    @classmethod
    def of(cls, value: Money | Decimal | str) -> Money:
        """Coerce from the types money may legitimately arrive as.

        Plain ints are refused because "30" could mean euros or cents: use Money(cents).
        """
        if isinstance(value, Money):
            return value
        if isinstance(value, float):
            raise TypeError("floats are refused for money; pass a string, Decimal or Money")
        if isinstance(value, int):
            raise TypeError("ambiguous int amount: use Money(cents) or a string in euros")
        if isinstance(value, Decimal):
            return cls.from_decimal(value)
        if isinstance(value, str):
            return cls.parse(value)
        raise TypeError(f"cannot make Money from {type(value).__name__}")

    @classmethod
    def from_decimal(cls, value: Decimal) -> Money:
        """Exact conversion: a Decimal with more than two decimals is an error."""
        if not isinstance(value, Decimal):
            raise TypeError(f"from_decimal needs a Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise InvalidAmount(text=str(value))
        if value.adjusted() > 15:
            # Before any arithmetic: Decimal("1e999999") * 100 would be a huge integer.
            raise AmountTooLarge(text=str(value), limit=limit_text())
        cents = value * 100
        if cents != cents.to_integral_value():
            raise AmountTooPrecise(text=str(value))
        return cls(check_cents(int(cents), str(value)))

    # -- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.cents - other.cents)

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __abs__(self) -> Money:
        return Money(abs(self.cents))

    def __mul__(self, factor: SupportsIndex) -> Money:
        # Only whole-number multiples are exact; fractional ones go through round_half_up().
        if isinstance(factor, (float, Decimal, Fraction, bool)):
            return NotImplemented
        return Money(self.cents * int(factor))

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return self.cents != 0

    def is_zero(self) -> bool:
        return self.cents == 0

    # -- conversion ---------------------------------------------------------------------------
    def to_decimal(self) -> Decimal:
        return Decimal(self.cents).scaleb(-2)

    def plain(self) -> str:
        """Locale-neutral machine form: dot decimal, exactly two decimals ("-1234.50")."""
        sign = "-" if self.cents < 0 else ""
        whole, frac = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{frac:02d}"

    def __str__(self) -> str:
        return f"{self.plain()} {CURRENCY}"

    def __repr__(self) -> str:
        return f"Money('{self.plain()}')"


def round_half_up(value: Decimal | Fraction) -> Money:
    """Round an exact euro amount to the cent, half away from zero (the domain's rounding).

    Decimals go through Fraction so that no intermediate context rounding happens first.
    """
    if isinstance(value, float):
        raise TypeError("floats are refused for money")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(text=str(value))
        value = Fraction(value)
    if not isinstance(value, Fraction):
        raise TypeError(f"round_half_up needs a Decimal or Fraction, got {type(value).__name__}")
    cents_frac = value * 100
    sign = -1 if cents_frac < 0 else 1
    magnitude = abs(cents_frac)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return Money(sign * whole)


def allocate(
    total: Money,
    weights: Sequence[int | Fraction],
    keys: Sequence[Hashable] | None = None,
) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` by largest remainder.

    Each part is the exact share rounded down (toward minus infinity for the sign of the
    total), then the leftover cents go one by one to the largest remainders; ties go to the
    smallest key (member code), or to the earliest position when no keys are given. Parts
    always sum exactly to ``total`` and each is within one cent of its exact share.
    """
    if not isinstance(total, Money):
        raise TypeError("allocate() needs a Money total")
    if not weights:
        raise ValueError("allocate() needs at least one weight")
    if keys is not None and len(keys) != len(weights):
        raise ValueError("allocate(): keys and weights differ in length")
    exact_weights: list[Fraction] = []
    for w in weights:
        if isinstance(w, (float, Decimal, bool)):
            raise TypeError("allocate() weights must be int or Fraction")
        fw = Fraction(w)
        if fw < 0:
            raise ValueError("allocate() weights must not be negative")
        exact_weights.append(fw)
    weight_sum = sum(exact_weights, Fraction(0))
    if weight_sum == 0:
        raise ValueError("allocate() needs a positive total weight")

    sign = -1 if total.cents < 0 else 1
    magnitude = abs(total.cents)
    floors: list[int] = []
    remainders: list[Fraction] = []
    for w in exact_weights:
        exact = magnitude * w / weight_sum
        floor = exact.numerator // exact.denominator
        floors.append(floor)
        remainders.append(exact - floor)
    leftover = magnitude - sum(floors)
    order_keys = list(keys) if keys is not None else list(range(len(weights)))
    # Sort positions by remainder (largest first), then by key for a stable, explainable tie rule.
    ranked = sorted(range(len(weights)), key=lambda i: (-remainders[i], _sort_key(order_keys[i])))
    for i in ranked[:leftover]:
        floors[i] += 1
    parts = [Money(sign * c) for c in floors]
    assert sum(p.cents for p in parts) == total.cents, "allocate() lost a cent"
    return parts


def _sort_key(key: Hashable) -> tuple[int, int, str]:
    # Integers sort numerically (negative ones too), anything else by its text.
    if isinstance(key, int) and not isinstance(key, bool):
        return (0, key, "")
    return (1, 0, str(key))

"""Money: parsing, refusals with stable codes, floats refused, rounding and allocation.

Examples pin the concrete behaviour; hypothesis properties cover round trips, ROUND_HALF_UP
on Decimal and Fraction, and allocate() (exact sum, within one cent, ties by key).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import AmountTooPrecise, InvalidAmount
from ledger.limits import MAX_AMOUNT_CENTS, AmountTooLarge
from ledger.money import Money, allocate, round_half_up
from ledger.post import Line

# Amounts that fit the BIGINT *_cents columns.
BIGINT = 2**63 - 1
cents_st = st.integers(min_value=-BIGINT, max_value=BIGINT)
# Amounts that may be typed or read: within the money maximum (ledger.limits, issue #14).
typed_cents_st = st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS)


# -- parsing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.5", 123450),
        ("1234.56", 123456),
        ("1 234,50", 123450),
        ("1\u202f234,50", 123450),
        ("1\u00a0234,50", 123450),
        ("-30,00", -3000),
        ("+12", 1200),
        ("12 €", 1200),
        ("12 EUR", 1200),
        ("  7,5  ", 750),
        ("0", 0),
        ("-0,01", -1),
        ("0.10", 10),
    ],
)
def test_parse_accepts_dot_and_french_forms(text, cents):
    assert Money.parse(text) == Money(cents)
    assert Money.parse(text).cents == cents


def test_too_many_decimals_is_an_error_not_a_rounding():
    with pytest.raises(AmountTooPrecise) as info:
        Money.parse("12.345")
    assert info.value.code == "amount_too_precise"
    with pytest.raises(AmountTooPrecise) as info:
        Money.parse("1 234,001")
    assert info.value.code == "amount_too_precise"


@pytest.mark.parametrize("text", ["abc", "", "   ", "1,2,3", "--3", "+-3", ".5", "1,234.50",
                                  "€12", "12 USD", "1e3", "12.3.4"])
def test_garbage_is_invalid_amount(text):
    with pytest.raises(InvalidAmount) as info:
        Money.parse(text)
    assert info.value.code == "invalid_amount"
    assert not isinstance(info.value, AmountTooPrecise)


def test_of_coerces_legitimate_types():
    assert Money.of("1 234,56") == Money(123456)
    assert Money.of(Decimal("-0.5")) == Money(-50)
    assert Money.of(Money(7)) == Money(7)
    with pytest.raises(AmountTooPrecise) as info:
        Money.of(Decimal("1.234"))
    assert info.value.code == "amount_too_precise"
    with pytest.raises(InvalidAmount) as info:
        Money.of(Decimal("NaN"))
    assert info.value.code == "invalid_amount"


def test_plain_is_locale_neutral_with_two_decimals():
    assert Money(123450).plain() == "1234.50"
    assert Money(-5).plain() == "-0.05"
    assert Money(0).plain() == "0.00"
    assert str(Money(-123456)) == "-1234.56 EUR"


# -- floats (and other ambiguous types) are refused wherever money enters ---------------------
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: Money(1.5), id="Money(float)"),
        pytest.param(lambda: Money(True), id="Money(bool)"),
        pytest.param(lambda: Money(Decimal("1.5")), id="Money(Decimal)"),
        pytest.param(lambda: Money.parse(1.5), id="parse(float)"),
        pytest.param(lambda: Money.parse(150), id="parse(int)"),
        pytest.param(lambda: Money.of(1.5), id="of(float)"),
        pytest.param(lambda: Money.of(30), id="of(int)"),
        pytest.param(lambda: Money.from_decimal(1.5), id="from_decimal(float)"),
        pytest.param(lambda: Line("5121", 1.5), id="Line(float)"),
        pytest.param(lambda: Line("5121", 150), id="Line(int)"),
        pytest.param(lambda: allocate(Money(100), [0.5, 0.5]), id="allocate(float weights)"),
        pytest.param(lambda: allocate(Money(100), [Decimal(1), 1]), id="allocate(Decimal)"),
        pytest.param(lambda: allocate(100, [1, 1]), id="allocate(int total)"),
        pytest.param(lambda: round_half_up(0.005), id="round_half_up(float)"),
        pytest.param(lambda: Money(100) * 1.5, id="Money*float"),
        pytest.param(lambda: Money(100) + 1, id="Money+int"),
    ],
)
def test_floats_and_ambiguous_numbers_are_refused(make):
    with pytest.raises(TypeError):
        make()


def test_integer_multiples_are_exact():
    assert Money(333) * 3 == Money(999)
    assert 2 * Money(-5) == Money(-10)


# -- round trips --------------------------------------------------------------------------------
@given(typed_cents_st)
def test_plain_round_trip(c):
    assert Money.parse(Money(c).plain()) == Money(c)


@given(st.integers(min_value=MAX_AMOUNT_CENTS + 1, max_value=BIGINT), st.booleans())
def test_amounts_beyond_the_maximum_are_refused_when_read(c, negative):
    with pytest.raises(AmountTooLarge):
        Money.parse(Money(-c if negative else c).plain())


def _french(cents: int, sep: str, suffix: str, plus: bool) -> str:
    whole, frac = divmod(abs(cents), 100)
    digits = str(whole)
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    sign = "-" if cents < 0 else ("+" if plus else "")
    return f"{sign}{sep.join(groups)},{frac:02d}{suffix}"


def test_french_builder_shape():
    # The helper used by the property below builds what a French user types.
    assert _french(123456, " ", " €", plus=False) == "1 234,56 €"
    assert _french(-100000005, "\u202f", "", plus=False) == "-1\u202f000\u202f000,05"


@given(
    typed_cents_st,
    st.sampled_from([" ", "\u00a0", "\u202f", "\u2009"]),
    st.sampled_from(["", " €", "€", " EUR"]),
    st.booleans(),
)
def test_french_format_round_trip(c, sep, suffix, plus):
    assert Money.parse(_french(c, sep, suffix, plus)) == Money(c)


# -- rounding ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("0.005", 1),
        ("-0.005", -1),
        ("0.0049", 0),
        ("-0.0049", 0),
        ("0.015", 2),
        ("0.025", 3),  # half up, not half even
        ("2.675", 268),
        ("-2.675", -268),
        ("1234.5649", 123456),
        ("7", 700),
    ],
)
def test_round_half_up_examples(value, cents):
    assert round_half_up(Decimal(value)) == Money(cents)
    assert round_half_up(Fraction(value)) == Money(cents)


@pytest.mark.parametrize("bad", ["Infinity", "-Infinity", "sNaN"])
def test_round_half_up_refuses_non_finite(bad):
    with pytest.raises(InvalidAmount) as info:
        round_half_up(Decimal(bad))
    assert info.value.code == "invalid_amount"


def test_round_half_up_refuses_quiet_nan_with_invalid_amount():
    with pytest.raises(InvalidAmount) as info:
        round_half_up(Decimal("NaN"))
    assert info.value.code == "invalid_amount"


def _expected_half_up(value: Fraction) -> int:
    """Reference: nearest cent, halves away from zero, from the exact rational value."""
    scaled = abs(value) * 100
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


@given(st.integers(min_value=-(10**15), max_value=10**15),
       st.integers(min_value=1, max_value=10**6))
def test_round_half_up_fraction_is_nearest_cent_halves_away(num, den):
    value = Fraction(num, den)
    got = round_half_up(value)
    assert got.cents == _expected_half_up(value)
    assert abs(Fraction(got.cents) - value * 100) <= Fraction(1, 2)


@given(st.integers(min_value=-(10**17), max_value=10**17), st.integers(min_value=0, max_value=8))
def test_round_half_up_decimal_agrees_with_fraction(coefficient, places):
    # Decimals of up to 26 significant digits (what money computations produce).
    value = Decimal(coefficient).scaleb(-places)
    assert round_half_up(value) == round_half_up(Fraction(value))
    assert round_half_up(value).cents == _expected_half_up(Fraction(value))


def test_round_half_up_decimal_with_many_digits_is_not_double_rounded():
    value = Decimal("0.004999999999999999999999999999999")  # 31 significant digits, < half a cent
    assert round_half_up(Fraction(value)) == Money(0)
    assert round_half_up(value) == Money(0)


# -- allocate ----------------------------------------------------------------------------------
def test_allocate_ties_go_to_the_smallest_key():
    assert allocate(Money(100), [1, 1, 1], keys=["M03", "M01", "M02"]) == [
        Money(33), Money(34), Money(33)]
    assert allocate(Money(200), [1, 1, 1], keys=["M03", "M01", "M02"]) == [
        Money(66), Money(67), Money(67)]
    # Without keys, ties go to the earliest position.
    assert allocate(Money(100), [1, 1, 1]) == [Money(34), Money(33), Money(33)]
    # Negative totals: the extra cent (in magnitude) goes the same way.
    assert allocate(Money(-100), [1, 1, 1], keys=["M03", "M01", "M02"]) == [
        Money(-33), Money(-34), Money(-33)]


def test_allocate_largest_remainder_wins_before_keys():
    # Exact shares 1/6 and 5/6 of 100 cents: 16.67 and 83.33 -> 17 and 83, whatever the keys.
    assert allocate(Money(100), [1, 5], keys=["M02", "M01"]) == [Money(17), Money(83)]
    assert allocate(Money(10), [Fraction(1, 3), Fraction(2, 3)]) == [Money(3), Money(7)]
    assert allocate(Money(5), [0, 1, 1]) == [Money(0), Money(3), Money(2)]


def test_allocate_refuses_bad_weights():
    with pytest.raises(ValueError, match="positive total weight"):
        allocate(Money(100), [0, 0])
    with pytest.raises(ValueError, match="negative"):
        allocate(Money(100), [2, -1])
    with pytest.raises(ValueError, match="at least one weight"):
        allocate(Money(100), [])
    with pytest.raises(ValueError, match="differ in length"):
        allocate(Money(100), [1, 1], keys=["M01"])
    with pytest.raises(TypeError):
        allocate(Money(100), [True, 1])


weights_st = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=25).filter(
    any)


@given(cents_st, weights_st)
def test_allocate_sums_exactly_and_stays_within_a_cent(total, weights):
    parts = allocate(Money(total), weights)
    assert len(parts) == len(weights)
    assert sum(p.cents for p in parts) == total
    weight_sum = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        exact = Fraction(total) * w / weight_sum
        assert abs(part.cents - exact) < 1
        if w == 0:
            assert part == Money(0)


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.fractions(min_value=0, max_value=1000, max_denominator=1000), min_size=1,
             max_size=10).filter(any),
)
def test_allocate_with_fraction_weights(total, weights):
    parts = allocate(Money(total), weights)
    assert sum(p.cents for p in parts) == total
    weight_sum = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part.cents - Fraction(total) * w / weight_sum) < 1


@given(
    st.integers(min_value=-10_000, max_value=10_000),
    st.lists(st.text(alphabet="ABCM0123456789", min_size=1, max_size=4), min_size=1,
             max_size=12, unique=True),
)
def test_allocate_equal_weights_give_extra_cents_to_smallest_keys(total, keys):
    parts = dict(zip(keys, allocate(Money(total), [1] * len(keys), keys=keys), strict=True))
    n = len(keys)
    base, extra = divmod(abs(total), n)
    sign = -1 if total < 0 else 1
    for rank, key in enumerate(sorted(keys)):
        assert parts[key] == Money(sign * (base + (1 if rank < extra else 0)))


def test_allocate_ties_with_negative_int_keys_go_to_the_smallest_key():
    assert allocate(Money(1), [1, 1], keys=[-3, -5]) == [Money(0), Money(1)]


def test_allocate_ties_with_int_keys_use_numeric_order():
    # 9 < 10 numerically (a plain string sort would say "10" < "9").
    assert allocate(Money(1), [1, 1], keys=[10, 9]) == [Money(0), Money(1)]

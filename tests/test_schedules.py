"""Loan schedules, payment allocation and arrears (cigales.schedules), without a database.

The tables below were computed by hand (with a calculator for the annuity recurrence), not
by running the code: a row is (due date, principal, interest, outstanding after). Then
hypothesis properties over random terms: the principal parts sum to the principal exactly,
the balance never goes negative, due dates increase, annuity instalments are equal but the
last one (within a bound proven below), linear parts are equal but the last one; and over
random payment histories: payments are allocated oldest first, interest first, to the cent.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cigales.schedules import (
    Frequency,
    Instalment,
    InstalmentStatus,
    LoanArrears,
    LoanTerms,
    Method,
    OverPayment,
    allocate_payments,
    build_schedule,
    loan_arrears,
    outstanding_principal,
    par30,
    participating_min_term,
    reschedule,
    settlement,
    settlement_amount,
    single_term_schedule,
)
from ledger.money import Money

D = dt.date


def m(text: str) -> Money:
    return Money.parse(text)


def table(schedule: tuple[Instalment, ...]) -> list[tuple[D, str, str, str]]:
    return [(i.due, i.principal.plain(), i.interest.plain(), i.outstanding_after.plain())
            for i in schedule]


# -- hand-computed schedules ------------------------------------------------------------------


def test_zero_rate_deferral_has_no_rows_and_30_equal_instalments():
    # 3,000.00 at 0 %, granted 15 Jan 2024, 6 months' deferral, 30 monthly instalments.
    terms = LoanTerms(m("3000"), Decimal(0), D(2024, 1, 15), 30, deferral=6)
    schedule = build_schedule(terms)
    assert len(schedule) == 30  # the 6 deferral months owe nothing at 0 %: no rows
    assert terms.first_due == D(2024, 8, 15)  # start + 7 months
    assert schedule[0].due == D(2024, 8, 15)
    assert schedule[-1].due == D(2027, 1, 15)  # start + 36 months
    assert [i.n for i in schedule] == list(range(1, 31))
    for k, row in enumerate(schedule, start=1):
        assert row.principal == m("100.00")
        assert row.interest == Money(0)
        assert row.total == m("100.00")
        assert row.outstanding_after == Money(300_000 - 10_000 * k)
        assert not row.interest_only
    assert schedule[5].due == D(2025, 1, 15)


def test_annuity_10000_at_3_percent_over_48_months():
    # r = 0.03 / 12 = 0.0025; payment = 10000 × 0.0025 / (1 − 1.0025^−48) = 221.3432698… → 221.34
    schedule = build_schedule(
        LoanTerms(m("10000"), Decimal("0.03"), D(2024, 1, 1), 48, method=Method.ANNUITY))
    assert len(schedule) == 48
    # Row 1: interest 10000 × 0.0025 = 25.00, principal 221.34 − 25.00 = 196.34.
    # Row 2: interest 9803.66 × 0.0025 = 24.50915 → 24.51, principal 196.83.
    # Row 3: interest 9606.83 × 0.0025 = 24.017075 → 24.02, principal 197.32.
    assert table(schedule[:3]) == [
        (D(2024, 2, 1), "196.34", "25.00", "9803.66"),
        (D(2024, 3, 1), "196.83", "24.51", "9606.83"),
        (D(2024, 4, 1), "197.32", "24.02", "9409.51"),
    ]
    # Iterating the recurrence row by row: 46 leaves 441.21, 47 leaves 220.97;
    # row 48 = 220.97 + round(220.97 × 0.0025 = 0.552425) = 220.97 + 0.55 = 221.52.
    assert table(schedule[-3:]) == [
        (D(2027, 11, 1), "219.69", "1.65", "441.21"),
        (D(2027, 12, 1), "220.24", "1.10", "220.97"),
        (D(2028, 1, 1), "220.97", "0.55", "0.00"),
    ]
    assert all(row.total == m("221.34") for row in schedule[:-1])
    assert schedule[-1].total == m("221.52")
    assert sum((row.principal for row in schedule), Money(0)) == m("10000.00")
    # 47 × 221.34 + 221.52 = 10,624.50 paid in all, of which 624.50 interest.
    assert sum((row.interest for row in schedule), Money(0)) == m("624.50")


def test_quarterly_linear_at_2_percent_anchored_on_month_end():
    # 4,000.00 over 8 quarters from 31 Mar 2023: 500.00 of principal each; r = 0.02 / 4 = 0.005
    # on the balance before the row: 4000 → 20.00, 3500 → 17.50, 3000 → 15.00, ...
    schedule = build_schedule(LoanTerms(m("4000"), Decimal("0.02"), D(2023, 3, 31), 8,
                                        frequency=Frequency.QUARTERLY))
    assert table(schedule) == [
        (D(2023, 6, 30), "500.00", "20.00", "3500.00"),
        (D(2023, 9, 30), "500.00", "17.50", "3000.00"),
        (D(2023, 12, 31), "500.00", "15.00", "2500.00"),
        (D(2024, 3, 31), "500.00", "12.50", "2000.00"),
        (D(2024, 6, 30), "500.00", "10.00", "1500.00"),
        (D(2024, 9, 30), "500.00", "7.50", "1000.00"),
        (D(2024, 12, 31), "500.00", "5.00", "500.00"),
        (D(2025, 3, 31), "500.00", "2.50", "0.00"),
    ]


def test_linear_rounding_goes_to_the_last_instalment():
    schedule = build_schedule(LoanTerms(m("1000"), Decimal(0), D(2024, 1, 1), 3))
    assert table(schedule) == [
        (D(2024, 2, 1), "333.33", "0.00", "666.67"),
        (D(2024, 3, 1), "333.33", "0.00", "333.34"),
        (D(2024, 4, 1), "333.34", "0.00", "0.00"),
    ]


def test_linear_rounding_up_is_taken_back_on_the_last():
    # 200.00 / 3 = 66.666… → 66.67, twice; last = 200 − 133.34 = 66.66.
    schedule = build_schedule(LoanTerms(m("200"), Decimal(0), D(2024, 1, 1), 3))
    assert [row.principal.plain() for row in schedule] == ["66.67", "66.67", "66.66"]


def test_deferral_with_interest_has_interest_only_rows_first():
    # 1,200.00 at 2.4 %: r = 0.002 a month; deferral interest 1200 × 0.002 = 2.40.
    schedule = build_schedule(LoanTerms(m("1200"), Decimal("0.024"), D(2024, 1, 31), 12,
                                        deferral=2))
    assert len(schedule) == 14
    assert table(schedule[:4]) == [
        (D(2024, 2, 29), "0.00", "2.40", "1200.00"),
        (D(2024, 3, 31), "0.00", "2.40", "1200.00"),
        (D(2024, 4, 30), "100.00", "2.40", "1100.00"),
        (D(2024, 5, 31), "100.00", "2.20", "1000.00"),
    ]
    assert [row.interest_only for row in schedule] == [True, True] + [False] * 12
    assert [row.n for row in schedule] == list(range(1, 15))
    assert table(schedule[-1:]) == [(D(2025, 3, 31), "100.00", "0.20", "0.00")]
    # 2 × 2.40 of deferral + 0.20 × (12 + 11 + … + 1) = 4.80 + 15.60
    assert sum((row.interest for row in schedule), Money(0)) == m("20.40")


def test_yearly_annuity_from_29_february():
    # r = 0.05; payment = 1000 × 0.05 × 1.1025 / 0.1025 = 537.8048… → 537.80.
    # Row 1: interest 50.00, principal 487.80; row 2: 512.20 + round(25.61) = 537.81.
    schedule = build_schedule(LoanTerms(m("1000"), Decimal("0.05"), D(2020, 2, 29), 2,
                                        frequency=Frequency.YEARLY, method=Method.ANNUITY))
    assert table(schedule) == [
        (D(2021, 2, 28), "487.80", "50.00", "512.20"),
        (D(2022, 2, 28), "512.20", "25.61", "0.00"),
    ]


def test_due_dates_anchor_on_the_grant_day_not_the_previous_due_date():
    schedule = build_schedule(LoanTerms(m("400"), Decimal(0), D(2023, 1, 31), 4))
    assert [row.due for row in schedule] == [D(2023, 2, 28), D(2023, 3, 31), D(2023, 4, 30),
                                             D(2023, 5, 31)]


def test_zero_rate_annuity_is_the_linear_schedule():
    for deferral in (0, 3):
        linear = LoanTerms(m("1000"), Decimal(0), D(2024, 1, 1), 7, deferral=deferral)
        annuity = LoanTerms(m("1000"), Decimal(0), D(2024, 1, 1), 7, deferral=deferral,
                            method=Method.ANNUITY)
        assert build_schedule(linear) == build_schedule(annuity)


def test_single_instalment():
    schedule = build_schedule(LoanTerms(m("500"), Decimal("0.12"), D(2024, 1, 1), 1))
    assert table(schedule) == [(D(2024, 2, 1), "500.00", "5.00", "0.00")]


def test_terms_accept_database_strings_and_int_zero_rate():
    terms = LoanTerms(m("10"), 0, D(2024, 1, 1), 2, 0, "quarterly", "annuity")  # type: ignore[arg-type]
    assert terms.frequency is Frequency.QUARTERLY
    assert terms.method is Method.ANNUITY
    assert terms.rate == Decimal(0)
    assert isinstance(terms.rate, Decimal)
    assert Frequency.MONTHLY.months == 1
    assert Frequency.QUARTERLY.months == 3
    assert Frequency.YEARLY.months == 12
    assert [f.per_year for f in Frequency] == [12, 4, 1]


@pytest.mark.parametrize(("changes", "error"), [
    ({"principal": Money(0)}, ValueError),
    ({"principal": m("-1")}, ValueError),
    ({"principal": Decimal(100)}, TypeError),
    ({"rate": Decimal("-0.01")}, ValueError),
    ({"rate": Decimal(1)}, ValueError),
    ({"rate": Decimal("NaN")}, ValueError),
    ({"rate": 0.03}, TypeError),
    ({"instalments": 0}, ValueError),
    ({"instalments": True}, TypeError),
    ({"deferral": -1}, ValueError),
    ({"frequency": "weekly"}, ValueError),
    ({"method": "balloon"}, ValueError),
    ({"start": dt.datetime(2024, 1, 1, 12, 0)}, TypeError),
])
def test_terms_validation(changes, error):
    values = {"principal": m("100"), "rate": Decimal(0), "start": D(2024, 1, 1),
              "instalments": 12}
    values.update(changes)
    with pytest.raises(error):
        LoanTerms(**values)


# -- single-term instruments ------------------------------------------------------------------


def test_single_term_at_zero_rate_is_one_row():
    schedule = single_term_schedule(m("5000"), D(2024, 6, 30), D(2031, 6, 30))
    assert table(schedule) == [(D(2031, 6, 30), "5000.00", "0.00", "0.00")]


def test_single_term_with_yearly_interest():
    # 5,000.00 at 2 %: 100.00 a year, at each anniversary, the last with the principal.
    schedule = single_term_schedule(m("5000"), D(2024, 6, 30), D(2027, 6, 30), Decimal("0.02"))
    assert table(schedule) == [
        (D(2025, 6, 30), "0.00", "100.00", "5000.00"),
        (D(2026, 6, 30), "0.00", "100.00", "5000.00"),
        (D(2027, 6, 30), "5000.00", "100.00", "0.00"),
    ]
    assert [row.interest_only for row in schedule] == [True, True, False]


def test_single_term_broken_last_period_is_pro_rata():
    # 30 Jun 2027 → 31 Dec 2027 is 184 days of the 366-day period to 30 Jun 2028:
    # 100.00 × 184 / 366 = 50.2732… → 50.27.
    schedule = single_term_schedule(m("5000"), D(2024, 6, 30), D(2027, 12, 31), Decimal("0.02"))
    assert table(schedule)[-2:] == [
        (D(2027, 6, 30), "0.00", "100.00", "5000.00"),
        (D(2027, 12, 31), "5000.00", "50.27", "0.00"),
    ]
    assert len(schedule) == 4


def test_single_term_must_be_after_start():
    with pytest.raises(ValueError, match="after the start"):
        single_term_schedule(m("5000"), D(2024, 6, 30), D(2024, 6, 30))


def test_participating_titles_minimum_term():
    assert participating_min_term(D(2024, 2, 29)) == D(2031, 2, 28)
    assert participating_min_term(D(2024, 3, 1)) == D(2031, 3, 1)


# -- payments ---------------------------------------------------------------------------------

# 1,200.00 at 2.4 %, 12 monthly linear instalments from 10 Jan 2024: due on the 10th from
# February; row k = 100.00 + (1200 − 100 (k − 1)) × 0.002: 102.40, 102.20, 102.00, 101.80, …,
# 100.20 — 1,215.60 in all.
INTEREST_LOAN = build_schedule(LoanTerms(m("1200"), Decimal("0.024"), D(2024, 1, 10), 12))
PAYMENTS = [(D(2024, 2, 25), m("60.00")), (D(2024, 2, 10), m("50.00"))]  # not in date order


def test_a_short_payment_pays_interest_first_and_the_row_goes_late():
    statuses = allocate_payments(INTEREST_LOAN, PAYMENTS, D(2024, 2, 20))  # 2nd one ignored
    first, second = statuses[:2]
    assert (first.paid_interest, first.paid_principal) == (m("2.40"), m("47.60"))
    assert (first.status, first.days_past_due) == ("late", 10)
    assert first.unpaid == m("52.40")
    assert first.settled_on is None
    assert (second.status, second.paid) == ("due", Money(0))


def test_payments_spill_over_oldest_first_interest_first():
    statuses = allocate_payments(INTEREST_LOAN, PAYMENTS, D(2024, 3, 1))
    first, second, third = statuses[:3]
    assert (first.status, first.paid, first.settled_on) == ("paid", m("102.40"), D(2024, 2, 25))
    # 60.00 − 52.40 = 7.60 left: interest 2.20 of row 2 first, then 5.40 of principal.
    assert (second.paid_interest, second.paid_principal) == (m("2.20"), m("5.40"))
    assert (second.status, second.days_past_due) == ("partial", 0)
    assert (third.status, third.paid) == ("due", Money(0))
    assert outstanding_principal(statuses) == m("1094.60")


def test_due_today_is_not_late():
    statuses = allocate_payments(INTEREST_LOAN, [], D(2024, 2, 10))
    assert (statuses[0].status, statuses[0].days_past_due) == ("due", 0)
    statuses = allocate_payments(INTEREST_LOAN, [], D(2024, 2, 11))
    assert (statuses[0].status, statuses[0].days_past_due) == ("late", 1)


def test_arrears_of_the_interest_loan():
    as_of = D(2024, 5, 15)
    arrears = loan_arrears(allocate_payments(INTEREST_LOAN, PAYMENTS, as_of), as_of)
    # Row 2 (due 10 Mar, 66 days): 102.20 − 7.60 = 94.60; row 3 (10 Apr, 35 days): 102.00;
    # row 4 (10 May, 5 days): 101.80.
    assert arrears == LoanArrears(
        outstanding_principal=m("1094.60"),
        overdue=m("298.40"),
        max_days_past_due=66,
        buckets={"1-30": m("101.80"), "31-90": m("196.60"), "91-180": Money(0),
                 "180+": Money(0)},
        at_risk_30=True,
    )
    assert hash(arrears) == hash(loan_arrears(allocate_payments(INTEREST_LOAN, PAYMENTS, as_of),
                                              as_of))


def test_over_payment_is_refused_with_the_maximum():
    # Owed per schedule after 110.00 paid: 1,215.60 − 110.00 = 1,105.60.
    payments = [*PAYMENTS, (D(2024, 5, 15), m("1105.61"))]
    with pytest.raises(OverPayment) as caught:
        allocate_payments(INTEREST_LOAN, payments, D(2024, 5, 15))
    assert caught.value.maximum == m("1105.60")
    assert caught.value.on == D(2024, 5, 15)
    assert isinstance(caught.value, ValueError)


def test_paying_everything_per_schedule_pays_every_row_with_its_interest():
    payments = [*PAYMENTS, (D(2024, 5, 15), m("1105.60"))]
    statuses = allocate_payments(INTEREST_LOAN, payments, D(2024, 5, 15))
    assert all(s.status == "paid" for s in statuses)
    assert sum((s.paid for s in statuses), Money(0)) == m("1215.60")
    assert all(s.waived_interest == Money(0) for s in statuses)


def test_early_settlement_charges_interest_accrued_to_the_day_only():
    # On 15 May: principal 1,094.60 + interest of rows due by then and unpaid: 2.00 (row 3) +
    # 1.80 (row 4) (row 2, its interest paid, lacks principal: 3 rows overdue) + the running
    # period (row 5, 10 May → 10 June, 31 days) accrued over 5
    # days: 1.60 × 5 / 31 = 0.258 → 0.26; total 1,098.66. Rows 6–12 (1.40 … 0.20 = 5.60) and
    # the rest of row 5 (1.34) are not charged: 6.94 waived.
    day = D(2024, 5, 15)
    start = D(2024, 1, 10)
    quote = settlement(INTEREST_LOAN, PAYMENTS, day, start=start)
    assert (quote.principal, quote.overdue_interest, quote.accrued_interest,
            quote.overdue_rows, quote.total) == (
        m("1094.60"), m("3.80"), m("0.26"), 3, m("1098.66"))
    assert settlement_amount(INTEREST_LOAN, PAYMENTS, day) == m("1098.66")
    statuses = allocate_payments(INTEREST_LOAN, [*PAYMENTS, (day, m("1098.66"))], day,
                                 start=start)
    assert all(s.status == "paid" for s in statuses)
    assert all(s.settled_on == day for s in statuses[1:])
    assert sum((s.waived_interest for s in statuses), Money(0)) == m("6.94")
    assert statuses[4].waived_interest == m("1.34")
    assert statuses[4].instalment.interest == m("0.26")
    assert statuses[4].paid == m("100.26")
    assert statuses[5].instalment.interest == Money(0)
    assert statuses[3].waived_interest == Money(0)  # row 4 was due: its interest is owed
    assert sum((s.paid for s in statuses), Money(0)) == m("1208.66")  # 110.00 + 1,098.66
    assert settlement_amount(INTEREST_LOAN, [*PAYMENTS, (day, m("1098.66"))], day) == Money(0)
    with pytest.raises(OverPayment) as caught:
        allocate_payments(INTEREST_LOAN, [*PAYMENTS, (day, m("1098.66")), (day, m("0.01"))], day)
    assert caught.value.maximum == Money(0)
    # One cent less is not the payoff: an ordinary payment, the later rows keep their interest.
    short = allocate_payments(INTEREST_LOAN, [*PAYMENTS, (day, m("1098.65"))], day)
    assert sum((s.waived_interest for s in short), Money(0)) == Money(0)


@pytest.mark.parametrize(("method", "payments", "on", "expected"), [
    # 0 %: the payoff is the principal left, whatever the day (nothing accrues).
    ("linear0", [], D(2024, 2, 25), ("1200.00", "0.00", "0.00", 1, "1200.00")),
    ("linear0", [(D(2024, 2, 10), m("100"))], D(2024, 2, 25),
     ("1100.00", "0.00", "0.00", 0, "1100.00")),
    # 3 % linear, 1,200 over 12 months from 10 Jan 2024 (monthly rate 0.25 %): row 1 (3.00)
    # due 10 Feb is unpaid; row 2's period 10 Feb → 10 Mar has 29 days, 15 elapsed on 25 Feb:
    # 2.75 × 15/29 = 1.422 → 1.42. 1,200 + 3.00 + 1.42 = 1,204.42.
    ("linear3", [], D(2024, 2, 25), ("1200.00", "3.00", "1.42", 1, "1204.42")),
    # 3 % annuity (instalment 101.63): in the first period, 10 Jan → 10 Feb (31 days), 15 days
    # elapsed: 3.00 × 15/31 = 1.452 → 1.45.
    ("annuity3", [], D(2024, 1, 25), ("1200.00", "0.00", "1.45", 0, "1201.45")),
    # Row 1 paid on time (98.63 + 3.00); on 1 Mar, 20 of row 2's 29 days: 2.75 × 20/29 =
    # 1.897 → 1.90 on 1,101.37 still owed.
    ("annuity3", [(D(2024, 2, 10), m("101.63"))], D(2024, 3, 1),
     ("1101.37", "0.00", "1.90", 0, "1103.27")),
    # On a due date nothing of the next period has accrued: row 2 (98.88 + 2.75) is owed.
    ("annuity3", [(D(2024, 2, 10), m("101.63"))], D(2024, 3, 10),
     ("1101.37", "2.75", "0.00", 1, "1104.12")),
])
def test_payoff_by_hand(method, payments, on, expected):
    rate = Decimal(0) if method == "linear0" else Decimal("0.03")
    terms = LoanTerms(m("1200"), rate, D(2024, 1, 10), 12,
                      method="annuity" if method == "annuity3" else "linear")
    schedule = build_schedule(terms)
    quote = settlement(schedule, payments, on, start=terms.start)
    assert (quote.principal.plain(), quote.interest.plain(), quote.accrued_interest.plain(),
            quote.overdue_rows, quote.total.plain()) == (
        expected[0], (m(expected[1]) + m(expected[2])).plain(), expected[2], expected[3],
        expected[4])
    # Paying exactly that settles every row; nothing is owed or late afterwards.
    after = allocate_payments(schedule, [*payments, (on, quote.total)], D(2030, 1, 1),
                              start=terms.start)
    assert all(s.status == "paid" for s in after)
    assert outstanding_principal(after) == Money(0)
    assert loan_arrears(after, D(2030, 1, 1)).overdue == Money(0)


def test_paying_ahead_pays_the_next_instalments_in_order():
    # 250.00 on the grant day: rows 1 and 2 (204.60) and 45.40 of row 3 (2.00 interest first).
    statuses = allocate_payments(INTEREST_LOAN, [(D(2024, 1, 10), m("250"))], D(2024, 1, 10))
    assert [s.status for s in statuses[:4]] == ["paid", "paid", "partial", "due"]
    assert (statuses[2].paid_interest, statuses[2].paid_principal) == (m("2.00"), m("43.40"))
    # Settling then, nothing being due yet: only the principal left, 1,200 − 243.40.
    assert settlement_amount(INTEREST_LOAN, [(D(2024, 1, 10), m("250"))],
                             D(2024, 1, 10)) == m("956.60")


@pytest.mark.parametrize("amount", [Money(0), m("-5")])
def test_payments_must_be_positive(amount):
    with pytest.raises(ValueError, match="positive"):
        allocate_payments(INTEREST_LOAN, [(D(2024, 2, 10), amount)], D(2024, 3, 1))


# -- arrears and PAR30 ------------------------------------------------------------------------

FLAT_LOAN = build_schedule(LoanTerms(m("1200"), Decimal(0), D(2024, 1, 10), 12))


def test_ageing_buckets():
    # Nothing paid; on 1 Sep 2024 the rows due on the 10th of Feb … Aug are 204, 175, 144, 114,
    # 83, 53 and 22 days late.
    as_of = D(2024, 9, 1)
    arrears = loan_arrears(allocate_payments(FLAT_LOAN, [], as_of), as_of)
    assert arrears.buckets == {"1-30": m("100"), "31-90": m("200"), "91-180": m("300"),
                               "180+": m("100")}
    assert (arrears.overdue, arrears.max_days_past_due) == (m("700"), 204)
    assert arrears.outstanding_principal == m("1200")


@pytest.mark.parametrize(("days", "bucket", "at_risk"), [
    (1, "1-30", False), (30, "1-30", False), (31, "31-90", True), (90, "31-90", True),
    (91, "91-180", True), (180, "91-180", True), (181, "180+", True),
])
def test_bucket_boundaries(days, bucket, at_risk):
    schedule = single_term_schedule(m("100"), D(2023, 1, 1), D(2024, 1, 1))
    as_of = D(2024, 1, 1) + dt.timedelta(days=days)
    arrears = loan_arrears(allocate_payments(schedule, [], as_of), as_of)
    assert arrears.buckets[bucket] == m("100")
    assert sum(arrears.buckets.values(), Money(0)) == m("100")
    assert arrears.at_risk_30 is at_risk
    assert arrears.max_days_past_due == days


def test_nothing_late_on_a_current_loan():
    as_of = D(2024, 3, 10)
    payments = [(D(2024, 2, 10), m("100")), (D(2024, 3, 1), m("100"))]
    arrears = loan_arrears(allocate_payments(FLAT_LOAN, payments, as_of), as_of)
    assert arrears == LoanArrears(m("1000"), Money(0), 0, {
        "1-30": Money(0), "31-90": Money(0), "91-180": Money(0), "180+": Money(0)}, False)


def test_par30_counts_the_whole_balance_of_loans_more_than_30_days_late():
    as_of = D(2024, 5, 25)
    # A: 1,200 over 12 from 10 Jan, Feb and Mar paid, Apr (10 Apr) unpaid: 45 days late.
    a = allocate_payments(FLAT_LOAN, [(D(2024, 2, 10), m("100")), (D(2024, 3, 10), m("100"))],
                          as_of)
    # B: 600 over 6 from 5 Mar, the 5 Apr row paid, the 5 May row unpaid: 20 days late.
    b = allocate_payments(build_schedule(LoanTerms(m("600"), Decimal(0), D(2024, 3, 5), 6)),
                          [(D(2024, 4, 5), m("100"))], as_of)
    # C: 2,000 over 10 from 20 Apr, the 20 May row paid: current.
    c = allocate_payments(build_schedule(LoanTerms(m("2000"), Decimal(0), D(2024, 4, 20), 10)),
                          [(D(2024, 5, 20), m("200"))], as_of)
    loans = [loan_arrears(s, as_of) for s in (a, b, c)]
    assert [loan.outstanding_principal for loan in loans] == [m("1000"), m("500"), m("1800")]
    assert [loan.max_days_past_due for loan in loans] == [45, 20, 0]
    assert [loan.at_risk_30 for loan in loans] == [True, False, False]
    # Only A, but all of A's 1,000 (not just its 100 late): 1000 / (1000 + 500 + 1800).
    assert par30(loans) == Fraction(10, 33)


def test_par30_of_nothing_is_zero():
    assert par30([]) == 0
    repaid = allocate_payments(FLAT_LOAN, [(D(2024, 1, 31), m("1200"))], D(2025, 6, 1))
    assert par30([loan_arrears(repaid, D(2025, 6, 1))]) == 0


# -- rescheduling -----------------------------------------------------------------------------


def test_reschedule_from_the_outstanding_principal():
    old = LoanTerms(m("1200"), Decimal("0.024"), D(2024, 1, 10), 12)
    day = D(2024, 5, 15)
    statuses = allocate_payments(INTEREST_LOAN, PAYMENTS, day)
    new = reschedule(old, statuses, on=day, instalments=24, deferral=3)
    assert new == LoanTerms(m("1094.60"), Decimal("0.024"), day, 24, 3, Frequency.MONTHLY,
                            Method.LINEAR)
    assert new.first_due == D(2024, 9, 15)
    changed = reschedule(old, m("1098.40"), on=day, instalments=6, rate=Decimal(0),
                         frequency=Frequency.QUARTERLY, method=Method.ANNUITY)
    assert changed == LoanTerms(m("1098.40"), Decimal(0), day, 6, 0, Frequency.QUARTERLY,
                                Method.ANNUITY)
    assert sum((r.principal for r in build_schedule(changed)), Money(0)) == m("1098.40")


def test_nothing_to_reschedule_once_repaid():
    old = LoanTerms(m("1200"), Decimal(0), D(2024, 1, 10), 12)
    repaid = allocate_payments(FLAT_LOAN, [(D(2024, 1, 31), m("1200"))], D(2024, 2, 1))
    with pytest.raises(ValueError, match="nothing to reschedule"):
        reschedule(old, repaid, on=D(2024, 2, 1), instalments=3)


# -- properties -------------------------------------------------------------------------------

terms_strategy = st.builds(
    LoanTerms,
    principal=st.integers(100, 10_000_000).map(Money),  # 1.00 – 100,000.00
    rate=st.integers(0, 1000).map(lambda bp: Decimal(bp).scaleb(-4)),  # 0 – 10 %, in 0.01 %
    start=st.dates(D(2000, 1, 1), D(2040, 12, 31)),
    instalments=st.integers(1, 120),
    deferral=st.integers(0, 12),
    frequency=st.sampled_from(Frequency),
    method=st.sampled_from(Method),
)


def amortising(schedule: tuple[Instalment, ...]) -> list[Instalment]:
    return [row for row in schedule if not row.interest_only]


@settings(max_examples=300, deadline=None)
@given(terms_strategy)
def test_schedule_properties(terms: LoanTerms):
    schedule = build_schedule(terms)
    rows = amortising(schedule)
    r = Fraction(terms.rate) / terms.frequency.per_year
    n = terms.instalments
    assert len(rows) == n
    assert [row.n for row in schedule] == list(range(1, len(schedule) + 1))
    assert sum((row.principal for row in schedule), Money(0)) == terms.principal
    assert all(row.outstanding_after.cents >= 0 for row in schedule)
    assert all(row.principal.cents >= 0 and row.interest.cents >= 0 for row in schedule)
    assert schedule[-1].outstanding_after == Money(0)
    balances = [terms.principal] + [row.outstanding_after for row in schedule]
    assert all(a >= b for a, b in itertools.pairwise(balances))
    assert all(a.due < b.due for a, b in itertools.pairwise(schedule))
    assert rows[0].due == terms.first_due
    assert rows[-1].due == terms.last_due
    # Deferral: interest-only rows of the full balance's interest, none at all when it is 0.
    deferral_rows = schedule[:len(schedule) - n]
    assert len(deferral_rows) in (0, terms.deferral)
    assert (len(deferral_rows) == 0) == (
        terms.deferral == 0 or terms.principal.cents * r < Fraction(1, 2))
    # Every row's interest is its opening balance × r, to the half-cent.
    for before, row in zip(balances, schedule, strict=False):
        assert abs(row.interest.cents - before.cents * r) <= Fraction(1, 2)

    if terms.method is Method.LINEAR or r == 0:
        # Equal parts q = P / n rounded, capped at what is left; the last takes the rest.
        # Without the cap, last − q = P − n·q, and |q − P/n| ≤ ½ cent, so |last − q| ≤ n/2.
        q = round_cents(Fraction(terms.principal.cents, n))
        left = terms.principal.cents
        for row in rows[:-1]:
            assert row.principal.cents == min(q, left)
            left -= row.principal.cents
        if (n - 1) * q <= terms.principal.cents:
            assert all(row.principal.cents == q for row in rows[:-1])
            assert abs(rows[-1].principal.cents - q) <= Fraction(n, 2)
    else:
        # Annuity: every row but the last totals the rounded payment A' (|A' − A| ≤ ½ cent).
        # With e_k the gap between the actual and the exact balance after k rows, e_0 = 0 and
        # each row adds at most ½ cent of interest rounding and ½ cent of payment rounding on
        # top of e_k·(1 + r), so |e_k| ≤ S_k = ((1 + r)^k − 1) / r cents. The last row is the
        # balance plus its interest: |last − A'| ≤ S_(n−1)·(1 + r) + 1 = S_n cents.
        # A row's principal part is capped at the balance only if the balance plus its interest
        # fell below A'; as the exact one is at least A + A / (1 + r) before any row but the
        # last, that needs A / (1 + r) < S_n: loans of a few cents per instalment, where the
        # capped row takes the rest and the rows after it owe nothing.
        payment = rows[0].total
        growth = (1 + r) ** n
        s_n = (growth - 1) / r
        exact = Fraction(terms.principal.cents) * r * growth / (growth - 1)
        assert abs(payment.cents - exact) <= Fraction(1, 2)
        capped = False
        for row in rows[:-1]:
            if capped:
                assert row.total == Money(0)
            elif row.total != payment:
                assert row.outstanding_after == Money(0)
                assert row.total < payment
                capped = True
        if exact > s_n * (1 + r):
            assert not capped
        if not capped:
            assert abs(rows[-1].total.cents - payment.cents) <= s_n


def round_cents(value: Fraction) -> int:
    """Half-up rounding of a non-negative number of cents (the tests' own, for independence)."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


# A loan of 1.00 over 52 years: the first period's accrued interest rounds to 0.01, so a
# payment of the principal alone settles the loan only when the start is not known.
_TINY_LOAN = LoanTerms(principal=Money(100), rate=Decimal("0.0100"), start=D(2000, 1, 1),
                       instalments=52, deferral=0, frequency=Frequency.YEARLY,
                       method=Method.ANNUITY)


@settings(max_examples=200, deadline=None)
@given(terms_strategy, st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 10**9)),
                                max_size=8),
       st.integers(0, 5000))
@example(_TINY_LOAN, [(183, 60278544)], 0)
@example(_TINY_LOAN, [(183, 60278545), (183, 60278545)], 0)
# Settled on its first day (the interest waived): 92 days later nothing is owed, and the
# payoff charged 0.01 of interest accruing on the repaid principal.
@example(LoanTerms(principal=Money(123), rate=Decimal("0.0122"), start=D(2000, 1, 1),
                   instalments=1, deferral=0, frequency=Frequency.YEARLY, method=Method.LINEAR),
         [(0, 122)], 92)
def test_payment_allocation_properties(terms: LoanTerms, draws: list[tuple[int, int]],
                                       as_of_offset: int):
    # Every call passes the loan's start, as the services do (loans.py): without it nothing
    # accrues in the first period, so a payment equal to the principal alone would settle
    # the loan in one call and not in another.
    schedule = build_schedule(terms)
    payments: list[tuple[D, Money]] = []
    for offset, draw in sorted(draws):
        day = terms.start + dt.timedelta(days=offset)
        owed = sum((s.unpaid for s in allocate_payments(schedule, payments, day,
                                                        start=terms.start)), Money(0))
        if owed.is_zero():
            break
        payments.append((day, Money(1 + draw % owed.cents)))
    as_of = terms.start + dt.timedelta(days=as_of_offset)
    statuses = allocate_payments(schedule, payments, as_of, start=terms.start)
    counted = [amount for day, amount in payments if day <= as_of]
    assert sum((s.paid for s in statuses), Money(0)) == sum(counted, Money(0))

    seen_open = False
    for s, row in zip(statuses, schedule, strict=True):
        assert s.instalment.n == row.n
        assert s.instalment.interest + s.waived_interest == row.interest
        assert 0 <= s.paid_principal.cents <= s.instalment.principal.cents
        assert 0 <= s.paid_interest.cents <= s.instalment.interest.cents
        if s.paid_principal:  # interest first
            assert s.paid_interest == s.instalment.interest
        if seen_open:  # oldest first: nothing paid after the first row not fully paid
            assert s.paid == Money(0)
        if s.unpaid:
            seen_open = True
        late = bool(s.unpaid) and row.due < as_of
        expected = ("paid" if not s.unpaid else "late" if late
                    else "partial" if s.paid else "due")
        assert s.status == expected
        assert s.days_past_due == ((as_of - row.due).days if late else 0)
        if s.unpaid or not row.total:  # a row of 0.00 is paid without any payment
            assert s.settled_on is None or not s.unpaid
        else:
            assert s.settled_on is not None

    arrears = loan_arrears(statuses, as_of)
    assert arrears.outstanding_principal.cents >= 0
    assert sum(arrears.buckets.values(), Money(0)) == arrears.overdue
    assert arrears.at_risk_30 == (arrears.max_days_past_due > 30)

    owed = sum((s.unpaid for s in statuses), Money(0))
    later = max(as_of, max((day for day, _ in payments), default=as_of))
    settle = settlement_amount(schedule, payments, later, start=terms.start)
    owed_later = sum((s.unpaid for s in allocate_payments(schedule, payments, later,
                                                        start=terms.start)), Money(0))
    assert Money(0) <= settle <= owed_later <= owed
    with pytest.raises(OverPayment) as caught:
        allocate_payments(schedule, [*payments, (later, owed_later + Money(1))], later,
                          start=terms.start)
    assert caught.value.maximum == owed_later
    if settle:
        settled = allocate_payments(schedule, [*payments, (later, settle)], later,
                                    start=terms.start)
        assert all(s.status == "paid" for s in settled)
        assert outstanding_principal(settled) == Money(0)
        assert sum((s.waived_interest for s in settled), Money(0)) == owed_later - settle


def test_statuses_are_frozen():
    status = allocate_payments(FLAT_LOAN, [], D(2024, 1, 10))[0]
    assert isinstance(status, InstalmentStatus)
    with pytest.raises(AttributeError):
        status.status = "paid"  # type: ignore[misc]

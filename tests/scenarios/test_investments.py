"""What a club does with its savings, read like an accounting exercise.

Five stories, each on its own club, every figure worked out by hand in the comments:

1. Les Cigales des Ormeaux (six members, unequal savings) subscribe twice to La Fabrique, a
   SARL, receive a dividend, sell most of the stake at a gain (FIFO across the two
   subscriptions), impair what is left, reverse part of it, and write it off when the company
   is liquidated. The books are asserted after every step and each year is closed.
2. Les Cigales des Tilleuls lend: an honour loan at 2 % that falls late, is rescheduled,
   written off and partly recovered; a shareholder loan beside a stake; a contribution to an
   association; participating titles of a cooperative.
3. PAR30 on a constructed portfolio of five loans.
4. Frozen member keys, on the scenario and as a hypothesis property.
5. The members' IR-PME and income sheets of Les Cigales des Sources.

Two bugs found while writing these have regression tests at the end.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cigales import db
from cigales.errors import CigalesError
from cigales.models import Investment, LoanInstalment, LoanSchedule, MemberKey
from cigales.services import bookkeeping, clubs, flows, investments, loans, members, portfolio
from cigales.services import savings as savings_service
from cigales.shares import positions
from ledger.audit import check_book
from ledger.money import Money
from ledger.queries import balances_by_account, trial_balance

TODAY = dt.date(2026, 11, 22)
D = dt.date


def euros(text: str) -> Money:
    return Money.parse(text)


def balances(s, club, as_of: dt.date | None = None) -> dict[str, str]:
    return {code: m.plain() for code, m in balances_by_account(s, club.book_id, as_of).items()}


def assert_books(s, club, as_of: dt.date, expected: dict[str, str]) -> None:
    """Exactly these balances on ``as_of``, and a trial balance that balances."""
    assert balances(s, club, as_of) == expected
    tb = trial_balance(s, club.book_id, as_of)
    assert tb.total_debit == tb.total_credit
    assert tb.balanced


def found(s, slug: str, name: str, founded: dt.date, saved_on: dt.date,
          savings: dict[str, str]):
    """A club whose members all join at T0 and pay one lump of savings each."""
    club = clubs.create_club(s, slug, name, founded, today=TODAY)
    for code, amount in savings.items():
        members.add_member(s, club, code=code, name=f"Membre {code}", joined=founded,
                           today=TODAY)
        if amount != "0":
            savings_service.add_saving(s, club, member_code=code, date=saved_on,
                                       amount=euros(amount), today=TODAY)
    return club


def refused(engine, slug: str, code: str, action) -> dict:
    """``action(session, club)`` must fail with ``code``; its transaction is rolled back."""
    with pytest.raises(CigalesError) as error, db.session_scope(engine) as s:
        action(s, clubs.get_club(s, slug))
    assert error.value.code == code
    return error.value.params


def investment(s, club, number: int) -> Investment:
    return s.execute(select(Investment).where(Investment.club_id == club.id,
                                              Investment.number == number)).scalar_one()


def keys_of(s, club, number: int) -> dict[str, tuple[Fraction, str]]:
    return {k.member: (k.share, k.amount.plain())
            for k in portfolio.member_keys(s, investment(s, club, number))}


def assert_keys_frozen(s, club, number: int) -> None:
    """The stored keys are the members' shares on the payment date, amounts summing exactly."""
    inv = investment(s, club, number)
    keys = portfolio.member_keys(s, inv)
    table = positions(s, club, inv.date)
    assert {k.member: k.share for k in keys} == {
        p.code: p.share for p in table.positions if p.share > 0}
    assert sum((k.share for k in keys), Fraction(0)) == 1
    assert sum(k.amount.cents for k in keys) == inv.amount_cents
    stored = s.execute(select(func.count()).select_from(MemberKey).where(
        MemberKey.investment_id == inv.id)).scalar_one()
    assert stored == len(keys)


# =================================================================================================
# 1. Equity: subscription, dividend, partial sale, impairment, reversal, write-off
# =================================================================================================

ORMEAUX = "ormeaux"
ORMEAUX_T0 = D(2022, 1, 10)  # life ends 2032-01-09; investment phase until 2027-01-09


def ormeaux_capital(total: dict[str, str]) -> dict[str, str]:
    return {f"1011-{code}": f"-{amount}.00" for code, amount in total.items()}


def test_equity_from_subscription_through_dividend_sale_impairment_and_write_off(engine):
    # --- January 2022: six members pay unequal savings, dues are paid ----------------------
    # M01 1,000  M02 800  M03 600  M04 600  M05 400  M06 200 → 3,600 €.
    first = {"M01": "1000", "M02": "800", "M03": "600", "M04": "600", "M05": "400",
             "M06": "200"}
    with db.session_scope(engine) as s:
        club = found(s, ORMEAUX, "Les Cigales des Ormeaux", ORMEAUX_T0, D(2022, 1, 31), first)
        flows.add_expense(s, club, date=D(2022, 2, 15), amount=euros("60"), kind="dues",
                          label="Cotisation 2022", today=TODAY)
        fabrique = investments.add_investee(
            s, club, slug="la-fabrique", name="La Fabrique", legal_form="SARL",
            siren="732829320", capital=euros("12000"), sector="artisanat")
        # --- 1 March 2022: 20 parts at 100 € = 2,000 € (16.7 % of a 12,000 € capital) ------
        sub1 = investments.subscribe(s, club, fabrique, date=D(2022, 3, 1), shares=20,
                                     unit_price=euros("100"), today=TODAY)
        # Capital known, cap respected, lock-up (2027-12-31) before the club's end: no notice.
        assert (sub1.number, sub1.notices) == (1, ())
    capital = ormeaux_capital(first)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # Cash 3,600 − 60 dues − 2,000 = 1,540.
        assert_books(s, club, D(2022, 3, 1), {
            **capital, "261-la-fabrique": "2000.00", "5121": "1540.00", "6281": "60.00"})
        # Keys = contributions ÷ 3,600: 5/18, 2/9, 1/6, 1/6, 1/9, 1/18. Of 2,000 €, in cents:
        # 55,555.56  44,444.44  33,333.33  33,333.33  22,222.22  11,111.11 → floors sum to
        # 199,998; the two cents left go to the largest remainders (.56 M01, .44 M02).
        assert keys_of(s, club, 1) == {
            "M01": (Fraction(5, 18), "555.56"), "M02": (Fraction(2, 9), "444.45"),
            "M03": (Fraction(1, 6), "333.33"), "M04": (Fraction(1, 6), "333.33"),
            "M05": (Fraction(1, 9), "222.22"), "M06": (Fraction(1, 18), "111.11")}
        assert_keys_frozen(s, club, 1)

    # --- Cap: 25 % of 12,000 = 3,000 € of nominal at most; 11 more parts (3,100) is refused --
    params = refused(engine, ORMEAUX, "equity_cap_exceeded", lambda s, club: investments.subscribe(
        s, club, investments.get_investee(s, club, "la-fabrique"), date=D(2022, 3, 2),
        shares=11, unit_price=euros("100"), today=TODAY))
    # 3,100 / 12,000 = 25.833… % → "25.83"; allowed 3,000 − 2,000 = 1,000.
    assert (params["held"], params["percent"], params["allowed"]) == ("3100.00", "25.83",
                                                                        "1000.00")

    # --- 30 June 2022: more savings (M04 pays nothing); 1 September: 10 more parts ----------
    # M01 +200, M02 +100, M03 +400, M05 +100, M06 +200 → 1,200 / 900 / 1,000 / 600 / 500 /
    # 400 = 4,600 €. 10 × 100 = 1,000 € brings the stake to 3,000 €: exactly 25 %, allowed.
    second = {"M01": "200", "M02": "100", "M03": "400", "M05": "100", "M06": "200"}
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        for code, amount in second.items():
            savings_service.add_saving(s, club, member_code=code, date=D(2022, 6, 30),
                                       amount=euros(amount), today=TODAY)
        sub2 = investments.subscribe(s, club, investments.get_investee(s, club, "la-fabrique"),
                                     date=D(2022, 9, 1), shares=10, unit_price=euros("100"),
                                     today=TODAY)
        assert (sub2.number, sub2.notices) == (2, ())
    capital = ormeaux_capital({"M01": "1200", "M02": "900", "M03": "1000", "M04": "600",
                               "M05": "500", "M06": "400"})
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # Cash 1,540 + 1,000 − 1,000 = 1,540.
        assert_books(s, club, D(2022, 9, 1), {
            **capital, "261-la-fabrique": "3000.00", "5121": "1540.00", "6281": "60.00"})
        # Keys ÷ 4,600: 6/23, 9/46, 5/23, 3/23, 5/46, 2/23. Of 100,000 cents:
        # 26,086.96  19,565.22  21,739.13  13,043.48  10,869.57  8,695.65 → floors 99,997;
        # three cents to the largest remainders .96 (M01), .65 (M06), .57 (M05).
        assert keys_of(s, club, 2) == {
            "M01": (Fraction(6, 23), "260.87"), "M02": (Fraction(9, 46), "195.65"),
            "M03": (Fraction(5, 23), "217.39"), "M04": (Fraction(3, 23), "130.43"),
            "M05": (Fraction(5, 46), "108.70"), "M06": (Fraction(2, 23), "86.96")}
        assert_keys_frozen(s, club, 2)
        # The first key did not move with the later savings.
        assert keys_of(s, club, 1)["M03"] == (Fraction(1, 6), "333.33")

    # --- Closing 2022: bank fees 12 €; result −60 − 12 = −72 € carried to 119 -------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        flows.add_expense(s, club, date=D(2022, 12, 31), amount=euros("12"), kind="bank_fees",
                          label="Frais 2022", today=TODAY)
        assert bookkeeping.close(s, club, 2022, today=TODAY).result == euros("-72")
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        assert_books(s, club, D(2022, 12, 31), {
            **capital, "119": "72.00", "261-la-fabrique": "3000.00", "5121": "1528.00"})

    # --- 2023: dues 60 €, then a 150 € dividend on the 30 parts -----------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        fabrique = investments.get_investee(s, club, "la-fabrique")
        flows.add_expense(s, club, date=D(2023, 2, 15), amount=euros("60"), kind="dues",
                          label="Cotisation 2023", today=TODAY)
        investments.dividend(s, club, fabrique, date=D(2023, 5, 15), amount=euros("150"),
                             today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # Cash 1,528 − 60 + 150 = 1,618.
        assert_books(s, club, D(2023, 5, 15), {
            **capital, "119": "72.00", "261-la-fabrique": "3000.00", "5121": "1618.00",
            "6281": "60.00", "7610": "-150.00"})
        # Split over the subscriptions by parts held: 20/30 → 100, 10/30 → 50.
        lines = {p.number: p for p in portfolio.portfolio(s, club, D(2023, 5, 15))}
        assert (lines[1].income, lines[2].income) == (euros("100"), euros("50"))

    # --- 2 October 2023: 25 parts sold for 2,750 € (110 € each), FIFO ----------------------
    # The first subscription's 20 parts go whole (cost 2,000), then 5 of the second's 10
    # (cost 1,000 × 5/10 = 500): cost 2,500, gain 250. Proceeds by parts: 2,200 and 550.
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        sale = investments.dispose(s, club, investments.get_investee(s, club, "la-fabrique"),
                                   date=D(2023, 10, 2), shares=25, proceeds=euros("2750"),
                                   kind="sale", today=TODAY)
        # Both subscriptions are still under the IR-PME lock-up (until 2027-12-31).
        assert [(n.code, n.params["number"], n.params["lock"]) for n in sale.notices] == [
            ("ir_pme_clawback", "1", "2027-12-31"), ("ir_pme_clawback", "2", "2027-12-31")]
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # Cash 1,618 + 2,750 = 4,368; 261: 3,000 − 2,500 = 500.
        assert_books(s, club, D(2023, 10, 2), {
            **capital, "119": "72.00", "261-la-fabrique": "500.00", "5121": "4368.00",
            "6281": "60.00", "6750": "2500.00", "7610": "-150.00", "7750": "-2750.00"})
        lines = {p.number: p for p in portfolio.portfolio(s, club, D(2023, 10, 2))}
        assert (lines[1].shares_held, lines[1].repaid, lines[1].proceeds, lines[1].outstanding,
                lines[1].status) == (0, euros("2000"), euros("2200"), euros("0"), "exited")
        assert (lines[2].shares_held, lines[2].repaid, lines[2].proceeds, lines[2].outstanding,
                lines[2].status) == (5, euros("500"), euros("550"), euros("500"), "held")
    refused(engine, ORMEAUX, "not_enough_shares", lambda s, club: investments.dispose(
        s, club, investments.get_investee(s, club, "la-fabrique"), date=D(2023, 10, 3),
        shares=6, proceeds=euros("600"), kind="sale", today=TODAY))

    # --- 31 December 2023: the 5 parts left (cost 500) are impaired by 200 ------------------
    params = refused(engine, ORMEAUX, "impairment_exceeds_value",
                     lambda s, club: investments.impair(
                         s, club, investments.get_investee(s, club, "la-fabrique"),
                         date=D(2023, 12, 31), amount=euros("500.01"), reverse=False,
                         today=TODAY))
    assert params["allowed"] == "500.00"
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        investments.impair(s, club, investments.get_investee(s, club, "la-fabrique"),
                           date=D(2023, 12, 31), amount=euros("200"), reverse=False,
                           today=TODAY)
        flows.add_expense(s, club, date=D(2023, 12, 31), amount=euros("12"), kind="bank_fees",
                          label="Frais 2023", today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        assert_books(s, club, D(2023, 12, 31), {
            **capital, "119": "72.00", "261-la-fabrique": "500.00", "2961": "-200.00",
            "5121": "4356.00", "6270": "12.00", "6281": "60.00", "6750": "2500.00",
            "6866": "200.00", "7610": "-150.00", "7750": "-2750.00"})
        assert portfolio.portfolio(s, club, D(2023, 12, 31))[1].impairment == euros("200")
    # Result 2023 = 7610 150 + 7750 2,750 − 6750 2,500 − 6866 200 − dues 60 − fees 12 = 128.
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        assert bookkeeping.close(s, club, 2023, today=TODAY).result == euros("128")
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        assert_books(s, club, D(2023, 12, 31), {
            **capital, "110": "-128.00", "119": "72.00", "261-la-fabrique": "500.00",
            "2961": "-200.00", "5121": "4356.00"})

    # --- 2024: dues 60 €, the company recovers a little: 50 € of the impairment reversed ----
    params = refused(engine, ORMEAUX, "reversal_exceeds_impairment",
                     lambda s, club: investments.impair(
                         s, club, investments.get_investee(s, club, "la-fabrique"),
                         date=D(2024, 6, 30), amount=euros("200.01"), reverse=True,
                         today=TODAY))
    assert params["impaired"] == "200.00"
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        flows.add_expense(s, club, date=D(2024, 2, 15), amount=euros("60"), kind="dues",
                          label="Cotisation 2024", today=TODAY)
        investments.impair(s, club, investments.get_investee(s, club, "la-fabrique"),
                           date=D(2024, 6, 30), amount=euros("50"), reverse=True, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # Cash 4,356 − 60 = 4,296; 2961: −200 + 50 = −150.
        assert_books(s, club, D(2024, 6, 30), {
            **capital, "110": "-128.00", "119": "72.00", "261-la-fabrique": "500.00",
            "2961": "-150.00", "5121": "4296.00", "6281": "60.00", "7866": "-50.00"})

    # --- 15 October 2024: La Fabrique is liquidated; the stake is cancelled -----------------
    # 6750 500 / 261 500 for the remaining cost, and 2961 150 / 7866 150 for the impairment.
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        investments.write_off(s, club, investments.get_investee(s, club, "la-fabrique"),
                              date=D(2024, 10, 15), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        assert_books(s, club, D(2024, 10, 15), {
            **capital, "110": "-128.00", "119": "72.00", "5121": "4296.00", "6281": "60.00",
            "6750": "500.00", "7866": "-200.00"})
        lines = {p.number: p for p in portfolio.portfolio(s, club, D(2024, 10, 15))}
        assert (lines[2].status, lines[2].written_off, lines[2].impairment,
                lines[2].outstanding) == ("written_off", euros("500"), euros("0"), euros("0"))
        assert lines[1].status == "exited"
    refused(engine, ORMEAUX, "no_stake_held", lambda s, club: investments.dividend(
        s, club, investments.get_investee(s, club, "la-fabrique"), date=D(2024, 10, 16),
        amount=euros("10"), today=TODAY))

    # --- Closing 2024: fees 12 €. Result = 7866 200 − 6750 500 − 60 − 12 = −372 → 119 -------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, ORMEAUX)
        flows.add_expense(s, club, date=D(2024, 12, 31), amount=euros("12"), kind="bank_fees",
                          label="Frais 2024", today=TODAY)
        assert bookkeeping.close(s, club, 2024, today=TODAY).result == euros("-372")
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, ORMEAUX)
        # 119: 72 + 372 = 444. Cash 4,296 − 12 = 4,284 = 4,600 saved + 128 − 444.
        assert_books(s, club, D(2024, 12, 31), {
            **capital, "110": "-128.00", "119": "444.00", "5121": "4284.00"})
        assert positions(s, club, D(2024, 12, 31)).net_assets == euros("4284")
        # The keys are history: they never change after the payment.
        assert_keys_frozen(s, club, 1)
        assert_keys_frozen(s, club, 2)
        assert check_book(s, club.book_id) == []


# =================================================================================================
# 2. Loans
# =================================================================================================

TILLEULS = "tilleuls"
TILLEULS_T0 = D(2023, 1, 2)
TILLEULS_SAVINGS = {"M01": "1200", "M02": "1000", "M03": "800", "M04": "600", "M05": "400"}
TILLEULS_CAPITAL = {f"1011-{c}": f"-{a}.00" for c, a in TILLEULS_SAVINGS.items()}


def schedule_rows(view: loans.LoanView) -> list[tuple[dt.date, str, str]]:
    return [(r.due, r.principal.plain(), r.interest.plain()) for r in view.instalments]


def test_honour_loan_at_two_percent_late_rescheduled_written_off_and_recovered(engine):
    with db.session_scope(engine) as s:
        club = found(s, TILLEULS, "Les Cigales des Tilleuls", TILLEULS_T0, D(2023, 1, 10),
                     TILLEULS_SAVINGS)
        velo = investments.add_investee(s, club, slug="atelier-velo", name="L'Atelier Vélo",
                                        legal_form="EI", sector="mobilité")
        # --- 15 January 2023: 2,400 € at 2 %, 12 monthly instalments, constant principal ---
        granted = loans.grant(s, club, velo, date=D(2023, 1, 15), principal=euros("2400"),
                              instalments=12, rate=Decimal("0.02"), method="linear",
                              frequency="monthly", today=TODAY)
        assert (granted.number, granted.notices) == (1, ())
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        assert_books(s, club, D(2023, 1, 15), {
            **TILLEULS_CAPITAL, "274-atelier-velo": "2400.00", "5121": "1600.00"})
        # Keys ÷ 4,000: 3/10, 1/4, 1/5, 3/20, 1/10 of 2,400 — exact.
        assert keys_of(s, club, 1) == {
            "M01": (Fraction(3, 10), "720.00"), "M02": (Fraction(1, 4), "600.00"),
            "M03": (Fraction(1, 5), "480.00"), "M04": (Fraction(3, 20), "360.00"),
            "M05": (Fraction(1, 10), "240.00")}
        assert_keys_frozen(s, club, 1)
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2023, 1, 15))
        # Principal 2,400 / 12 = 200 a month; interest = outstanding × 2 % / 12 = ÷ 600:
        # 2,400 → 4.00; 2,200 → 3.666… 3.67; 2,000 → 3.33; 1,800 → 3.00; 1,600 → 2.67;
        # 1,400 → 2.33; 1,200 → 2.00; 1,000 → 1.67; 800 → 1.33; 600 → 1.00; 400 → 0.67;
        # 200 → 0.33. Due on the 15th, from February 2023 to January 2024. Interest 26.00.
        interest = ["4.00", "3.67", "3.33", "3.00", "2.67", "2.33", "2.00", "1.67", "1.33",
                    "1.00", "0.67", "0.33"]
        dues = [D(2023, m, 15) for m in range(2, 13)] + [D(2024, 1, 15)]
        assert schedule_rows(loan) == [(due, "200.00", i)
                                       for due, i in zip(dues, interest, strict=True)]
        assert sum(r.interest.cents for r in loan.instalments) == 2600

    # --- Three instalments paid on time: 204.00, 203.67, 203.33 ------------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        loans.repay(s, club, 1, date=D(2023, 2, 15), amount=euros("204.00"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        # 5121 +204, 274 −200 (principal), 7620 −4 (interest).
        assert_books(s, club, D(2023, 2, 15), {
            **TILLEULS_CAPITAL, "274-atelier-velo": "2200.00", "5121": "1804.00",
            "7620": "-4.00"})
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        loans.repay(s, club, 1, date=D(2023, 3, 15), amount=euros("203.67"), today=TODAY)
        loans.repay(s, club, 1, date=D(2023, 4, 15), amount=euros("203.33"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        # 5121 1,600 + 611 = 2,211; 274 2,400 − 600; 7620 4 + 3.67 + 3.33 = 11.
        assert_books(s, club, D(2023, 4, 15), {
            **TILLEULS_CAPITAL, "274-atelier-velo": "1800.00", "5121": "2211.00",
            "7620": "-11.00"})

    # --- 30 June 2023: nothing since April: instalment 4 is 46 days late, 5 is 15 days ------
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2023, 6, 30))
        assert [st.status for st in loan.statuses[:6]] == ["paid"] * 3 + ["late"] * 2 + ["due"]
        assert [st.days_past_due for st in loan.statuses[3:5]] == [46, 15]
        assert (loan.repaid, loan.interest_paid, loan.outstanding) == (
            euros("600"), euros("11"), euros("1800"))
        # Overdue 203.00 + 202.67 = 405.67, by age.
        assert loan.arrears.overdue == euros("405.67")
        assert loan.arrears.buckets == {"1-30": euros("202.67"), "31-90": euros("203.00"),
                                        "91-180": euros("0"), "180+": euros("0")}
        assert (loan.arrears.max_days_past_due, loan.arrears.at_risk_30) == (46, True)
        assert portfolio.portfolio(s, club, D(2023, 6, 30))[0].status == "late"

    # --- 1 July 2023: rescheduled over 6 months from the 1,800 € of principal still owed ---
    # (the 5.67 € of overdue interest is not capitalised). 300 € a month; interest ÷ 600:
    # 1,800 → 3.00; 1,500 → 2.50; 1,200 → 2.00; 900 → 1.50; 600 → 1.00; 300 → 0.50.
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        new = loans.reschedule(s, club, 1, date=D(2023, 7, 1), instalments=6, today=TODAY)
        assert new.schedule.version == 2
    new_dues = [D(2023, m, 1) for m in range(8, 13)] + [D(2024, 1, 1)]
    new_rows = [(due, "300.00", i) for due, i in zip(
        new_dues, ["3.00", "2.50", "2.00", "1.50", "1.00", "0.50"], strict=True)]
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        inv, velo = loans.get_loan(s, club, 1)
        versions = s.execute(
            select(LoanSchedule.version, LoanSchedule.start, LoanSchedule.principal_cents,
                   LoanSchedule.instalments, LoanSchedule.rate,
                   select(func.count()).select_from(LoanInstalment)
                   .where(LoanInstalment.schedule_id == LoanSchedule.id).scalar_subquery())
            .where(LoanSchedule.investment_id == inv.id).order_by(LoanSchedule.version)).all()
        # The old schedule is kept, with its 12 rows, beside the new one.
        assert [tuple(v) for v in versions] == [
            (1, D(2023, 1, 15), 240000, 12, "0.02", 12), (2, D(2023, 7, 1), 180000, 6, "0.02", 6)]
        current = loans.view(s, inv, velo, D(2023, 7, 1))
        assert current.schedule.version == 2
        assert schedule_rows(current) == new_rows
        assert current.arrears.overdue == euros("0")
        assert current.outstanding == current.arrears.outstanding_principal == euros("1800")
        # Looking back at 30 June still shows the schedule in force then.
        assert loans.view(s, inv, velo, D(2023, 6, 30)).schedule.version == 1
        # The rescheduling moves no money.
        assert balances(s, club, D(2023, 7, 1)) == balances(s, club, D(2023, 4, 15))

    # --- Two new instalments paid: 303.00 and 302.50 -----------------------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        loans.repay(s, club, 1, date=D(2023, 8, 1), amount=euros("303.00"), today=TODAY)
        loans.repay(s, club, 1, date=D(2023, 9, 1), amount=euros("302.50"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        # 5121 2,211 + 605.50 = 2,816.50; 274 1,800 − 600 = 1,200; 7620 11 + 5.50 = 16.50.
        assert_books(s, club, D(2023, 9, 1), {
            **TILLEULS_CAPITAL, "274-atelier-velo": "1200.00", "5121": "2816.50",
            "7620": "-16.50"})
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2023, 9, 1))
        assert [st.status for st in loan.statuses] == ["paid", "paid"] + ["due"] * 4
        assert (loan.repaid, loan.interest_paid, loan.outstanding) == (
            euros("1200"), euros("16.50"), euros("1200"))

    # --- Nothing more comes in. On 31 March 2024 the four last instalments are late ---------
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2024, 3, 31))
        # Due 1 Oct (302.00, 182 days), 1 Nov (301.50, 151 days), 1 Dec (301.00, 121 days),
        # 1 Jan (300.50, 90 days).
        assert [st.days_past_due for st in loan.statuses[2:]] == [182, 151, 121, 90]
        assert loan.arrears.buckets == {"1-30": euros("0"), "31-90": euros("300.50"),
                                        "91-180": euros("602.50"), "180+": euros("302.00")}
        assert loan.arrears.overdue == euros("1205.00")

    # --- Written off on 31 March 2024: 6750 / 274 for the 1,200 € of principal ------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        loans.write_off(s, club, 1, date=D(2024, 3, 31), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        assert_books(s, club, D(2024, 3, 31), {
            **TILLEULS_CAPITAL, "5121": "2816.50", "6750": "1200.00", "7620": "-16.50"})
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2024, 3, 31))
        assert (loan.written_off_on, loan.outstanding) == (D(2024, 3, 31), euros("0"))
    refused(engine, TILLEULS, "loan_written_off", lambda s, club: loans.repay(
        s, club, 1, date=D(2024, 4, 15), amount=euros("100"), today=TODAY))
    refused(engine, TILLEULS, "loan_written_off", lambda s, club: loans.write_off(
        s, club, 1, date=D(2024, 4, 15), today=TODAY))

    # --- 30 September 2024: 250 € recovered: 5121 / 7718; at most 950 € more ---------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        loans.recover(s, club, 1, date=D(2024, 9, 30), amount=euros("250"), today=TODAY)
    params = refused(engine, TILLEULS, "recovery_exceeds_loss", lambda s, club: loans.recover(
        s, club, 1, date=D(2024, 10, 1), amount=euros("950.01"), today=TODAY))
    assert (params["lost"], params["recovered"]) == ("1200.00", "250.00")
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        assert_books(s, club, D(2024, 9, 30), {
            **TILLEULS_CAPITAL, "5121": "3066.50", "6750": "1200.00", "7620": "-16.50",
            "7718": "-250.00"})
        line = portfolio.portfolio(s, club, D(2024, 9, 30))[0]
        assert (line.status, line.repaid, line.income, line.written_off, line.outstanding) == (
            "written_off", euros("1200"), euros("16.50"), euros("1200"), euros("0"))
        assert check_book(s, club.book_id) == []


def test_shareholder_loan_association_contribution_and_participating_titles(engine):
    with db.session_scope(engine) as s:
        club = found(s, TILLEULS, "Les Cigales des Tilleuls", TILLEULS_T0, D(2023, 1, 10),
                     TILLEULS_SAVINGS)
        investments.add_investee(s, club, slug="la-brasserie", name="La Brasserie",
                                 legal_form="SARL", siren="552081317", capital=euros("8000"))
        investments.add_investee(s, club, slug="les-jardins", name="Les Jardins Partagés",
                                 legal_form="association")
        investments.add_investee(s, club, slug="scop-bois", name="SCOP Bois",
                                 legal_form="SCOP", siren="443061841")

    # --- A shareholder loan (CCA) needs a stake; an association has no capital ------------
    def cca(s, club):
        return loans.grant(s, club, investments.get_investee(s, club, "la-brasserie"),
                           date=D(2023, 2, 15), principal=euros("2000"), instalments=4,
                           rate=Decimal("0.01"), frequency="quarterly", kind="shareholder",
                           today=TODAY)

    refused(engine, TILLEULS, "shareholder_loan_needs_stake", cca)
    refused(engine, TILLEULS, "no_share_capital", lambda s, club: investments.subscribe(
        s, club, investments.get_investee(s, club, "les-jardins"), date=D(2023, 2, 1),
        shares=1, unit_price=euros("100"), today=TODAY))
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        # 10 parts × 50 € = 500 € (6.25 % of 8,000), then the CCA: 2,000 € at 1 %, 4 quarters.
        investments.subscribe(s, club, investments.get_investee(s, club, "la-brasserie"),
                              date=D(2023, 2, 1), shares=10, unit_price=euros("50"),
                              today=TODAY)
        assert cca(s, club).number == 2
        # Quarterly rate 1 % / 4 = 1/400; principal 500 a quarter; interest 2,000 → 5.00,
        # 1,500 → 3.75, 1,000 → 2.50, 500 → 1.25. The first quarter is paid: 505.00.
        loans.repay(s, club, 2, date=D(2023, 5, 15), amount=euros("505"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        cca_view = loans.view(s, *loans.get_loan(s, club, 2), D(2023, 5, 15))
        assert schedule_rows(cca_view) == [
            (D(2023, 5, 15), "500.00", "5.00"), (D(2023, 8, 15), "500.00", "3.75"),
            (D(2023, 11, 15), "500.00", "2.50"), (D(2024, 2, 15), "500.00", "1.25")]
        # Cash 4,000 − 500 − 2,000 + 505 = 2,005.
        assert_books(s, club, D(2023, 5, 15), {
            **TILLEULS_CAPITAL, "261-la-brasserie": "500.00", "2671-la-brasserie": "1500.00",
            "5121": "2005.00", "7620": "-5.00"})

    # --- Contribution with right of recovery to an association: one term ------------------
    def contribution(term):
        return lambda s, club: loans.grant(
            s, club, investments.get_investee(s, club, "les-jardins"), date=D(2023, 6, 1),
            principal=euros("1000"), kind="association", term=term, today=TODAY)

    refused(engine, TILLEULS, "term_required", contribution(None))
    refused(engine, TILLEULS, "invalid_loan_terms", contribution(D(2023, 6, 1)))
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        assert contribution(D(2026, 6, 30))(s, club).number == 3
    # --- Participating titles of a SCOP: redeemable no earlier than issue + 7 years -------
    def titles(term):
        return lambda s, club: loans.grant(
            s, club, investments.get_investee(s, club, "scop-bois"), date=D(2023, 5, 10),
            principal=euros("1000"), rate=Decimal("0.015"), frequency="yearly",
            kind="participating", term=term, today=TODAY)

    refused(engine, TILLEULS, "term_required", titles(None))
    params = refused(engine, TILLEULS, "term_too_early", titles(D(2030, 5, 9)))
    assert params["minimum"] == "2030-05-10"
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        result = titles(D(2030, 5, 10))(s, club)
        # The term is before the club's end (2033-01-01): no notice.
        assert (result.number, result.notices) == (4, ())
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        jardins = loans.view(s, *loans.get_loan(s, club, 3), D(2023, 6, 1))
        # 0 %: a single row, all the principal at the term.
        assert schedule_rows(jardins) == [(D(2026, 6, 30), "1000.00", "0.00")]
        assert jardins.schedule.instalments == 1
        bois = loans.view(s, *loans.get_loan(s, club, 4), D(2023, 6, 1))
        # 1.5 % a year on 1,000 = 15.00 each 10 May 2024…2029, then 1,000 + 15.00 at the term.
        assert schedule_rows(bois) == [
            *[(D(y, 5, 10), "0.00", "15.00") for y in range(2024, 2030)],
            (D(2030, 5, 10), "1000.00", "15.00")]
        # Cash: 4,000 − 500 − 2,000 = 1,500; titles on 10 May −1,000 → 500; CCA instalment on
        # 15 May +505 → 1,005; contribution on 1 June −1,000 → 5.
        assert_books(s, club, D(2023, 6, 1), {
            **TILLEULS_CAPITAL, "261-la-brasserie": "500.00", "2671-la-brasserie": "1500.00",
            "2718-scop-bois": "1000.00", "2768-les-jardins": "1000.00", "5121": "5.00",
            "7620": "-5.00"})
        for number in (2, 3, 4):
            assert_keys_frozen(s, club, number)
        assert check_book(s, club.book_id) == []


# =================================================================================================
# 3. PAR30
# =================================================================================================

def test_par30_on_a_constructed_portfolio(engine):
    """Five 0 % loans; on 29 February 2024:

    1 boulangerie 3,000 over 10 months from 15 Oct 2023: Nov and Dec paid, 15 Jan unpaid
      (45 days late), 15 Feb unpaid (14 days) → outstanding 2,400, at risk.
    2 couture 1,200 over 12 months from 19 Dec 2023: Jan paid, 19 Feb unpaid (10 days)
      → outstanding 1,100, not at risk.
    3 maraicher 2,000 over 4 quarters from 1 Sep 2023: Dec paid, next due 1 Mar → current,
      outstanding 1,500.
    4 librairie 600 over 2 months from 1 Oct 2023: fully repaid → left out.
    5 food-truck 800 over 4 months from 1 Jul 2023: never paid, written off 31 Dec 2023
      → outstanding 0, left out.
    PAR30 = 2,400 / (2,400 + 1,100 + 1,500) = 2,400 / 5,000 = 12/25 (the whole outstanding of
    loan 1, not only its late 300).
    """
    with db.session_scope(engine) as s:
        club = found(s, "marais", "Les Cigales du Marais", D(2023, 6, 1), D(2023, 6, 30),
                     {"M01": "3000", "M02": "2500", "M03": "1500", "M04": "1000",
                      "M05": "1000"})
        grants = [("boulangerie", D(2023, 10, 15), "3000", 10, "monthly"),
                  ("couture", D(2023, 12, 19), "1200", 12, "monthly"),
                  ("maraicher", D(2023, 9, 1), "2000", 4, "quarterly"),
                  ("librairie", D(2023, 10, 1), "600", 2, "monthly"),
                  ("food-truck", D(2023, 7, 1), "800", 4, "monthly")]
        for slug, date, amount, count, frequency in grants:
            investee = investments.add_investee(s, club, slug=slug, name=slug.title(),
                                                legal_form="EI")
            loans.grant(s, club, investee, date=date, principal=euros(amount),
                        instalments=count, frequency=frequency, today=TODAY)
        for number, date, amount in [(1, D(2023, 11, 15), "300"), (1, D(2023, 12, 15), "300"),
                                     (2, D(2024, 1, 19), "100"), (3, D(2023, 12, 1), "500"),
                                     (4, D(2023, 11, 1), "300"), (4, D(2023, 12, 1), "300")]:
            loans.repay(s, club, number, date=date, amount=euros(amount), today=TODAY)
        loans.write_off(s, club, 5, date=D(2023, 12, 31), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "marais")
        report = loans.arrears_report(s, club, D(2024, 2, 29))
        assert [v.investment.number for v in report.loans] == [1, 2, 3]
        assert report.outstanding == euros("5000")
        assert report.par30 == Fraction(2400, 5000) == Fraction(12, 25)
        # Late amounts by age: 300 (45 days) in 31–90; 300 (14 days) + 100 (10 days) in 1–30.
        assert report.buckets == {"1-30": euros("400"), "31-90": euros("300"),
                                  "91-180": euros("0"), "180+": euros("0")}
        assert [(v.outstanding, v.arrears.max_days_past_due, v.arrears.at_risk_30)
                for v in report.loans] == [(euros("2400"), 45, True), (euros("1100"), 10, False),
                                           (euros("1500"), 0, False)]
        # "More than 30 days": on 14 February loan 1 is 30 days late, not yet at risk…
        early = loans.arrears_report(s, club, D(2024, 2, 14))
        assert (early.par30, early.buckets["1-30"], early.outstanding) == (
            Fraction(0), euros("300"), euros("5000"))
        # …on 15 February it is 31 days late (the instalment due that day is not late yet).
        day31 = loans.arrears_report(s, club, D(2024, 2, 15))
        assert day31.par30 == Fraction(12, 25)
        assert (day31.buckets["1-30"], day31.buckets["31-90"]) == (euros("0"), euros("300"))
        # Nothing outstanding at all before the first grant: PAR30 is 0, not a division error.
        assert loans.arrears_report(s, club, D(2023, 6, 30)).par30 == 0


# =================================================================================================
# 4. Frozen member keys: a property over random savings
# =================================================================================================

_clubs = itertools.count(1)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_frozen_keys_property(engine, data):
    founded = D(2023, 1, 15)
    first = data.draw(st.lists(st.integers(0, 300_000), min_size=5, max_size=12)
                      .filter(any), label="first savings (cents)")
    later = data.draw(st.lists(st.integers(0, 100_000), min_size=len(first),
                               max_size=len(first)), label="savings after the payment")
    cash = sum(first)
    shares = data.draw(st.integers(1, min(50, cash)), label="shares")
    price = data.draw(st.integers(1, cash // shares), label="unit price (cents)")
    amount = price * shares
    codes = [f"M{i:02d}" for i in range(1, len(first) + 1)]
    slug = f"prop-{next(_clubs)}"
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, slug, "Propriété", founded, today=TODAY)
        for code, cents in zip(codes, first, strict=True):
            members.add_member(s, club, code=code, name=code, joined=founded, today=TODAY)
            if cents:
                savings_service.add_saving(s, club, member_code=code, date=D(2023, 2, 28),
                                           amount=Money(cents), today=TODAY)
        investee = investments.add_investee(s, club, slug="cible", name="Cible",
                                            legal_form="SAS")
        number = investments.subscribe(s, club, investee, date=D(2023, 3, 1), shares=shares,
                                       unit_price=Money(price), today=TODAY).number
        for code, cents in zip(codes, later, strict=True):
            if cents:
                savings_service.add_saving(s, club, member_code=code, date=D(2023, 4, 30),
                                           amount=Money(cents), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, slug)
        keys = portfolio.member_keys(s, investment(s, club, number))
        # Exactly the members who had paid something by the payment date, with share
        # = their savings ÷ all savings at that date (later savings change nothing).
        assert {k.member: k.share for k in keys} == {
            code: Fraction(cents, cash) for code, cents in zip(codes, first, strict=True)
            if cents}
        assert sum((k.share for k in keys), Fraction(0)) == 1
        assert sum(k.amount.cents for k in keys) == amount
        for k in keys:
            assert abs(k.amount.cents - k.share * amount) < 1
        assert_keys_frozen(s, club, number)


# =================================================================================================
# 5. Tax sheets
# =================================================================================================

SOURCES = "sources"


def sheet_lines(sheets) -> dict[str, list[tuple[int, str, str, Fraction, str, dt.date]]]:
    return {sh.member: [(ln.number, ln.club_amount.plain(), ln.base.plain(), ln.rate,
                         ln.reduction.plain(), ln.lock_up_end) for ln in sh.subscriptions]
            for sh in sheets}


def test_tax_sheets(engine):
    """Les Cigales des Sources, founded 16 January 2023.

    2023: M01–M06 save 6,000 € on 31 May (1,800 / 1,400 / 1,000 / 800 / 600 / 400, keys
    3/10, 7/30, 1/6, 2/15, 1/10, 1/15); on 1 June they buy 30 actions of Solaire (SAS) at
    66.66 € = 1,999.80 € — in the 25 % window of 2023 (12 March–31 December). 5 € of bank
    interest on 31 December. The year is closed.
    2024: M07 joins on 15 January and saves 1,200 € (keys now ÷ 7,200: 1/4, 7/36, 5/36, 1/9,
    1/12, 1/18, 1/6). 1 February: 1,500 € in L'Épicerie (SARL), 18 %. 1 March: an honour loan of
    1,200 € at 2 % over 6 months, all repaid in 2024 (interest 7.00 €). 15 May: 120 € of
    dividend from Solaire. 1 July: 1,000 € in La Recyclerie (SCIC, ESUS) at 25 % and 500 € in
    La Menuiserie (SCOP, not ESUS) at 18 %. 16 September: 10 Solaire actions sold, before the
    lock-up ends (31 December 2028). 31 October: M05 saves 600 € more (shares ÷ 7,800: 3/13,
    7/39, 5/39, 4/39, 2/13, 2/39, 2/13). 10.01 € of bank interest on 31 December.
    """
    founded = D(2023, 1, 16)
    with db.session_scope(engine) as s:
        club = found(s, SOURCES, "Les Cigales des Sources", founded, D(2023, 5, 31),
                     {"M01": "1800", "M02": "1400", "M03": "1000", "M04": "800", "M05": "600",
                      "M06": "400"})
        solaire = investments.add_investee(s, club, slug="solaire", name="Solaire",
                                           legal_form="SAS", siren="812345676",
                                           capital=euros("100000"))
        investments.subscribe(s, club, solaire, date=D(2023, 6, 1), shares=30,
                              unit_price=euros("66.66"), today=TODAY)
        flows.add_income(s, club, date=D(2023, 12, 31), amount=euros("5"),
                         kind="bank_interest", label="Intérêts 2023", today=TODAY)
        bookkeeping.close(s, club, 2023, today=TODAY)
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, SOURCES)
        members.add_member(s, club, code="M07", name="Membre M07", joined=D(2024, 1, 15),
                           today=TODAY)
        savings_service.add_saving(s, club, member_code="M07", date=D(2024, 1, 31),
                                   amount=euros("1200"), today=TODAY)
        epicerie = investments.add_investee(s, club, slug="epicerie", name="L'Épicerie",
                                            legal_form="SARL", siren="900123456",
                                            capital=euros("20000"))
        investments.subscribe(s, club, epicerie, date=D(2024, 2, 1), shares=15,
                              unit_price=euros("100"), today=TODAY)
        couture = investments.add_investee(s, club, slug="atelier-couture",
                                           name="Atelier Couture", legal_form="EI")
        loans.grant(s, club, couture, date=D(2024, 3, 1), principal=euros("1200"),
                    instalments=6, rate=Decimal("0.02"), today=TODAY)
        # 200 € a month + interest ÷ 600 of 1,200 … 200: 2.00, 1.67, 1.33, 1.00, 0.67, 0.33.
        for month, paid in zip(range(4, 10), ["202.00", "201.67", "201.33", "201.00", "200.67",
                                               "200.33"], strict=True):
            loans.repay(s, club, 3, date=D(2024, month, 1), amount=euros(paid), today=TODAY)
        investments.dividend(s, club, solaire, date=D(2024, 5, 15), amount=euros("120"),
                             today=TODAY)
        recyclerie = investments.add_investee(s, club, slug="recyclerie", name="La Recyclerie",
                                              legal_form="SCIC", siren="380129866", esus=True,
                                              capital=euros("50000"))
        investments.subscribe(s, club, recyclerie, date=D(2024, 7, 1), shares=10,
                              unit_price=euros("100"), today=TODAY)
        menuiserie = investments.add_investee(s, club, slug="menuiserie",
                                              name="La Menuiserie", legal_form="SCOP",
                                              capital=euros("20000"))
        investments.subscribe(s, club, menuiserie, date=D(2024, 7, 1), shares=10,
                              unit_price=euros("50"), today=TODAY)
        investments.dispose(s, club, solaire, date=D(2024, 9, 16), shares=10,
                            proceeds=euros("700"), kind="sale", today=TODAY)
        # M05 saves 600 € more: the shares move, the keys already frozen do not.
        savings_service.add_saving(s, club, member_code="M05", date=D(2024, 10, 31),
                                   amount=euros("600"), today=TODAY)
        flows.add_income(s, club, date=D(2024, 12, 31), amount=euros("10.01"),
                         kind="bank_interest", label="Intérêts 2024", today=TODAY)

    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, SOURCES)
        for number in (1, 2, 3, 4, 5):
            assert_keys_frozen(s, club, number)

        # --- 2023 ---------------------------------------------------------------------------
        # Bases = 199,980 cents × key, all exact: 59,994 / 46,662 / 33,330 / 26,664 / 19,998
        # / 13,332. Reductions at 25 % = ÷ 4, half-up: 14,998.5 → 149.99; 11,665.5 → 116.66;
        # 8,332.5 → 83.33; 6,666 → 66.66; 4,999.5 → 50.00; 3,333 → 33.33.
        sheets = portfolio.tax_sheets(s, club, 2023)
        assert [sh.member for sh in sheets] == ["M01", "M02", "M03", "M04", "M05", "M06"]
        q, lock = Fraction(25, 100), D(2028, 12, 31)
        assert sheet_lines(sheets) == {
            "M01": [(1, "1999.80", "599.94", q, "149.99", lock)],
            "M02": [(1, "1999.80", "466.62", q, "116.66", lock)],
            "M03": [(1, "1999.80", "333.30", q, "83.33", lock)],
            "M04": [(1, "1999.80", "266.64", q, "66.66", lock)],
            "M05": [(1, "1999.80", "199.98", q, "50.00", lock)],
            "M06": [(1, "1999.80", "133.32", q, "33.33", lock)]}
        assert sum(sh.total_base.cents for sh in sheets) == 199980
        line = sheets[0].subscriptions[0]
        assert (line.investee, line.siren, line.paid_on, line.key) == (
            "Solaire", "812345676", D(2023, 6, 1), Fraction(3, 10))
        # Bank interest 500 cents by the shares on 31 December: 150, 116.67, 83.33, 66.67,
        # 50, 33.33 → floors 498, the two cents to the tied .67 remainders (M02, M04). The
        # year is closed (7680 debited back to zero): the sheet still finds the 5 €.
        assert {sh.member: [(i.kind, i.club_amount.plain(), i.member_amount.plain())
                            for i in sh.income] for sh in sheets} == {
            code: [("bank_interest", "5.00", part)] for code, part in zip(
                ["M01", "M02", "M03", "M04", "M05", "M06"],
                ["1.50", "1.17", "0.83", "0.67", "0.50", "0.33"], strict=True)}
        assert all(sh.warnings == () for sh in sheets)

        # --- 2024 ---------------------------------------------------------------------------
        sheets = portfolio.tax_sheets(s, club, 2024)
        assert [sh.member for sh in sheets] == ["M01", "M02", "M03", "M04", "M05", "M06",
                                                 "M07"]
        e, v = Fraction(18, 100), Fraction(25, 100)
        lock = D(2029, 12, 31)
        # L'Épicerie, 150,000 cents: 37,500 / 29,166.67 / 20,833.33 / 16,666.67 / 12,500 /
        # 8,333.33 / 25,000 → floors 149,998, two cents to the .67s (M02, M04).
        # 18 %: 67.50; 291.67 → 52.5006 → 52.50; 208.33 → 37.4994 → 37.50; 166.67 → 30.00;
        # 22.50; 83.33 → 14.9994 → 15.00; 45.00.
        epicerie_lines = {"M01": ("375.00", "67.50"), "M02": ("291.67", "52.50"),
                          "M03": ("208.33", "37.50"), "M04": ("166.67", "30.00"),
                          "M05": ("125.00", "22.50"), "M06": ("83.33", "15.00"),
                          "M07": ("250.00", "45.00")}
        # La Recyclerie (ESUS, 1 July 2024 → 25 %), 100,000 cents: 25,000 / 19,444.44 /
        # 13,888.89 / 11,111.11 / 8,333.33 / 5,555.56 / 16,666.67 → floors 99,997, three
        # cents to .89 (M03), .67 (M07), .56 (M06). ÷ 4 half-up: 62.50, 48.61, 34.72 (.7225),
        # 27.78 (.7775), 20.83 (.8325), 13.89, 41.67 (.6675).
        recyclerie_lines = {"M01": ("250.00", "62.50"), "M02": ("194.44", "48.61"),
                            "M03": ("138.89", "34.72"), "M04": ("111.11", "27.78"),
                            "M05": ("83.33", "20.83"), "M06": ("55.56", "13.89"),
                            "M07": ("166.67", "41.67")}
        # La Menuiserie (same day, not ESUS → 18 %), 50,000 cents: 12,500 / 9,722.22 /
        # 6,944.44 / 5,555.56 / 4,166.67 / 2,777.78 / 8,333.33 → floors 49,997, three cents
        # to .78 (M06), .67 (M05), .56 (M04). × 18 %: 22.50, 17.50, 12.50, 10.00, 7.50, 5.00,
        # 15.00.
        menuiserie_lines = {"M01": ("125.00", "22.50"), "M02": ("97.22", "17.50"),
                            "M03": ("69.44", "12.50"), "M04": ("55.56", "10.00"),
                            "M05": ("41.67", "7.50"), "M06": ("27.78", "5.00"),
                            "M07": ("83.33", "15.00")}
        assert sheet_lines(sheets) == {
            code: [(2, "1500.00", *epicerie_lines[code][:1], e, epicerie_lines[code][1], lock),
                   (4, "1000.00", *recyclerie_lines[code][:1], v, recyclerie_lines[code][1],
                    lock),
                   (5, "500.00", *menuiserie_lines[code][:1], e, menuiserie_lines[code][1],
                    lock)]
            for code in epicerie_lines}
        for index, total in ((0, 150000), (1, 100000), (2, 50000)):
            assert sum(sh.subscriptions[index].base.cents for sh in sheets) == total

        # Income. Dividend 120 € by Solaire's key: 36, 28, 20, 16, 12, 8 (M07 had no part).
        # Loan interest 700 cents by the loan's key (÷ 7,200): 175, 136.11, 97.22, 77.78,
        # 58.33, 38.89, 116.67 → floors 697, three cents to .89 (M06), .78 (M04), .67 (M07).
        # Bank interest 1,001 cents by the shares on 31 December (not by any key): 231,
        # 179.67, 128.33, 102.67, 154, 51.33, 154 → floors 999, two cents to the tied .67
        # remainders (M02, M04).
        dividend = dict(zip(["M01", "M02", "M03", "M04", "M05", "M06"],
                            ["36.00", "28.00", "20.00", "16.00", "12.00", "8.00"], strict=True))
        interest = {"M01": "1.75", "M02": "1.36", "M03": "0.97", "M04": "0.78", "M05": "0.58",
                    "M06": "0.39", "M07": "1.17"}
        bank = {"M01": "2.31", "M02": "1.80", "M03": "1.28", "M04": "1.03", "M05": "1.54",
                "M06": "0.51", "M07": "1.54"}
        expected_income = {}
        for code, interest_part in interest.items():
            rows = [("Solaire", "dividend", "120.00", dividend[code])] if code in dividend else []
            rows += [("Atelier Couture", "interest", "7.00", interest_part),
                     ("bank", "bank_interest", "10.01", bank[code])]
            expected_income[code] = rows
        assert {sh.member: [(i.source, i.kind, i.club_amount.plain(), i.member_amount.plain())
                            for i in sh.income] for sh in sheets} == expected_income

        # The sale of Solaire actions in 2024 claws back the 2023 reduction of every member
        # holding a key of that subscription — not M07, who joined afterwards.
        for sh in sheets:
            if sh.member == "M07":
                assert sh.warnings == ()
            else:
                assert [(w.code, w.params["number"], w.params["paid"], w.params["lock"])
                        for w in sh.warnings] == [
                    ("ir_pme_clawback", "1", "2023-06-01", "2028-12-31")]
        # The whole of each payment is on the members' sheets, and nothing more.
        assert sum(sh.total_base.cents for sh in sheets) == 300000
        assert check_book(s, club.book_id) == []


# =================================================================================================
# Bugs found
# =================================================================================================

def test_repayment_on_the_reschedule_day_counts_once(engine):
    # 1,200 € at 0 % over 12 months from 15 January 2023; the first 100 € paid on 15 February,
    # and the same day the rest (1,100 €) is rescheduled over 10 months: 110 € a month, from
    # 15 March to 15 December, none of it paid yet.
    with db.session_scope(engine) as s:
        club = found(s, TILLEULS, "Les Cigales des Tilleuls", TILLEULS_T0, D(2023, 1, 10),
                     TILLEULS_SAVINGS)
        velo = investments.add_investee(s, club, slug="atelier-velo", name="Atelier Vélo",
                                        legal_form="EI")
        loans.grant(s, club, velo, date=D(2023, 1, 15), principal=euros("1200"),
                    instalments=12, today=TODAY)
        loans.repay(s, club, 1, date=D(2023, 2, 15), amount=euros("100"), today=TODAY)
        loans.reschedule(s, club, 1, date=D(2023, 2, 15), instalments=10, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        loan = loans.view(s, *loans.get_loan(s, club, 1), D(2023, 2, 15))
        assert [r.principal.plain() for r in loan.instalments] == ["110.00"] * 10
        # Today: the 100 € is applied again to the first new instalment, so the schedule
        # says 1,000 € outstanding while the books (274) and loan.outstanding say 1,100 €.
        assert loan.arrears.outstanding_principal == loan.outstanding == euros("1100")
        assert [st.paid_principal for st in loan.statuses] == [euros("0")] * 10
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, TILLEULS)
        # Paying the new schedule as agreed settles the loan (today the last payment is
        # refused as an overpayment and 274 keeps 110 € that can never be repaid).
        for month in range(3, 13):
            loans.repay(s, club, 1, date=D(2023, month, 15), amount=euros("110"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        assert "274-atelier-velo" not in balances(s, club)


def test_selling_an_impaired_stake_reverses_its_impairment(engine):
    # 10 actions at 100 € impaired by 400 €, then all sold for 700 €: cost 1,000 leaves
    # (6750 / 261), and the 400 € impairment has nothing left to depreciate: 2961 / 7866.
    with db.session_scope(engine) as s:
        club = found(s, TILLEULS, "Les Cigales des Tilleuls", TILLEULS_T0, D(2023, 1, 10),
                     TILLEULS_SAVINGS)
        fab = investments.add_investee(s, club, slug="fab", name="Fab", legal_form="SAS")
        investments.subscribe(s, club, fab, date=D(2023, 2, 1), shares=10,
                              unit_price=euros("100"), today=TODAY)
        investments.impair(s, club, fab, date=D(2023, 6, 30), amount=euros("400"),
                           reverse=False, today=TODAY)
        investments.dispose(s, club, fab, date=D(2023, 9, 1), shares=10,
                            proceeds=euros("700"), kind="sale", today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, TILLEULS)
        # Cash 4,000 − 1,000 + 700 = 3,700, and no stake and no impairment left.
        assert_books(s, club, D(2023, 9, 1), {
            **TILLEULS_CAPITAL, "5121": "3700.00", "6750": "1000.00", "6866": "400.00",
            "7750": "-700.00", "7866": "-400.00"})


def test_repayments_of_two_loans_keep_the_events_read_in_the_transaction_exact(engine):
    # Two loans repaid in turn in one transaction (as a demo club does): each repayment adds
    # its event to the events the transaction has read (services.uow) instead of reading
    # them again; what the transaction holds must be what the table holds, in its order.
    from sqlalchemy import event as sa_event

    from cigales.models import InvestmentEvent

    def as_read(events):
        return [(e.kind, e.date, e.amount_cents, e.principal_cents, e.interest_cents)
                for e in events]

    statements: list[str] = []
    with db.session_scope(engine) as s:
        club = found(s, TILLEULS, "Les Cigales des Tilleuls", TILLEULS_T0, D(2023, 1, 10),
                     TILLEULS_SAVINGS)
        for slug in ("atelier-velo", "epicerie"):
            investee = investments.add_investee(s, club, slug=slug, name=slug, legal_form="EI")
            loans.grant(s, club, investee, date=D(2023, 1, 15), principal=euros("1200"),
                        instalments=12, today=TODAY)
        first = [loans.get_loan(s, club, n)[0] for n in (1, 2)]
        def record(_conn, _cursor, statement, *_rest):
            statements.append(statement)

        sa_event.listen(engine, "before_cursor_execute", record)
        try:
            for month in range(2, 8):
                for number in (1, 2):
                    loans.repay(s, club, number, date=D(2023, month, 15),
                                amount=euros("100" if number == 1 else "120"), today=TODAY)
            held = [as_read(investments.investment_events(s, inv)) for inv in first]
        finally:
            sa_event.remove(engine, "before_cursor_execute", record)
        stored = [as_read(s.execute(select(InvestmentEvent).where(
            InvestmentEvent.investment_id == inv.id)
            .order_by(InvestmentEvent.date, InvestmentEvent.id)).scalars()) for inv in first]
        assert held == stored
        assert [len(events) for events in held] == [6, 6]
    # Read once per loan (after the grant's writes), not once per repayment.
    reads = [q for q in statements if q.lstrip().startswith("SELECT investment_event.id")]
    assert len(reads) <= 2

"""A club that kept its books elsewhere moves in at a date D with its position (switchover).

The position is read from a spreadsheet (``cigales.switchover.reader``), every problem of the
file collected with its location, then written in one transaction: the club, its members
through ``members.add_member`` (the same checks as ``member add``), investees through
``investments.add_investee``, investments with their frozen member keys, loan schedules built
by ``cigales.schedules`` with the principal repaid up to D booked as one repayment, and ONE
balanced opening entry in the AN journal dated D. The books open on D: that AN entry is the
position every balance starts from (``ledger.schema.counts_in_balances``) and nothing can be
dated earlier. Any problem and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from cigales import chart, schedules
from cigales.errors import CigalesError, DateInFuture, UsageProblem
from cigales.models import (
    CapitalMovement,
    Club,
    ClubEvent,
    Investee,
    InvesteeJobs,
    Investment,
    InvestmentEvent,
    LoanInstalment,
    LoanSchedule,
    Member,
    MemberIdentity,
    MemberKey,
    MemberKeyVersion,
)
from cigales.services import investments as inv_service
from cigales.services import keys as keys_service
from cigales.services import lifecycle as life_service
from cigales.services import loans as loan_service
from cigales.services import members as member_service
from cigales.services.clubs import create_club
from cigales.shares import positions, share_text
from cigales.switchover import template as t
from cigales.switchover.reader import Cells, Problem, Row, SwitchoverFileInvalid, read_tables
from ledger.errors import N_, Msg
from ledger.limits import NAME_MAX, REGION_MAX, check_fields
from ledger.money import Money, allocate
from ledger.post import EntryDraft, Line, PostedEntry, forget, post_entries
from ledger.queries import opening_position_date
from ledger.schema import OPENING_JOURNAL, Account, Book, Entry, Posting

OPENING_LABEL = "Reprise de la situation au {date}"


class ClubAlreadySwitchedOver(CigalesError):
    code = "club_already_switched_over"
    template = N_("Club “{club}” already moved in with its position at {date}. To load a "
                  "corrected file, add --replace (allowed while nothing is booked after the "
                  "opening entry).")


class ReplaceRefused(CigalesError):
    code = "switchover_replace_refused"
    template = N_("Club “{club}” has {count} entries besides its opening position: --replace "
                  "is only allowed before anything else is booked.")


class ReplaceOtherDate(CigalesError):
    code = "switchover_replace_other_date"
    template = N_("Club “{club}” moved in at {date}: --replace loads a corrected position at "
                  "that same date.")


class ClubHasBooks(CigalesError):
    code = "club_has_entries"
    template = N_("Club “{club}” already keeps its books in cigales ({count} entries): a "
                  "switchover opens the books of a club that kept them elsewhere.")


class OpeningUnbalanced(CigalesError):
    code = "opening_entry_unbalanced"
    template = N_("The opening entry does not balance: debits {debit}, credits {credit}; "
                  "{side} is short by {difference}. Nothing was written. Correct the file, "
                  "or name the account that takes the difference with --difference-to "
                  "(e.g. 471 or 110).")


class DifferenceAccountRefused(UsageProblem):
    code = "difference_account_refused"
    template = N_("--difference-to {account}: give a balance-sheet account of the chart "
                  "(class 1 to 5) that is not a member's or an investment's, e.g. 471 or 110.")


@dataclass(frozen=True, slots=True)
class PlannedMember:
    code: str
    name: str
    joined: dt.date
    left: dt.date | None
    paid_in: Money
    owed: Money
    share: str
    value: Money
    units: Fraction | None = None  # units method: the units held at D


@dataclass(frozen=True, slots=True)
class PlannedInvestment:
    number: int
    ref: str
    investee: str
    kind: str
    date: dt.date
    amount: Money
    outstanding: Money  # loans: principal still owed at D; equity: book value at D
    keys_basis: str  # records, paid_in or switchover (investment.keys_basis)
    # Loans: where the schedule stands at D (instalments paid of the schedule's, the next one
    # due, what is overdue at D and how many days late), as `loan show` would say on D.
    position: LoanPosition | None = None


@dataclass(frozen=True, slots=True)
class LoanPosition:
    paid: int
    instalments: int
    next_due: dt.date | None
    overdue: Money
    days_past_due: int


@dataclass(frozen=True, slots=True)
class SwitchoverResult:
    slug: str
    name: str
    as_of: dt.date
    dry_run: bool
    members: tuple[PlannedMember, ...]
    investments: tuple[PlannedInvestment, ...]
    lines: tuple[tuple[str, Money], ...]
    entry: str | None  # "AN 1" once written
    warnings: tuple[Problem, ...]
    net_assets: Money
    cash: Money


@dataclass
class _Member:
    row: Row
    code: str
    name: str
    email: str | None
    joined: dt.date
    left: dt.date | None
    monthly: Money
    paid_in: Money
    owed: Money
    units: Fraction | None = None  # units method: the units held at D


@dataclass
class _Investment:
    row: Row
    ref: str
    investee: str
    siren: str | None
    legal_form: str
    kind: str
    date: dt.date
    amount: Money
    shares: int | None
    unit_price: Money | None
    impairment: Money
    rate: Decimal
    instalments: int
    frequency: str
    deferral: int
    method: str
    term: dt.date | None
    repaid: Money
    schedule: tuple[schedules.Instalment, ...] = ()
    keys: dict[str, Fraction] = field(default_factory=dict)
    # Where the keys come from (investment.keys_basis): the club's records, the paid-in
    # totals at the subscription date, or the switchover date when the file gives neither.
    keys_basis: str = "switchover"


def _col(table: t.Table, key: str) -> t.Column:
    return next(c for c in table.columns if c.key == key)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", t.fold(name)).strip("-")[:36] or "beneficiaire"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _located(cells: Cells, row: Row, exc: CigalesError, column: str | None = None) -> None:
    where = row.cells[column][1] if column and column in row.cells else row.where
    cells.problems.append(Problem(where, exc.template, dict(exc.params)))


# -- reading ----------------------------------------------------------------------------------

def _read_members(cells: Cells, rows: list[Row], as_of: dt.date | None,
                  share_method: str | None = None) -> list[_Member]:
    """``as_of``: the switchover date D (None for a member import, which has none);
    ``share_method``: the club's (None when unknown: a member import, or a club sheet that
    could not be read), which decides whether the units column must be filled or empty."""
    m = t.MEMBERS
    out: list[_Member] = []
    seen: dict[str, str] = {}
    for row in rows:
        code = cells.text(row, _col(m, "code"))
        name = cells.text(row, _col(m, "name"))
        joined = cells.date(row, _col(m, "joined"))
        left = cells.date(row, _col(m, "left"))
        monthly = cells.money(row, _col(m, "monthly")) or Money(0)
        paid_in = cells.money(row, _col(m, "paid_in")) or Money(0)
        owed = cells.money(row, _col(m, "owed")) or Money(0)
        email = cells.text(row, _col(m, "email"))
        units = cells.units(row, _col(m, "units")) if as_of is not None else None
        if as_of is not None:
            _check_units(cells, row, share_method, left, paid_in, units)
        if code is not None:
            code = code.upper()
            if code in seen:
                cells.problem(row.cells["code"][1], N_("member code {code} already used in "
                                                       "{first}"), code=code, first=seen[code])
                continue
            seen[code] = row.cells["code"][1]
        if joined is not None and as_of is not None and joined > as_of:
            cells.problem(row.cells["joined"][1], N_("joined {date}, after the switchover date "
                                                     "{as_of}"), date=joined.isoformat(),
                          as_of=as_of.isoformat())
        if left is not None:
            if as_of is not None and left > as_of:
                cells.problem(row.cells["left"][1], N_("left {date}, after the switchover date "
                                                       "{as_of}"), date=left.isoformat(),
                              as_of=as_of.isoformat())
            if paid_in.cents:
                cells.problem(row.cells["paid_in"][1], N_("a member who left holds no capital: "
                                                          "put what the club still owes in "
                                                          "“reste dû”"))
        elif owed.cents:
            cells.problem(row.cells["owed"][1], N_("“reste dû” is only for a member who left"))
        for key, value in (("paid_in", paid_in), ("owed", owed)):
            if value.cents < 0:
                cells.problem(row.cells[key][1], N_("negative amount {amount}"),
                              amount=value.plain())
        if code is None or name is None or joined is None:
            continue
        out.append(_Member(row, code, name, email, joined, left, monthly, paid_in, owed,
                           units if share_method == "units" and left is None else None))
    return out


def _check_units(cells: Cells, row: Row, share_method: str | None, left: dt.date | None,
                 paid_in: Money, units: Fraction | None) -> None:
    """The units column: each present member's units at D under the units method (required
    with a paid-in total, more than 0), empty otherwise. An unreadable cell was reported."""
    value, ref = cells.raw(row, "units")
    column = _col(t.MEMBERS, "units").fr
    if share_method is None or (value is not None and units is None):
        return  # nothing to check against, or an unreadable cell already reported
    if share_method != "units":
        if value is not None:
            cells.problem(ref, N_("“{column}” is only for a club under the units method "
                                  "(méthode des quotes-parts: parts); this club's is "
                                  "{method}"), column=column, method=share_method)
        return
    if left is not None:
        if value is not None and units != 0:
            cells.problem(ref, N_("a member who left holds no units: leave “{column}” "
                                  "empty"), column=column)
        return
    if paid_in.cents > 0:
        if value is None:
            cells.problem(ref, N_("missing value for “{column}”: under the units method each "
                                  "member with a paid-in total holds units at D"),
                          column=column)
        elif units == 0:
            cells.problem(ref, N_("{column} 0 for a member who paid in {amount}: units held "
                                  "must be more than 0"), column=column,
                          amount=paid_in.plain())
    elif units:
        cells.problem(ref, N_("units held without any paid-in total: fill “{column}” "
                              "too"), column=_col(t.MEMBERS, "paid_in").fr)


def _read_investments(cells: Cells, rows: list[Row], as_of: dt.date) -> list[_Investment]:
    it = t.INVESTMENTS
    out: list[_Investment] = []
    seen: dict[str, str] = {}
    for row in rows:
        ref = cells.text(row, _col(it, "ref"))
        investee = cells.text(row, _col(it, "investee"))
        siren = cells.text(row, _col(it, "siren"))
        legal_form = cells.choice(row, _col(it, "legal_form"), t.LEGAL_FORM_WORDS)
        kind = cells.choice(row, _col(it, "kind"), t.KIND_WORDS)
        date = cells.date(row, _col(it, "date"))
        amount = cells.money(row, _col(it, "amount"))
        shares = cells.integer(row, _col(it, "shares"))
        unit_price = cells.money(row, _col(it, "unit_price"))
        impairment = cells.money(row, _col(it, "impairment")) or Money(0)
        rate = cells.rate(row, _col(it, "rate"))
        instalments = cells.integer(row, _col(it, "instalments"))
        frequency = cells.choice(row, _col(it, "frequency"), t.FREQUENCY_WORDS)
        deferral = cells.integer(row, _col(it, "deferral"))
        method = cells.choice(row, _col(it, "method"), t.METHOD_WORDS)
        first_due = cells.date(row, _col(it, "first_due"))
        term = cells.date(row, _col(it, "term"))
        repaid = cells.money(row, _col(it, "repaid")) or Money(0)
        if ref is not None:
            if ref in seen:
                cells.problem(row.cells["ref"][1], N_("reference {ref} already used in "
                                                      "{first}"), ref=ref, first=seen[ref])
                continue
            seen[ref] = row.cells["ref"][1]
        if (ref is None or investee is None or legal_form is None or kind is None
                or date is None or amount is None):
            continue
        if amount.cents <= 0:
            cells.problem(row.cells["amount"][1], N_("the amount must be positive, not "
                                                     "{amount}"), amount=amount.plain())
            continue
        if date > as_of:
            cells.problem(row.cells["date"][1], N_("dated {date}, after the switchover date "
                                                   "{as_of}"), date=date.isoformat(),
                          as_of=as_of.isoformat())
        item = _Investment(row, ref, investee, siren, legal_form, kind, date, amount, shares,
                           unit_price, impairment, rate or Decimal(0), instalments or 1,
                           frequency or "monthly", deferral or 0, method or "linear", term,
                           repaid)
        if kind == "equity":
            if not shares or shares <= 0:
                cells.problem(row.cells.get("shares", (None, row.where))[1],
                              N_("an equity stake needs its number of shares"))
            elif unit_price is not None and unit_price * shares != amount:
                cells.problem(row.cells["unit_price"][1],
                              N_("{shares} shares at {price} make {total}, not the amount "
                                 "{amount}"), shares=shares, price=unit_price.plain(),
                              total=(unit_price * shares).plain(), amount=amount.plain())
            if impairment > amount or impairment.cents < 0:
                cells.problem(row.cells["impairment"][1],
                              N_("impairment {impairment} outside 0 to the cost {amount}"),
                              impairment=impairment.plain(), amount=amount.plain())
            if repaid.cents:
                cells.problem(row.cells["repaid"][1],
                              N_("principal repaid is for loans, not equity stakes"))
        else:
            if impairment.cents:
                cells.problem(row.cells["impairment"][1],
                              N_("impairment of loans is not taken by the switchover: give "
                                 "the principal still owed"))
            if repaid > amount or repaid.cents < 0:
                cells.problem(row.cells["repaid"][1],
                              N_("principal repaid {repaid} is more than the principal lent "
                                 "{amount}"), repaid=repaid.plain(), amount=amount.plain())
                continue
            try:
                item.schedule = loan_service._build(
                    kind, principal=amount, rate=item.rate, start=date,
                    instalments=item.instalments, deferral=item.deferral,
                    frequency=item.frequency, method=item.method, term=term)
            except (CigalesError, AssertionError) as exc:
                if isinstance(exc, CigalesError):
                    _located(cells, row, exc)
                else:
                    cells.problem(row.cells.get("term", (None, row.where))[1],
                                  N_("a {kind} needs its term"), kind=row.cells["kind"][0])
                continue
            if first_due is not None and item.schedule and item.schedule[0].due != first_due:
                cells.problem(row.cells["first_due"][1],
                              N_("the terms give a first due date of {due}, not {date}"),
                              due=item.schedule[0].due.isoformat(), date=first_due.isoformat())
        out.append(item)
    return out


def _read_keys(cells: Cells, rows: list[Row], investments: list[_Investment],
               members: list[_Member], refs: set[str]) -> None:
    """The keys of each investment: the frozen keys the club kept (``clé``), or each member's
    paid-in total on the subscription date (``versé à la souscription``) from which they are
    computed, as cigales would have frozen them. ``refs``: every reference of the investments
    sheet, even on rows with problems (their keys are not checked again: one problem is
    reported once)."""
    kc = t.KEYS
    by_ref = {i.ref: i for i in investments}
    by_code = {m.code: m for m in members}
    first_row: dict[str, Row] = {}
    paid: dict[str, dict[str, Money]] = defaultdict(dict)
    if rows and not {"key", "paid_at"} & set(rows[0].cells):
        cells.problem(f"{rows[0].sheet}!1", N_("column “{column}” is missing"),
                      column=f"{_col(kc, 'key').fr} / {_col(kc, 'paid_at').fr}")
        return
    for row in rows:
        ref = cells.text(row, _col(kc, "ref"))
        code = cells.text(row, _col(kc, "member"))
        given_key = cells.raw(row, "key")[0] is not None
        given_paid = cells.raw(row, "paid_at")[0] is not None
        share = cells.fraction(row, _col(kc, "key")) if given_key else None
        amount = cells.money(row, _col(kc, "paid_at")) if given_paid else None
        if given_key and given_paid:
            cells.problem(row.cells["paid_at"][1],
                          N_("give the key or the paid-in total at the subscription, not "
                             "both"))
            continue
        if not given_key and not given_paid:
            cells.problem(row.where, N_("give the member's key or their paid-in total at the "
                                        "subscription"))
            continue
        if ref is None or code is None or (share is None and amount is None):
            continue
        code = code.upper()
        item = by_ref.get(ref)
        if item is None and ref in refs:
            continue
        if item is None:
            cells.problem(row.cells["ref"][1], N_("no investment with reference {ref}"), ref=ref)
            continue
        member = by_code.get(code)
        if member is None:
            cells.problem(row.cells["member"][1], N_("no member {code} in the members sheet"),
                          code=code)
            continue
        if code in item.keys or code in paid.get(ref, {}):
            cells.problem(row.cells["member"][1], N_("a second key for {code} in {ref}"),
                          code=code, ref=ref)
            continue
        first = first_row.setdefault(ref, row)
        if ("key" in first.cells and cells.raw(first, "key")[0] is not None) != given_key:
            cells.problem(row.where, N_("the rows of {ref} mix keys and paid-in totals: give "
                                        "one or the other for all its members"), ref=ref)
            continue
        if amount is not None and amount.cents < 0:
            cells.problem(row.cells["paid_at"][1], N_("negative amount {amount}"),
                          amount=amount.plain())
            continue
        if (share or (amount is not None and amount.cents)) and not (
                member.joined <= item.date and (member.left is None
                                                or member.left >= item.date)):
            # Only a member of the club on the day the money left carries the investment.
            # Kept in the sum below: one wrong row is one problem, not also a wrong total.
            cells.problem(row.cells["member"][1],
                          N_("{code} was not a member on {date}, the date of {ref}"),
                          code=code, date=item.date.isoformat(), ref=ref)
        if share is not None:
            item.keys[code] = share
        elif amount is not None:
            paid[ref][code] = amount
    for ref, row in first_row.items():
        item = by_ref[ref]
        if paid.get(ref):
            total = sum((a.cents for a in paid[ref].values()), 0)
            if total <= 0:
                cells.problem(f"{row.sheet}!{row.number}",
                              N_("the paid-in totals of {ref} sum to 0: its keys cannot be "
                                 "computed"), ref=ref)
                continue
            # Each member's share on that day, as cigales freezes it: paid in ÷ the club's.
            item.keys = {c: Fraction(a.cents, total) for c, a in paid[ref].items() if a.cents}
            item.keys_basis = "paid_in"
            continue
        total_keys = sum(item.keys.values(), Fraction(0))
        if total_keys != 1:
            cells.problem(f"{row.sheet}!{row.number}",
                          N_("the keys of {ref} sum to {total}, not 1"), ref=ref,
                          total=share_text(total_keys))
            continue
        item.keys_basis = "records"


_MEMBER_OR_INVESTMENT = ("1011", "1018", "4567", "2")


def _balance_account_ok(code: str) -> bool:
    if code.startswith(_MEMBER_OR_INVESTMENT) or code[:1] not in "1345":
        return False
    chart_codes = {a.code: a.postable for a in chart.CHART}
    return chart_codes.get(code, False)


def _read_balances(cells: Cells, rows: list[Row]) -> list[tuple[str, Money]]:
    bc = t.BALANCES
    out: dict[str, Money] = {}
    for row in rows:
        account = cells.text(row, _col(bc, "account"))
        debit = cells.money(row, _col(bc, "debit")) or Money(0)
        credit = cells.money(row, _col(bc, "credit")) or Money(0)
        if account is None:
            continue
        if not _balance_account_ok(account):
            cells.problem(row.cells["account"][1],
                          N_("account {account} cannot be opened here: give bank and other "
                             "balance-sheet accounts of the chart (5121, 5122, 110, 119, 471); "
                             "members and investments come from their own sheets, and the "
                             "year's result so far goes to 110 or 119"), account=account)
            continue
        if account in out:
            cells.problem(row.cells["account"][1], N_("account {account} given twice"),
                          account=account)
            continue
        out[account] = debit - credit
    return [(a, v) for a, v in out.items() if v.cents]


# -- writing ----------------------------------------------------------------------------------

def _replaceable(session: Session, club: Club, as_of: dt.date, replace: bool) -> None:
    """Refuse a second switchover unless --replace and nothing else was booked; undo it."""
    book = session.get(Book, club.book_id)
    assert book is not None
    opened = opening_position_date(session, club.book_id)
    entries = int(session.execute(select(func.count(Entry.id)).where(
        Entry.book_id == club.book_id)).scalar_one())
    if opened is None:
        if entries:
            raise ClubHasBooks(slug=club.slug, club=club.name, count=entries)
        return
    if not replace:
        raise ClubAlreadySwitchedOver(slug=club.slug, club=club.name, date=opened.isoformat())
    if as_of != opened:
        # The fiscal year and the cancelled position are dated on the first D.
        raise ReplaceOtherDate(slug=club.slug, club=club.name, date=opened.isoformat())
    opening = session.execute(select(Entry).where(
        Entry.book_id == club.book_id, Entry.journal == OPENING_JOURNAL,
        Entry.date == opened).order_by(Entry.id)).scalars().all()
    others = entries - len(opening)
    if others:
        raise ReplaceRefused(slug=club.slug, club=club.name, count=others)
    # The books are immutable: the old position is cancelled by its exact opposite, dated
    # the same day so that it counts in balances exactly as the original did.
    reversed_ids = {e.reverses_id for e in opening if e.reverses_id is not None}
    drafts = []
    for e in opening:
        if e.reverses_id is not None or e.id in reversed_ids:
            continue
        lines = session.execute(select(Account.code, Posting.amount_cents)
                                .join(Account, Account.id == Posting.account_id)
                                .where(Posting.entry_id == e.id)
                                .order_by(Posting.line_no)).all()
        drafts.append(EntryDraft(OPENING_JOURNAL, e.date, f"Extourne AN {e.number} – {e.label}",
                                 tuple(Line(c, Money(-int(v))) for c, v in lines),
                                 reverses_id=e.id))
    post_entries(session, club.book_id, drafts, allow_opening=True)
    # The club-side rows only describe that position: they go with it.
    investment_ids = select(Investment.id).where(Investment.club_id == club.id)
    schedule_ids = select(LoanSchedule.id).where(LoanSchedule.investment_id.in_(investment_ids))
    member_ids = select(Member.id).where(Member.club_id == club.id)
    investee_ids = select(Investee.id).where(Investee.club_id == club.id)
    session.execute(delete(LoanInstalment).where(LoanInstalment.schedule_id.in_(schedule_ids)))
    session.execute(delete(LoanSchedule).where(LoanSchedule.investment_id.in_(investment_ids)))
    session.execute(delete(MemberKey).where(MemberKey.investment_id.in_(investment_ids)))
    session.execute(delete(MemberKeyVersion).where(
        MemberKeyVersion.investment_id.in_(investment_ids)))
    session.execute(delete(InvestmentEvent).where(
        InvestmentEvent.investment_id.in_(investment_ids)))
    session.execute(delete(Investment).where(Investment.club_id == club.id))
    session.execute(delete(InvesteeJobs).where(InvesteeJobs.investee_id.in_(investee_ids)))
    session.execute(delete(Investee).where(Investee.club_id == club.id))
    session.execute(delete(CapitalMovement).where(CapitalMovement.club_id == club.id))
    session.execute(update(Member).where(Member.club_id == club.id).values(transfer_to_id=None))
    session.execute(delete(MemberIdentity).where(MemberIdentity.member_id.in_(member_ids)))
    session.execute(delete(Member).where(Member.club_id == club.id))
    session.execute(delete(ClubEvent).where(ClubEvent.club_id == club.id))


def switchover(session: Session, slug: str, as_of: dt.date, path: Path, *, today: dt.date,
               dry_run: bool = False, replace: bool = False,
               difference_to: str | None = None) -> SwitchoverResult:
    if as_of > today:
        raise DateInFuture(date=as_of.isoformat(), today=today.isoformat())
    if difference_to is not None and not _balance_account_ok(difference_to):
        raise DifferenceAccountRefused(account=difference_to)
    cells = Cells()
    tables = read_tables(path, t.TABLES, cells)
    club_rows = tables["club"]
    if len(club_rows) != 1 and not any(p.where == path.name for p in cells.problems):
        cells.problem(f"{t.CLUB.fr}", N_("the club sheet needs exactly one row, not {count}"),
                      count=len(club_rows))
    name = founded = region = department = prorogation = None
    # The file's share method, else the club's if `club create` made it, else prorata.
    share_method: str | None = session.execute(select(Club.share_method).where(
        Club.slug == slug)).scalar_one_or_none() or "prorata"
    for row in club_rows[:1]:
        c = t.CLUB
        name = cells.text(row, _col(c, "name"))
        founded = cells.date(row, _col(c, "founded"))
        region = cells.text(row, _col(c, "region"))
        department = cells.text(row, _col(c, "department"))
        prorogation = cells.date(row, _col(c, "prorogation"))
        if cells.raw(row, "share_method")[0] is not None:
            # Unknown word (reported): the units column is then not checked against it.
            share_method = cells.choice(row, _col(c, "share_method"), t.SHARE_METHOD_WORDS)
        if founded is not None and founded > as_of:
            cells.problem(row.cells["founded"][1], N_("founded {date}, after the switchover "
                                                      "date {as_of}"),
                          date=founded.isoformat(), as_of=as_of.isoformat())
    members = _read_members(cells, tables["members"], as_of,
                            share_method if club_rows else None)
    investments = _read_investments(cells, tables["investments"], as_of)
    refs = {str(r.cells["ref"][0]).strip() for r in tables["investments"] if "ref" in r.cells}
    _read_keys(cells, tables["keys"], investments, members, refs)
    balances = _read_balances(cells, tables["balances"])
    if founded is None or name is None:
        raise SwitchoverFileInvalid(path.name, cells.problems)

    # The club: created from the sheet, or an empty one created earlier by `club create`.
    club = session.execute(select(Club).where(Club.slug == slug).with_for_update()
                           ).scalar_one_or_none()
    if club is None:
        club = create_club(session, slug, name, founded, today=today, region=region,
                           department=department, share_method=share_method or "prorata")
    else:
        _replaceable(session, club, as_of, replace)
        if session.execute(select(Member.id).where(Member.club_id == club.id)).first():
            raise ClubHasBooks(slug=club.slug, club=club.name, count=0)
        check_fields((name, "name", NAME_MAX), (region, "region", REGION_MAX))
        club.name = name
        club.founded = founded
        club.region = region
        club.department = department
        club.share_method = share_method or "prorata"  # an unknown word was reported
        session.flush()
    # The books open on D: nothing before it can be booked, and the AN entry dated D is the
    # position every balance starts from.
    session.execute(update(Book).where(Book.id == club.book_id).values(opened_on=as_of))
    # What ledger.post knows of the book (its opening day decides which AN entry counts in
    # the kept balances) is read again.
    forget(session, club.book_id)
    session.expire_all()
    club = session.execute(select(Club).where(Club.slug == slug)).scalar_one()

    if prorogation is not None:
        try:
            life_service.extend(session, club, prorogation, late=False, today=today)
        except CigalesError as exc:
            _located(cells, club_rows[0], exc, "prorogation")

    # Members, in the order they joined, so that the 20-member rule sees the club's history.
    lines: list[Line] = []
    created: dict[str, Member] = {}
    for m in sorted(members, key=lambda m: (m.joined, m.code)):
        try:
            member = member_service.add_member(session, club, code=m.code, name=m.name,
                                               joined=m.joined, monthly=m.monthly,
                                               email=m.email, today=today)
        except CigalesError as exc:
            column = {"invalid_member_code": "code", "monthly_saving_negative": "monthly",
                      "name_required": "name"}.get(exc.code, "joined")
            _located(cells, m.row, exc, column)
            continue
        created[m.code] = member
        if m.left is not None:
            if m.left < m.joined:
                cells.problem(m.row.cells["left"][1], N_("left {left}, before joining {joined}"),
                              left=m.left.isoformat(), joined=m.joined.isoformat())
                continue
            member.left_on = m.left
            member.settlement = "deferred" if m.owed.cents else "payout"
            session.flush()
            if m.owed.cents:
                lines.append(Line(f"4567-{m.code}", -m.owed))
        elif m.paid_in.cents:
            lines.append(Line(f"1011-{m.code}", -m.paid_in))

    taken: set[str] = set()
    investees: dict[str, Investee] = {}
    stakes: set[str] = set()
    for item in investments:
        name_key = t.fold(item.investee)
        if name_key not in investees:
            try:
                investees[name_key] = inv_service.add_investee(
                    session, club, slug=_slug(item.investee, taken), name=item.investee,
                    legal_form=item.legal_form, siren=item.siren)
            except CigalesError as exc:
                _located(cells, item.row, exc, {"invalid_siren": "siren",
                                                "invalid_choice": "legal_form"}.get(exc.code))
                continue
        if item.kind == "equity":
            stakes.add(name_key)
    for item in investments:
        investee = investees.get(t.fold(item.investee))
        if investee is None:
            continue
        if item.kind == "shareholder" and t.fold(item.investee) not in stakes:
            cells.problem(item.row.cells["kind"][1], N_("a shareholder loan needs an equity "
                                                        "stake in {investee} in the file"),
                          investee=item.investee)
        try:
            life_service.lifecycle(session, club).check_in_life(item.date)
        except CigalesError as exc:
            _located(cells, item.row, exc, "date")
        account = inv_service.open_investee_account(session, club, investee, item.kind)
        lines.append(Line(account, item.amount - item.repaid))
        if item.impairment.cents:
            lines.append(Line(chart.IMPAIRMENT_ACCOUNT, -item.impairment))
    for account, amount in balances:
        lines.append(Line(account, amount))

    total = Money(sum(ln.amount.cents for ln in lines))
    debit = Money(sum(ln.amount.cents for ln in lines if ln.amount.cents > 0))
    credit = Money(-sum(ln.amount.cents for ln in lines if ln.amount.cents < 0))
    if cells.problems:
        raise SwitchoverFileInvalid(path.name, cells.problems)
    if total.cents:
        if difference_to is None:
            raise OpeningUnbalanced(debit=debit.plain(), credit=credit.plain(),
                                    side=Msg(N_("the credit side") if total.cents > 0
                                             else N_("the debit side")),
                                    difference=abs(total).plain())
        lines.append(Line(difference_to, -total))
    merged: dict[str, int] = defaultdict(int)
    for ln in lines:
        merged[ln.account] += ln.amount.cents
    final = tuple(Line(a, Money(v)) for a, v in sorted(merged.items()) if v)
    entry: PostedEntry | None = None
    if len(final) >= 2:
        entry = post_entries(session, club.book_id, [EntryDraft(
            OPENING_JOURNAL, as_of, OPENING_LABEL.format(date=as_of.strftime("%d/%m/%Y")),
            final)], allow_opening=True)[0]

    for m in members:
        if m.code in created and m.left is None and m.paid_in.cents and entry is not None:
            # Units method: the units held at D ride on the opening movement (shares.py
            # starts from them); a prorata club's carry none.
            session.execute(insert(CapitalMovement).values(
                club_id=club.id, member_id=created[m.code].id, date=as_of, kind="opening",
                amount_cents=m.paid_in.cents, entry_id=entry.id,
                units_numerator=m.units.numerator if m.units else None,
                units_denominator=m.units.denominator if m.units else None))
    planned_investments = []
    ids = {code: member.id for code, member in created.items()}
    for item in investments:
        investee = investees[t.fold(item.investee)]
        assert entry is not None
        investment = inv_service.create_investment(
            session, club, investee, kind=item.kind, date=item.date, amount=item.amount,
            entry=entry, shares=item.shares, unit_price=item.unit_price)
        _freeze(session, club, investment, item, ids, as_of)
        investment.keys_basis = item.keys_basis
        if item.kind != "equity":
            loan_service._store_schedule(
                session, investment, 1, start=item.date, principal=item.amount, rate=item.rate,
                instalments=item.instalments if item.kind not in loan_service.SINGLE_TERM_KINDS
                else 1, deferral=item.deferral, frequency=item.frequency, method=item.method,
                term=item.term, rows=item.schedule)
            if item.repaid.cents:
                paid = _cash_for_principal(item.schedule, item.repaid)
                inv_service.add_event(session, investment, "repayment", as_of, amount=paid,
                                      principal=item.repaid, interest=paid - item.repaid,
                                      entry=entry)
            if item.repaid == item.amount:
                investment.status = "closed"
        elif item.impairment.cents:
            inv_service.add_event(session, investment, "impairment", as_of,
                                  amount=item.impairment, entry=entry)
        position = None
        if item.kind != "equity":
            session.flush()
            loan = loan_service.view(session, investment, investee, as_of)
            unpaid = [st for st in loan.statuses if st.status != "paid"]
            position = LoanPosition(
                len(loan.statuses) - len(unpaid), len(loan.statuses),
                unpaid[0].instalment.due if unpaid else None, loan.arrears.overdue,
                loan.arrears.max_days_past_due)
        planned_investments.append(PlannedInvestment(
            investment.number, item.ref, item.investee, item.kind, item.date, item.amount,
            item.amount - item.repaid - item.impairment, item.keys_basis, position))
    session.flush()
    # Members who left before D no longer carry the club's results: their part of the keys
    # of investments made before they left passes on, as when a departure is recorded
    # (cigales.services.keys), in the order they left.
    for m in sorted((m for m in members if m.left is not None and m.code in created),
                    key=lambda m: (m.left, m.code)):
        assert m.left is not None
        keys_service.pass_on(session, club, created[m.code], m.left)

    table = positions(session, club, as_of)
    by_code = table.by_code()
    planned_members = tuple(
        PlannedMember(m.code, m.name, m.joined, m.left, m.paid_in, m.owed,
                      share_text(by_code[m.code].share), by_code[m.code].value,
                      by_code[m.code].units)
        for m in sorted(members, key=lambda m: m.code))
    warnings = tuple(
        Problem(item.row.cells["ref"][1],
                N_("no frozen keys for {ref} in the file: computed from the paid-in totals at "
                   "{as_of}; the tax sheets of this subscription say so, and may differ from "
                   "the club's records"), {"ref": item.ref, "as_of": as_of.isoformat()})
        for item in investments if item.keys_basis == "switchover" and item.kind == "equity")
    from cigales.services.clubs import cash_balance

    result = SwitchoverResult(
        slug, club.name, as_of, dry_run, planned_members, tuple(planned_investments),
        tuple((ln.account, ln.amount) for ln in final),
        f"{entry.journal} {entry.number}" if entry is not None else None, warnings,
        table.net_assets, cash_balance(session, club.book_id, as_of))
    if dry_run:
        session.rollback()
    return result


def _freeze(session: Session, club: Club, investment: Investment, item: _Investment,
            ids: dict[str, int], as_of: dt.date) -> None:
    """The keys the club kept or computed from the paid-in totals at the subscription date,
    else each member's share at D (the best the books know)."""
    session.execute(delete(MemberKey).where(MemberKey.investment_id == investment.id))
    if item.keys:
        codes = sorted(item.keys)
        parts = allocate(item.amount, [item.keys[c] for c in codes], keys=codes)
        session.execute(insert(MemberKey), [
            {"investment_id": investment.id, "member_id": ids[c],
             "numerator": item.keys[c].numerator, "denominator": item.keys[c].denominator,
             "amount_cents": part.cents} for c, part in zip(codes, parts, strict=True)])
    else:
        inv_service.freeze_keys(session, club, investment.id, as_of, item.amount)


def _cash_for_principal(rows: tuple[schedules.Instalment, ...], principal: Money) -> Money:
    """What the borrower paid to have repaid ``principal``: instalments in order, interest
    before principal (the allocation rule of domain.md §4)."""
    left = principal.cents
    paid = 0
    for row in rows:
        if left <= 0:
            break
        paid += row.interest.cents
        take = min(left, row.principal.cents)
        paid += take
        left -= take
    return Money(paid)


# -- member import ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ImportedMember:
    code: str
    name: str
    joined: dt.date
    monthly: Money


def import_members(session: Session, club: Club, path: Path, *, today: dt.date,
                   dry_run: bool = False) -> tuple[ImportedMember, ...]:
    """Members of a new club in bulk, with the checks of ``member add``; all or nothing."""
    cells = Cells()
    rows = read_tables(path, t.IMPORT_TABLES, cells, single=True)["members"]
    members = _read_members(cells, rows, None)
    for m in members:
        for key in ("left", "paid_in", "owed", "units"):
            value, ref = m.row.cells.get(key, (None, ""))
            if value not in (None, "", 0):
                cells.problem(ref, N_("a member import adds members of a new club: “{column}” "
                                      "belongs to the switchover file"),
                              column=_col(t.MEMBERS, key).fr)
    added = []
    for m in sorted(members, key=lambda m: (m.joined, m.code)):
        try:
            member_service.add_member(session, club, code=m.code, name=m.name, joined=m.joined,
                                      monthly=m.monthly, email=m.email, today=today)
        except CigalesError as exc:
            column = {"invalid_member_code": "code", "member_exists": "code",
                      "monthly_saving_negative": "monthly",
                      "name_required": "name"}.get(exc.code, "joined")
            _located(cells, m.row, exc, column)
            continue
        added.append(ImportedMember(m.code, m.name, m.joined, m.monthly))
    if not rows and not cells.problems:
        cells.problem(path.name, N_("no member rows"))
    if cells.problems:
        raise SwitchoverFileInvalid(path.name, cells.problems)
    if dry_run:
        session.rollback()
    return tuple(sorted(added, key=lambda m: m.code))

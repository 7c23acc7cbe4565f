"""Frozen report data, built from queries: what the AGM pack and member statements show.

Rendering (PDF, tables) comes second and only formats these values, so every figure can be
tested exactly here. Conventions:

- Amounts are ``Money``; shares are exact ``Fraction``; nothing is rounded except by
  ``allocate()`` where a whole is split.
- The AGM approves the accounts *before* the result is allocated, so the balance sheet and
  income statement of year Y leave out Y's closing entries (the OD entries of 31 December
  that post to the result accounts 120/129: result entry and allocation entry). Earlier years'
  closings stay in, which is what brings the earlier income and expenses to zero.
- Labels of accounts are the chart's own (French, like the FEC); section titles are keys that
  the renderer translates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from cigales import chart
from cigales.errors import Notice, YearOutOfRange
from cigales.models import (
    CapitalMovement,
    Club,
    ClubEvent,
    Investee,
    InvesteeJobs,
    Member,
    MemberIdentity,
)
from cigales.phases import Lifecycle, Phase
from cigales.schedules import BUCKETS
from cigales.services import lifecycle as lifecycle_service
from cigales.services.clubs import cash_balance
from cigales.services.loans import LoanView, all_loans, arrears_of
from cigales.services.members import member_table
from cigales.services.portfolio import (
    IncomeLine,
    PortfolioLine,
    TaxSheet,
    portfolio,
    tax_sheets,
)
from cigales.services.savings import arrears as savings_arrears
from cigales.shares import net_assets_by_day
from ledger.money import Money
from ledger.queries import balances_by_account, chain_head, opening_position_date
from ledger.schema import (
    OPENING_JOURNAL,
    Account,
    Entry,
    FiscalYear,
    Posting,
    counts_in_balances,
)
from reports.club_view import ClubView

ZERO = Money(0)


def check_year(club: Club, year: int, today: dt.date) -> int:
    """A report covers a year of the club's books: from its founding year to this year."""
    if not club.founded.year <= year <= today.year:
        raise YearOutOfRange(slug=club.slug, club=club.name, year=str(year),
                             first=str(club.founded.year), last=str(today.year))
    return year


RESULT_ACCOUNTS = (chart.PROFIT_ACCOUNT, chart.LOSS_ACCOUNT)
MEMBER_REFERENCE = "CIG-{code}"  # what a member writes on a standing order (bank import)


def _sum(values: Iterable[Money]) -> Money:
    return Money(sum(v.cents for v in values))


# -- club identity -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClubIdentity:
    slug: str
    name: str
    region: str | None
    department: str | None
    founded: dt.date
    phase: str  # phase at the end of the reported year (cigales.phases.Phase value)
    phase1_end: dt.date  # last day of the first five-year phase
    life_end: dt.date  # last day of the club's life as it stands
    prorogation: dt.date | None
    liquidation: dt.date | None
    share_method: str
    result_allocation: str


def club_identity(session: Session, club: Club, as_of: dt.date, *,
                  life: Lifecycle | None = None) -> ClubIdentity:
    life = life or lifecycle_service.lifecycle(session, club)
    one_day = dt.timedelta(days=1)
    return ClubIdentity(
        slug=club.slug, name=club.name, region=club.region, department=club.department,
        founded=club.founded, phase=life.phase_at(as_of).value,
        phase1_end=life.phase1_end - one_day, life_end=life.life_end - one_day,
        prorogation=life.prorogation.date if life.prorogation else None,
        liquidation=life.liquidation.date if life.liquidation else None,
        share_method=club.share_method, result_allocation=club.result_allocation)


# -- balances before the year's closing --------------------------------------------------------

def _closing_entry_ids(book_id: int, year: int):  # type: ignore[no-untyped-def]
    """Select the ids of year ``year``'s closing entries (see the module docstring)."""
    result_posting = aliased(Posting)
    result_account = aliased(Account)
    return (
        select(Entry.id).where(
            Entry.book_id == book_id, Entry.journal == "OD",
            Entry.date == dt.date(year, 12, 31),
            exists(select(result_posting.id)
                   .join(result_account, result_account.id == result_posting.account_id)
                   .where(result_posting.entry_id == Entry.id,
                          result_account.code.in_(RESULT_ACCOUNTS))))
    )


def balances_before_closing(session: Session, book_id: int, year: int,
                            from_date: dt.date | None = None,
                            before_entry: int | None = None) -> dict[str, Money]:
    """Signed balance per account at 31/12/``year``, without that year's closing entries.

    With ``from_date``, only the movements from that date (e.g. the year's income). With
    ``before_entry``, only entries before that one (the liquidation's first entry: the
    liquidation year's accounts are those on which the final distribution was made).
    """
    # The kept balances at the year's end (and the day before from_date), less the postings
    # of the entries left out: that year's closing entries, and the liquidation's.
    end = dt.date(year, 12, 31)
    totals = {code: m.cents for code, m in balances_by_account(session, book_id, end).items()}
    if from_date is not None:
        for code, m in balances_by_account(session, book_id,
                                           from_date - dt.timedelta(days=1)).items():
            totals[code] = totals.get(code, 0) - m.cents
    left_out: ColumnElement[bool] = Entry.id.in_(_closing_entry_ids(book_id, year))
    if before_entry is not None:
        left_out = or_(left_out, Entry.id >= before_entry)
    conds = [Entry.book_id == book_id, counts_in_balances(), Entry.date <= end, left_out]
    if from_date is not None:
        conds.append(Entry.date >= from_date)
    rows = session.execute(
        select(Account.code, func.sum(Posting.amount_cents))
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(and_(*conds)).group_by(Account.code)).all()
    for code, total in rows:
        totals[code] = totals.get(code, 0) - int(total)
    return {code: Money(total) for code, total in sorted(totals.items()) if total}


def _labels(session: Session, book_id: int) -> dict[str, str]:
    rows = session.execute(select(Account.code, Account.label)
                           .where(Account.book_id == book_id)).all()
    return dict(rows)


# -- a club that moved in with its position (switchover) --------------------------------------

@dataclass(frozen=True, slots=True)
class OpeningPosition:
    """The position a club brought from its former spreadsheet when it moved into cigales on
    ``date`` (D, docs/switchover.md): its opening entry in the AN journal dated D.

    Nothing of the year before D is in the books, only this position (the year's result up
    to D is inside the retained results). The pack of D's year shows it as one opening line
    ("Reprise au D") where the year's figures before D would be: the previous column of the
    balance sheet, the start of the cash reconciliation, the baseline of the activity.
    """

    date: dt.date
    cash: Money  # bank accounts (5121, 5122) at D
    investments: Money  # investment accounts (class 2), net of repayments and impairments
    other: Money  # any other balance, debit positive (e.g. 471)
    capital: Money  # members' paid-in totals (1011, 1018)
    owed_to_leavers: Money  # what the club owed members gone before D (4567)
    retained: Money  # results not allotted to members (110 − 119), the year's so far included

    @property
    def net_assets(self) -> Money:
        """What the members' shares split at D: their capital plus the retained results."""
        return self.capital + self.retained


def opening_balances(session: Session, book_id: int, date: dt.date) -> dict[str, Money]:
    """Balance per account of the opening position dated ``date`` (with a replaced one's
    exact reversal, which nets to nothing)."""
    rows = session.execute(
        select(Account.code, func.sum(Posting.amount_cents))
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == book_id, Entry.journal == OPENING_JOURNAL,
               Entry.date == date, counts_in_balances())
        .group_by(Account.code)).all()
    return {code: Money(int(total)) for code, total in rows if int(total)}


def opening_position(session: Session, club: Club, year: int) -> OpeningPosition | None:
    """The position the club moved in with, when it moved in during ``year``; else None."""
    date = opening_position_date(session, club.book_id)
    if date is None or date.year != year:
        return None
    found: dict[str, int] = defaultdict(int)
    for code, amount in opening_balances(session, club.book_id, date).items():
        if code.startswith(chart.CASH_PREFIXES):
            found["cash"] += amount.cents
        elif code[0] == "2":
            found["investments"] += amount.cents
        elif _group(code) in ("1011", "1018"):
            found["capital"] -= amount.cents
        elif _group(code) == "4567":
            found["owed_to_leavers"] -= amount.cents
        elif code.startswith(("11", "12")):
            found["retained"] -= amount.cents
        else:
            found["other"] += amount.cents
    return OpeningPosition(date, *(Money(found[k]) for k in (
        "cash", "investments", "other", "capital", "owed_to_leavers", "retained")))


# -- balance sheet and income statement --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StatementLine:
    code: str  # account code, or a section key for computed lines ("result", ...)
    label: str
    current: Money
    previous: Money


@dataclass(frozen=True, slots=True)
class StatementSection:
    key: str  # financial_assets, impairments, receivables, cash, capital, ..., charges, products
    lines: tuple[StatementLine, ...]

    @property
    def current(self) -> Money:
        return _sum(line.current for line in self.lines)

    @property
    def previous(self) -> Money:
        return _sum(line.previous for line in self.lines)


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    year: int
    assets: tuple[StatementSection, ...]
    liabilities: tuple[StatementSection, ...]  # equity first, then debts
    # The year the club moved in: the previous column is the opening position at this date
    # (the books hold nothing at the end of the previous year).
    previous_date: dt.date | None = None

    @property
    def total_assets(self) -> tuple[Money, Money]:
        return (_sum(s.current for s in self.assets), _sum(s.previous for s in self.assets))

    @property
    def total_liabilities(self) -> tuple[Money, Money]:
        return (_sum(s.current for s in self.liabilities),
                _sum(s.previous for s in self.liabilities))


@dataclass(frozen=True, slots=True)
class IncomeStatement:
    year: int
    charges: StatementSection  # amounts positive
    products: StatementSection  # amounts positive
    # The year the club moved in: income and charges are those from this date (D); before
    # it they are inside the retained results of the opening position.
    since: dt.date | None = None

    @property
    def result(self) -> tuple[Money, Money]:
        """Profit (+) or loss (−) of the year and of the previous year."""
        return (self.products.current - self.charges.current,
                self.products.previous - self.charges.previous)


def _group(code: str) -> str:
    """Balance-sheet line of an account: member and investee sub-accounts roll up."""
    return code.split("-", 1)[0]


def _balance_sheet_side(balances: dict[str, Money]) -> dict[str, dict[str, Money]]:
    """Section key -> line code -> amount shown (positive = normal side of the section)."""
    out: dict[str, dict[str, Money]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    result = ZERO
    for code, amount in balances.items():
        group = _group(code)
        if code[0] in "67":
            result -= amount  # income is a credit: profit = −(sum of classes 6 and 7)
        elif code.startswith("29"):
            out["impairments"][group] += amount  # credit balance: shown negative on assets
        elif code[0] == "2":
            out["financial_assets"][group] += amount
        elif code[0] == "5":
            out["cash"][group] += amount
        elif code[0] == "4":
            # Receivables and debts by account: a member account is owed (credit) or owes.
            key = "receivables" if amount.cents > 0 else "debts"
            out[key][group] += amount if amount.cents > 0 else -amount
        elif code in RESULT_ACCOUNTS:
            out["equity"]["result_pending"] += -amount
        elif code[0] == "1":
            section = "capital" if group in ("1011", "1018") else "equity"
            out[section][group] += -amount
        else:  # class 3 does not exist in a club's chart; keep it visible if ever used
            out["other"][group] += amount
    out["equity"]["result"] += result  # always shown, even when nil
    return out


ASSET_SECTIONS = ("financial_assets", "impairments", "receivables", "cash", "other")
LIABILITY_SECTIONS = ("capital", "equity", "debts")
COMPUTED_LINES = {"result": "Résultat de l'exercice",
                  "result_pending": "Résultat en attente d'affectation"}


def _sections(keys: tuple[str, ...], current: dict[str, dict[str, Money]],
              previous: dict[str, dict[str, Money]], labels: dict[str, str],
              ) -> tuple[StatementSection, ...]:
    sections = []
    for key in keys:
        codes = sorted(set(current.get(key, {})) | set(previous.get(key, {})),
                       key=lambda c: (c == "result", c))
        lines = tuple(
            StatementLine(code, labels.get(code, COMPUTED_LINES.get(code, code)),
                          current.get(key, {}).get(code, ZERO),
                          previous.get(key, {}).get(code, ZERO))
            for code in codes)
        lines = tuple(line for line in lines
                      if line.code == "result" or line.current.cents or line.previous.cents)
        if lines:
            sections.append(StatementSection(key, lines))
    return tuple(sections)


def liquidation_cut(session: Session, club: Club, year: int) -> int | None:
    """The first entry of the liquidation when the club was liquidated in ``year``."""
    return liquidation_cuts(session, [club.id], year)[club.id]


def liquidation_cuts(session: Session, club_ids: Sequence[int],
                     year: int) -> dict[int, int | None]:
    """``liquidation_cut`` of many clubs, one query."""
    found: dict[int, int | None] = dict.fromkeys(club_ids)
    if club_ids:
        seen: set[int] = set()
        for club_id, date, entry_id in session.execute(
                select(ClubEvent.club_id, ClubEvent.date, ClubEvent.entry_id).where(
                    ClubEvent.club_id.in_(club_ids), ClubEvent.kind == "closure")
                .order_by(ClubEvent.id)):
            if club_id in seen:  # a club closes once: its first closure event
                continue
            seen.add(club_id)
            if date.year == year and entry_id is not None:
                found[club_id] = int(entry_id)
    return found


def balance_sheet(session: Session, club: Club, year: int,
                  opening: OpeningPosition | None = None) -> BalanceSheet:
    """``opening``: the position the club moved in with during ``year`` (its previous column)."""
    labels = _labels(session, club.book_id)
    current = _balance_sheet_side(balances_before_closing(
        session, club.book_id, year, before_entry=liquidation_cut(session, club, year)))
    if opening is not None:
        previous = _balance_sheet_side(opening_balances(session, club.book_id, opening.date))
    else:
        previous = _balance_sheet_side(balances_before_closing(
            session, club.book_id, year - 1,
            before_entry=liquidation_cut(session, club, year - 1)))
    return BalanceSheet(year, _sections(ASSET_SECTIONS, current, previous, labels),
                        _sections(LIABILITY_SECTIONS, current, previous, labels),
                        opening.date if opening is not None else None)


def income_statement(session: Session, club: Club, year: int,
                     opening: OpeningPosition | None = None) -> IncomeStatement:
    labels = _labels(session, club.book_id)

    def movements(y: int) -> dict[str, Money]:
        found = balances_before_closing(session, club.book_id, y, from_date=dt.date(y, 1, 1),
                                        before_entry=liquidation_cut(session, club, y))
        return {c: a for c, a in found.items() if c[0] in "67"}

    now, before = movements(year), movements(year - 1)

    def section(key: str, klass: str, sign: int) -> StatementSection:
        codes = sorted(c for c in set(now) | set(before) if c.startswith(klass))
        return StatementSection(key, tuple(
            StatementLine(c, labels.get(c, c), now.get(c, ZERO) * sign,
                          before.get(c, ZERO) * sign) for c in codes))

    return IncomeStatement(year, section("charges", "6", 1), section("products", "7", -1),
                           opening.date if opening is not None else None)


# -- cash reconciliation -----------------------------------------------------------------------

CASH_FLOW_KINDS = ("savings", "capital_returned", "invested", "recovered", "income", "expenses",
                   "other")


@dataclass(frozen=True, slots=True)
class CashReconciliation:
    start: Money  # bank accounts at 31/12 of the previous year, or at D (start_date)
    flows: tuple[tuple[str, Money], ...]  # (kind, signed amount), kinds in CASH_FLOW_KINDS order
    end: Money
    # The year the club moved in: the reconciliation starts from the bank balances of its
    # opening position at this date (D), the one line that stands for the year before D.
    start_date: dt.date | None = None

    @property
    def explained(self) -> bool:
        return self.start + _sum(a for _, a in self.flows) == self.end


def _flow_kind(code: str, amount: int) -> str:
    """Why cash moved, from the counterpart account (``amount`` is the cash side's sign)."""
    group = _group(code)
    if group == "1011":
        return "savings" if amount > 0 else "capital_returned"
    if group in ("1018", "4567"):
        return "capital_returned"
    if code.startswith((chart.DISPOSAL_PROCEEDS_ACCOUNT, chart.RECOVERY_ACCOUNT)) or (
            code[0] == "2" and not code.startswith("29")):
        return "invested" if amount < 0 else "recovered"
    if code[0] == "7":
        return "income"
    if code[0] == "6":
        return "expenses"
    return "other"


def cash_reconciliation(session: Session, club: Club, year: int,
                        opening: OpeningPosition | None = None) -> CashReconciliation:
    """Cash at both ends of the year and every bank movement in between, by counterpart.

    Flows are classified entry by entry, from the bank (5xxx) lines and their counterparts:
    within an entry, non-cash lines that cancel each other out (the cost of a stake sold,
    6750 D / 261 C, booked in the same entry as its proceeds) moved no money and explain
    nothing; each remaining counterpart line explains minus its own amount. An entry
    balances, so the flows add up to the change in cash exactly (transfers between the club's
    own bank accounts explain nothing and cancel out).

    ``opening``: the club moved in during the year; the cash of its opening entry is the
    start, not a flow (it is the year before D and every year before, summed up).
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    is_cash = Account.code.in_(chart.CASH_PREFIXES)
    # Performance: the club's own cash accounts only (the index on the accounts' book and
    # code, then on the postings' account); without the book, every club's bank postings.
    cash_entries = (select(Posting.entry_id).join(Account, Account.id == Posting.account_id)
                    .where(is_cash, Account.book_id == club.book_id))
    # Only an opening position's AN entry counts among the AN entries (counts_in_balances).
    not_opening = Entry.journal != OPENING_JOURNAL if opening is not None else true()
    rows = session.execute(
        select(Posting.entry_id, Account.code, Posting.amount_cents)
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == club.book_id, counts_in_balances(),
               Entry.date >= first, Entry.date <= last, ~is_cash,
               Entry.id.in_(cash_entries), not_opening)
        .order_by(Posting.entry_id, Posting.id)).all()
    by_entry: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for entry_id, code, cents in rows:
        by_entry[entry_id].append((code, int(cents)))
    flows: dict[str, int] = dict.fromkeys(CASH_FLOW_KINDS, 0)
    for lines in by_entry.values():
        for code, cents in cash_counterparts(lines):
            cash_side = -cents
            flows[_flow_kind(code, cash_side)] += cash_side
    start = (opening.cash if opening is not None
             else cash_balance(session, club.book_id, dt.date(year - 1, 12, 31)))
    end = cash_balance(session, club.book_id, last)
    return CashReconciliation(start, tuple((k, Money(v)) for k, v in flows.items()), end,
                              opening.date if opening is not None else None)


def cash_counterparts(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The non-cash lines of one entry that explain its cash, internal transfers removed.

    A debit and a credit of the same amount between two non-cash accounts (e.g. the book
    value of a stake sold, 6750 D / 261 C) is a transfer inside the books: both are dropped.
    Pairs are matched in posting order, so the result does not depend on the database.
    """
    remaining = list(lines)
    i = 0
    while i < len(remaining):
        code, cents = remaining[i]
        match = next((j for j in range(i + 1, len(remaining))
                      if remaining[j][1] == -cents and _pairs_off(code, remaining[j][0])), None)
        if match is None:
            i += 1
            continue
        del remaining[match]
        del remaining[i]
    return remaining


def _pairs_off(a: str, b: str) -> bool:
    """Two non-cash lines that may cancel: a cost moved out of an asset (6750 / 2xxx) or an
    impairment moved (29xx / 6866 or 7866) — never two lines that each explain money."""
    return {a[:1], b[:1]} == {"2", "6"} or a.startswith("29") or b.startswith("29")


# -- members -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MemberLine:
    """One line of the convention's share table at the closing date."""

    code: str
    name: str
    joined: dt.date
    left: dt.date | None
    paid_in_year: Money
    paid_to_date: Money
    contributed: Money  # net contributions (savings − capital repaid)
    share: Fraction
    value: Money


def _paid_by_member(session: Session, club: Club, first: dt.date | None,
                    last: dt.date) -> dict[str, Money]:
    # Paid to date includes a switchover's opening totals; paid in a period does not.
    kinds = ("saving",) if first is not None else ("saving", "opening")
    conds = [Member.club_id == club.id, CapitalMovement.kind.in_(kinds),
             CapitalMovement.date <= last]
    if first is not None:
        conds.append(CapitalMovement.date >= first)
    rows = session.execute(
        select(Member.code, func.sum(CapitalMovement.amount_cents))
        .join(CapitalMovement, CapitalMovement.member_id == Member.id)
        .where(*conds).group_by(Member.code)).all()
    return {code: Money(int(total)) for code, total in rows}


def member_lines(session: Session, club: Club, year: int) -> tuple[Money, tuple[MemberLine, ...]]:
    """(net assets used for values, one line per member who had joined by 31/12)."""
    last = dt.date(year, 12, 31)
    table, rows = member_table(session, club, last)
    in_year = _paid_by_member(session, club, dt.date(year, 1, 1), last)
    by_code = table.by_code()
    return table.net_assets, tuple(
        MemberLine(r.code, r.name, r.joined, r.left, in_year.get(r.code, ZERO), r.paid,
                   r.contributed, by_code[r.code].share, r.value)
        for r in rows)


# -- portfolio and loans -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoanLine:
    number: int
    investee: str
    kind: str
    date: dt.date
    principal: Money
    repaid: Money
    outstanding: Money
    overdue: Money
    days_past_due: int
    bucket: str  # "current" or the age bucket of the oldest unpaid instalment (BUCKETS)
    written_off: bool


@dataclass(frozen=True, slots=True)
class LoanBook:
    lines: tuple[LoanLine, ...]
    outstanding: Money
    buckets: tuple[tuple[str, Money], ...]  # unpaid instalments (overdue) by age bucket
    par30: Fraction  # outstanding of loans > 30 days late ÷ outstanding


def loan_book(session: Session, club: Club, as_of: dt.date, *,
              views: list[LoanView] | None = None) -> LoanBook:
    """``views``: the club's loans already viewed on ``as_of`` (reports.club_view)."""
    views = all_loans(session, club, as_of) if views is None else views
    report = arrears_of(views, as_of)
    lines = []
    for view in views:
        arrears = view.arrears
        days = arrears.max_days_past_due
        bucket = next((name for name, low, high in BUCKETS
                       if days >= low and (high is None or days <= high)), "current")
        lines.append(LoanLine(
            view.investment.number, view.investee.name, view.investment.kind,
            view.investment.date, Money(view.investment.amount_cents), view.repaid,
            view.outstanding, arrears.overdue, arrears.max_days_past_due, bucket,
            view.written_off_on is not None))
    return LoanBook(tuple(lines), report.outstanding,
                    tuple((name, report.buckets[name]) for name, _, _ in BUCKETS), report.par30)


# -- activity ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Movement:
    code: str
    name: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class Decision:
    number: int
    investee: str
    kind: str
    date: dt.date
    amount: Money


@dataclass(frozen=True, slots=True)
class Activity:
    members_start: int  # active on 1 January
    members_end: int  # active on 31 December
    joined: tuple[Movement, ...]
    left: tuple[Movement, ...]
    savings_collected: Money
    savings_payments: int
    # Members behind their monthly plan at year end; None when no month of the year belongs
    # to the plan (e.g. a management phase without savings): nothing could be paid.
    members_behind: int | None
    investments: tuple[Decision, ...]
    invested: Money
    repaid: Money  # principal of loans and cost of shares that came back in the year
    income: Money  # dividends and interest received in the year
    written_off: Money
    jobs_created: int
    jobs_kept: int
    alerts: tuple[Notice, ...]
    # The liquidation, when the club was closed in the year: its date and what each member
    # (leavers with a deferred settlement included) was paid in the final distribution.
    closed_on: dt.date | None = None
    distribution: tuple[Paid, ...] = ()
    # The year the club moved in (D): savings, investments decided, repayments, income and
    # write-offs are those after D; what came before is in the opening position.
    since: dt.date | None = None

    @property
    def distributed(self) -> Money:
        return _sum(p.amount for p in self.distribution)


@dataclass(frozen=True, slots=True)
class Paid:
    code: str
    name: str
    amount: Money


def final_distribution(session: Session, club: Club, year: int,
                       ) -> tuple[dt.date | None, tuple[Paid, ...]]:
    """Date and payments of the liquidation when it happened in ``year``."""
    cut = liquidation_cut(session, club, year)
    if cut is None:
        return None, ()
    closed = session.execute(select(ClubEvent.date).where(
        ClubEvent.club_id == club.id, ClubEvent.kind == "closure")).scalar_one()
    names = dict(session.execute(
        select(Member.code, MemberIdentity.name)
        .join(MemberIdentity, MemberIdentity.member_id == Member.id)
        .where(Member.club_id == club.id)).all())
    rows = session.execute(
        select(Account.code, func.sum(Posting.amount_cents))
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == club.book_id, Entry.id >= cut, Entry.journal != "OD",
               Account.code.like("4567-%"), Posting.amount_cents > 0)
        .group_by(Account.code).order_by(Account.code)).all()
    return closed, tuple(Paid(code.split("-", 1)[1], names.get(code.split("-", 1)[1], ""),
                              Money(int(total))) for code, total in rows)


def _member_movements(session: Session, club: Club, column, first: dt.date,  # type: ignore[no-untyped-def]
                      last: dt.date) -> tuple[Movement, ...]:
    rows = session.execute(
        select(Member.code, MemberIdentity.name, column)
        .join(MemberIdentity, MemberIdentity.member_id == Member.id)
        .where(Member.club_id == club.id, column >= first, column <= last)
        .order_by(column, Member.code)).all()
    return tuple(Movement(code, name, date) for code, name, date in rows)


def member_movement_counts(session: Session, club_ids: Sequence[int], column,  # type: ignore[no-untyped-def]
                           first: dt.date, last: dt.date) -> dict[int, int]:
    """How many ``_member_movements`` each club has (members who joined, or left, in the
    window): one grouped query for many clubs."""
    found = dict.fromkeys(club_ids, 0)
    if club_ids:
        found.update((int(i), int(n)) for i, n in session.execute(
            select(Member.club_id, func.count())
            .join(MemberIdentity, MemberIdentity.member_id == Member.id)
            .where(Member.club_id.in_(club_ids), column >= first, column <= last)
            .group_by(Member.club_id)))
    return found


def savings_by_club(session: Session, club_ids: Sequence[int], first: dt.date,
                    last: dt.date) -> dict[int, tuple[Money, int]]:
    """Savings paid in the window per club: (amount, number of payments), one query."""
    found = dict.fromkeys(club_ids, (ZERO, 0))
    if club_ids:
        found.update((int(i), (Money(int(total)), int(n))) for i, total, n in session.execute(
            select(CapitalMovement.club_id,
                   func.coalesce(func.sum(CapitalMovement.amount_cents), 0), func.count())
            .where(CapitalMovement.club_id.in_(club_ids), CapitalMovement.kind == "saving",
                   CapitalMovement.date >= first, CapitalMovement.date <= last)
            .group_by(CapitalMovement.club_id)))
    return found


def jobs_by_club(session: Session, club_ids: Sequence[int], first: dt.date,
                 last: dt.date) -> dict[int, tuple[int, int]]:
    """Jobs created and kept reported by each club's investees in the window, one query."""
    found = dict.fromkeys(club_ids, (0, 0))
    if club_ids:
        found.update((int(i), (int(c), int(k))) for i, c, k in session.execute(
            select(Investee.club_id, func.coalesce(func.sum(InvesteeJobs.created), 0),
                   func.coalesce(func.sum(InvesteeJobs.kept), 0))
            .join(Investee, Investee.id == InvesteeJobs.investee_id)
            .where(Investee.club_id.in_(club_ids), InvesteeJobs.date >= first,
                   InvesteeJobs.date <= last)
            .group_by(Investee.club_id)))
    return found


def activity(session: Session, club: Club, year: int,
             lines: list[PortfolioLine], previous: list[PortfolioLine], *,
             view: ClubView | None = None, since: dt.date | None = None) -> Activity:
    """``view``: the club on 31 December of ``year``, when the caller has one.

    ``previous``: the portfolio the year's movements are counted from — at the end of the
    previous year, or, the year the club moved in, at D (``since``), its opening position.
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    # Decisions before D came in with the opening position, not as the year's activity.
    decided_from = first if since is None else since + dt.timedelta(days=1)
    savings = savings_by_club(session, [club.id], first, last)[club.id]
    before = {line.number: line for line in previous}

    def delta(line: PortfolioLine, attr: str) -> Money:
        old = before.get(line.number)
        now: Money = getattr(line, attr)
        return now - (getattr(old, attr) if old else ZERO)

    decided = tuple(Decision(p.number, p.investee_name, p.instrument, p.date, p.cost)
                    for p in lines if decided_from <= p.date <= last)
    jobs = jobs_by_club(session, [club.id], first, last)[club.id]
    view = view or ClubView(session, club, last)
    status = view.status
    alerts = (*status.alerts, *view.investment_alerts)
    behind = (sum(1 for a in savings_arrears(session, club, last) if a.behind.cents)
              if any(view.life.is_saving_month(year, month) for month in range(1, 13))
              else None)
    closed_on, distribution = final_distribution(session, club, year)
    return Activity(
        members_start=lifecycle_service.active_members(session, club, first),
        # Once the final distribution is made nobody is a member any more.
        members_end=0 if closed_on is not None else status.members_active,
        joined=_member_movements(session, club, Member.joined, first, last),
        left=_member_movements(session, club, Member.left_on, first, last),
        savings_collected=savings[0], savings_payments=savings[1],
        members_behind=behind,
        investments=decided, invested=_sum(d.amount for d in decided),
        repaid=_sum(delta(p, "repaid") for p in lines),
        income=_sum(delta(p, "income") for p in lines),
        written_off=_sum(delta(p, "written_off") for p in lines),
        jobs_created=jobs[0], jobs_kept=jobs[1], alerts=tuple(alerts),
        closed_on=closed_on, distribution=distribution, since=since)


# -- charts ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Series:
    labels: tuple[str, ...]  # "2021-04" (month) or a kind / sector key
    values: tuple[Money, ...]


def monthly_savings(session: Session, club: Club, last: dt.date) -> Series:
    """Savings paid per month from the club's first month to ``last``'s month."""
    rows = session.execute(
        select(CapitalMovement.date, func.sum(CapitalMovement.amount_cents))
        .where(CapitalMovement.club_id == club.id, CapitalMovement.kind == "saving",
               CapitalMovement.date <= last)
        .group_by(CapitalMovement.date)).all()
    per_month: dict[str, int] = defaultdict(int)
    for date, total in rows:
        per_month[f"{date:%Y-%m}"] += int(total)
    months = _months(_first_day(session, club), last)
    return Series(tuple(months), tuple(Money(per_month.get(m, 0)) for m in months))


def _first_day(session: Session, club: Club) -> dt.date:
    """Where a club's monthly charts start: its founding, or for a club that moved in with
    its position, D (the months before are in its former spreadsheet, not empty months)."""
    return opening_position_date(session, club.book_id) or club.founded


def _months(first: dt.date, last: dt.date) -> list[str]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def net_assets_by_month(session: Session, club: Club, last: dt.date) -> Series:
    """Book net assets (classes 2–5) at each month end, from the daily changes."""
    dates, cumulative = net_assets_by_day(session, club, last)
    at_month_end: dict[str, int] = {}
    for date, value in zip(dates, cumulative, strict=True):
        at_month_end[f"{date:%Y-%m}"] = value  # dates ascend: the month's last one wins
    running, values = 0, []
    months = _months(_first_day(session, club), last)
    for m in months:
        running = at_month_end.get(m, running)
        values.append(Money(running))
    return Series(tuple(months), tuple(values))


def split(lines: list[PortfolioLine], attr: str) -> Series:
    """Outstanding cost of the portfolio by kind or by sector (largest first)."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.outstanding.cents > 0:
            totals[getattr(line, attr) or "—"] += line.outstanding.cents
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return Series(tuple(k for k, _ in ordered), tuple(Money(v) for _, v in ordered))


# -- resolutions -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Resolution:
    key: str  # approve_accounts, discharge, allocate_result, elect_officers, prorogation
    params: dict[str, str]


def resolutions(identity: ClubIdentity, year: int, result: Money) -> tuple[Resolution, ...]:
    found = [
        Resolution("approve_accounts", {"year": str(year), "result": result.plain()}),
        Resolution("discharge", {"year": str(year)}),
        Resolution("allocate_result", {"year": str(year), "result": result.plain(),
                                       "allocation": identity.result_allocation}),
        Resolution("elect_officers", {}),
    ]
    # At the AGM after the fifth year the members decide between prorogation and dissolution
    # (domain.md §6): due when the first phase ends before the next year's AGM.
    if (identity.prorogation is None and identity.liquidation is None
            and identity.phase == Phase.INVESTMENT.value
            and identity.phase1_end <= dt.date(year + 1, 12, 31)):
        found.append(Resolution("prorogation", {"end": identity.phase1_end.isoformat()}))
    return tuple(found)


# -- the AGM pack ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AgmPack:
    club: ClubIdentity
    year: int
    generated: dt.date
    activity: Activity
    balance_sheet: BalanceSheet
    income_statement: IncomeStatement
    cash: CashReconciliation
    net_assets: Money
    members: tuple[MemberLine, ...]
    portfolio: tuple[PortfolioLine, ...]
    loans: LoanBook
    savings_by_month: Series
    net_assets_by_month: Series
    portfolio_by_kind: Series
    portfolio_by_sector: Series
    resolutions: tuple[Resolution, ...]
    chain: tuple[int, str]  # (entries in the hash chain, head hash) when generated
    year_closed: bool
    # The year the club moved in from its spreadsheet: the position it brought at D, the
    # one line that stands for the year's figures before D (docs/switchover.md).
    opening: OpeningPosition | None = None

    # How "paid to date" in the share table meets the members' capital (1011) on the balance
    # sheet: savings paid since joining, less capital repaid to members who left (or paid
    # out beyond their savings), is the members' net contributions.
    @property
    def capital_paid(self) -> Money:
        return _sum(m.paid_to_date for m in self.members)

    @property
    def capital_contributed(self) -> Money:
        return _sum(m.contributed for m in self.members)

    @property
    def capital_repaid(self) -> Money:
        return self.capital_paid - self.capital_contributed


def _year_closed(session: Session, club: Club, year: int) -> bool:
    return bool(session.execute(select(FiscalYear.closed).where(
        FiscalYear.book_id == club.book_id, FiscalYear.year == year)).scalar_one_or_none())


def build_agm_pack(session: Session, club: Club, year: int, *, generated: dt.date) -> AgmPack:
    last = dt.date(year, 12, 31)
    view = ClubView(session, club, last)  # read by every section: computed once
    identity = club_identity(session, club, last, life=view.life)
    lines = view.portfolio
    opening = opening_position(session, club, year)
    previous = portfolio(session, club, opening.date if opening is not None
                         else dt.date(year - 1, 12, 31))
    income = income_statement(session, club, year, opening)
    assets, members = member_lines(session, club, year)
    return AgmPack(
        club=identity, year=year, generated=generated,
        activity=activity(session, club, year, lines, previous, view=view,
                          since=opening.date if opening is not None else None),
        balance_sheet=balance_sheet(session, club, year, opening),
        income_statement=income,
        cash=cash_reconciliation(session, club, year, opening),
        net_assets=assets,
        members=members,
        portfolio=tuple(lines),
        loans=loan_book(session, club, last, views=view.loans),
        savings_by_month=monthly_savings(session, club, last),
        net_assets_by_month=net_assets_by_month(session, club, last),
        portfolio_by_kind=split(lines, "instrument"),
        portfolio_by_sector=split(lines, "sector"),
        resolutions=resolutions(identity, year, income.result[0]),
        chain=chain_head(session, club.book_id),
        year_closed=_year_closed(session, club, year),
        opening=opening,
    )


# -- member statements -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InvestmentPart:
    """The member's part of one investment, by the key frozen on its date."""

    number: int
    investee: str
    kind: str
    date: dt.date
    status: str
    club_amount: Money
    key: Fraction
    amount: Money  # member's part of the payment
    income: Money  # member's part of dividends or interest received to date
    gain: Money  # member's part of realised gains (+) or losses (−) to date


@dataclass(frozen=True, slots=True)
class MemberStatement:
    club: ClubIdentity
    year: int
    generated: dt.date
    code: str
    name: str
    joined: dt.date
    left: dt.date | None
    reference: str  # bank transfer reference, e.g. CIG-M01
    payments: tuple[Money, ...]  # savings paid in each month of the year (12 values)
    paid_in_year: Money
    paid_to_date: Money
    contributed: Money
    share: Fraction
    value: Money
    net_assets: Money
    investments: tuple[InvestmentPart, ...]
    income: tuple[IncomeLine, ...]  # member's share of the year's income (taxable yearly)
    tax: TaxSheet
    chain: tuple[int, str]
    # How a departed member's share was settled: payout, deferred or transfer (else None),
    # the amount settled (value owed or paid; book capital handed over for a transfer) and
    # the member who took the share over.
    settlement: str | None = None
    settled: Money | None = None
    transferred_to: str | None = None
    # The year the club moved in (D): what the member had paid in up to D, brought from the
    # former spreadsheet; their payments of the year before D are not itemised.
    opened_on: dt.date | None = None
    brought_in: Money = ZERO

    @property
    def income_total(self) -> Money:
        return _sum(line.member_amount for line in self.income)


def _payments_by_month(session: Session, club: Club, year: int) -> dict[str, list[Money]]:
    rows = session.execute(
        select(Member.code, CapitalMovement.date, CapitalMovement.amount_cents)
        .join(CapitalMovement, CapitalMovement.member_id == Member.id)
        .where(Member.club_id == club.id, CapitalMovement.kind == "saving",
               CapitalMovement.date >= dt.date(year, 1, 1),
               CapitalMovement.date <= dt.date(year, 12, 31))).all()
    out: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for code, date, cents in rows:
        out[code][date.month - 1] += int(cents)
    return {code: [Money(c) for c in months] for code, months in out.items()}


def build_member_statements(session: Session, club: Club, year: int, *, generated: dt.date,
                            member: str | None = None) -> list[MemberStatement]:
    """One statement per member who had joined by 31/12 (or just ``member``)."""
    last = dt.date(year, 12, 31)
    view = ClubView(session, club, last)
    identity = club_identity(session, club, last, life=view.life)
    assets, lines = member_lines(session, club, year)
    selected = [m for m in lines if member is None or m.code == member]
    if member is not None and not selected:
        from cigales.services.members import get_member

        get_member(session, club, member)  # raises the unknown-member error with the codes
        selected = []  # joined after the year: nothing to state
    sheets = {s.member: s for s in tax_sheets(session, club, year, member)}
    by_month = _payments_by_month(session, club, year)
    parts: dict[str, list[InvestmentPart]] = defaultdict(list)
    for p in view.portfolio:
        for k in p.keys:
            parts[k.member].append(InvestmentPart(
                p.number, p.investee_name, p.kind, p.date, p.status, p.cost, k.share, k.amount,
                k.income, k.gain))
    chain = chain_head(session, club.book_id)
    settled = settlements(session, club)
    opened = opening_position_date(session, club.book_id)
    if opened is not None and opened.year != year:
        opened = None
    brought = _brought_in(session, club) if opened is not None else {}
    return [
        MemberStatement(
            club=identity, year=year, generated=generated, code=m.code, name=m.name,
            joined=m.joined, left=m.left, reference=MEMBER_REFERENCE.format(code=m.code),
            payments=tuple(by_month.get(m.code, [ZERO] * 12)), paid_in_year=m.paid_in_year,
            paid_to_date=m.paid_to_date, contributed=m.contributed, share=m.share,
            value=m.value, net_assets=assets, investments=tuple(parts.get(m.code, ())),
            income=sheets[m.code].income, tax=sheets[m.code], chain=chain,
            settlement=settled[m.code].how if m.code in settled else None,
            settled=settled[m.code].amount if m.code in settled else None,
            transferred_to=settled[m.code].to if m.code in settled else None,
            opened_on=opened, brought_in=brought.get(m.code, ZERO))
        for m in selected
    ]


def _brought_in(session: Session, club: Club) -> dict[str, Money]:
    """Each member's paid-in total brought in by the switchover (capital movements of kind
    ``opening``, docs/switchover.md)."""
    rows = session.execute(
        select(Member.code, func.sum(CapitalMovement.amount_cents))
        .join(CapitalMovement, CapitalMovement.member_id == Member.id)
        .where(Member.club_id == club.id, CapitalMovement.kind == "opening")
        .group_by(Member.code)).all()
    return {code: Money(int(total)) for code, total in rows}


@dataclass(frozen=True, slots=True)
class Settlement:
    how: str  # payout, deferred, transfer
    amount: Money
    to: str | None


def settlements(session: Session, club: Club) -> dict[str, Settlement]:
    """How each departed member's share was settled, read from the departure's entries."""
    receiver = aliased(Member)
    found: dict[str, Settlement] = {}
    for member, to in session.execute(
            select(Member, receiver.code).outerjoin(receiver, receiver.id == Member.transfer_to_id)
            .where(Member.club_id == club.id, Member.left_on.is_not(None))):
        accounts = ([f"1011-{member.code}", f"1018-{member.code}"]
                    if member.settlement == "transfer" else [f"4567-{member.code}"])
        # Credits to the member's debt account on the day (the value owed), or debits of
        # their capital accounts (the book capital handed over to the transferee).
        sign = 1 if member.settlement == "transfer" else -1
        total = session.execute(
            select(func.coalesce(func.sum(Posting.amount_cents), 0))
            .join(Entry, Entry.id == Posting.entry_id)
            .join(Account, Account.id == Posting.account_id)
            .where(Entry.book_id == club.book_id, Entry.date == member.left_on,
                   Account.code.in_(accounts), Posting.amount_cents * sign > 0)).scalar_one()
        found[member.code] = Settlement(member.settlement or "payout", Money(abs(int(total))),
                                        to)
    return found


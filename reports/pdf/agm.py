"""The AGM pack: one PDF with everything the treasurer presents to the general meeting.

Renders an ``AgmPack`` (reports/data.py) and nothing else: no query here, so what the PDF
prints is exactly what the data tests check. Text follows the current language
(``cigales.i18n.using`` switches it for one rendering).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction

from reportlab.platypus import Flowable

from cigales.i18n import _
from ledger.money import Money
from reports import fmt
from reports.data import AgmPack, BalanceSheet, Series, StatementSection
from reports.labels import (
    BUCKETS,
    CASH_FLOWS,
    COMPUTED,
    KINDS,
    SECTIONS,
    SHARE_METHODS,
    STATUSES,
    club_phase,
    label,
    phase_name,
)
from reports.pdf import charts
from reports.pdf.base import (
    Col,
    PageInfo,
    build_pdf,
    data_table,
    heading,
    key_value_table,
    page_break,
    paragraph,
    signature_blocks,
    spacer,
    table_of_contents,
)

INDENT = "\u00a0" * 4  # Paragraphs collapse ordinary spaces; no-break spaces keep the indent
PIE_SLICES = 8  # beyond this, the smallest slices are grouped so the legend stays readable


def period(year: int, founded: dt.date) -> tuple[dt.date, dt.date]:
    """The fiscal year: calendar year, the first one starting when the club was founded."""
    return max(dt.date(year, 1, 1), founded), dt.date(year, 12, 31)


def page_info(title: str, club: str, year: int, founded: dt.date, generated: dt.date) -> PageInfo:
    start, end = period(year, founded)
    return PageInfo(
        title=title, club=club,
        period=_("Year {year}: {start} – {end}").format(year=year, start=fmt.date(start),
                                                      end=fmt.date(end)),
        generated=_("Generated on {date}").format(date=fmt.date(generated)))


# -- sections ------------------------------------------------------------------------------------

def _cover(pack: AgmPack) -> list[Flowable]:
    c = pack.club
    place = ", ".join(x for x in (c.region, c.department) if x)
    pairs = [
        (_("Club"), c.name),
        (_("Region"), place or "—"),
        (_("Founded (convention signed)"), fmt.date(c.founded)),
        (_("Phase on 31 December"), phase_name(club_phase(c, dt.date(pack.year, 12, 31)))),
        (_("End of the first five-year phase"), fmt.date(c.phase1_end)),
        (_("Prorogation decided"), fmt.date(c.prorogation)),
        (_("Latest end of the club's life"), fmt.date(c.life_end)),
        (_("Share method"), label(SHARE_METHODS, c.share_method)),
        (_("Members on 31 December"), str(pack.activity.members_end)),
        (_("Net assets on 31 December"), fmt.money(pack.net_assets)),
        (_("Status of the year"), _("closed") if pack.year_closed else
         _("open (provisional figures)")),
        *([(_("Books kept in cigales since"), _("{date} (opening balances from the former "
                                                 "spreadsheet)").format(
            date=fmt.date(pack.opening.date)))] if pack.opening is not None else []),
        (_("Generated on"), fmt.long_date(pack.generated)),
    ]
    return [
        spacer(20),
        paragraph(_("General meeting"), "title"),
        paragraph(_("Accounts of the year {year}").format(year=pack.year), "subtitle"),
        paragraph(c.name, "subtitle"),
        spacer(8),
        key_value_table(pairs),
        spacer(10),
        paragraph(_("Contents"), "heading1"),  # not a heading: it would list itself
        table_of_contents(),
        page_break(),
    ]


def _opening(pack: AgmPack) -> list[Flowable]:
    """The year the club moved in: one line stands for everything before D."""
    o = pack.opening
    if o is None:
        return []
    rows = [[INDENT + _("Cash at bank"), fmt.amount(o.cash)],
            [INDENT + _("Investments (net of repayments and impairments)"),
             fmt.amount(o.investments)]]
    if o.other.cents:
        rows.append([INDENT + _("Other balances"), fmt.amount(o.other)])
    if o.owed_to_leavers.cents:
        rows.append([INDENT + _("Owed to members who left"), fmt.amount(-o.owed_to_leavers)])
    rows += [[INDENT + _("Members' paid-in capital"), fmt.amount(o.capital)],
             [INDENT + _("Retained results (the year's result up to that day included)"),
              fmt.amount(o.retained)]]
    return [
        heading(_("Opening balances at switchover {date}").format(date=fmt.date(o.date)), 1),
        paragraph(_("The club moved into cigales on {date} with the position of its former "
                    "spreadsheet. The figures of the year up to that day are not in these "
                    "books: they are in the former spreadsheet, and this position stands for "
                    "them. Savings, investments, repayments, income and expenses below are "
                    "those after {date}.").format(date=fmt.date(o.date))),
        data_table([Col(_("Position brought in")), Col(_("Amount"), 36, "right")], rows,
                   total=[_("Net assets at switchover"), fmt.amount(o.net_assets)]),
    ]


def _activity(pack: AgmPack) -> list[Flowable]:
    a = pack.activity
    story: list[Flowable] = [heading(_("1. Activity of the year")), *_opening(pack)]
    if pack.opening is not None:
        story.append(heading(_("After the switchover"), 1))
    pairs = [
        (_("Members on 1 January → 31 December"), f"{a.members_start} → {a.members_end}"),
        (_("Members who joined"), ", ".join(f"{m.name} ({m.code}, {fmt.date(m.date)})"
                                           for m in a.joined) or "—"),
        (_("Members who left"), ", ".join(f"{m.name} ({m.code}, {fmt.date(m.date)})"
                                         for m in a.left) or "—"),
        (_("Savings collected"), _("{amount} in {count} payments").format(
            amount=fmt.money(a.savings_collected), count=a.savings_payments)),
        (_("Members behind their monthly plan"),
         str(a.members_behind) if a.members_behind is not None
         else _("— (no savings in this phase)")),
        (_("Investments decided"), _("{count}, for {amount}").format(
            count=len(a.investments), amount=fmt.money(a.invested))),
        (_("Capital repaid to the club"), fmt.money(a.repaid)),
        (_("Dividends and interest received"), fmt.money(a.income)),
        (_("Written off"), fmt.money(a.written_off)),
        (_("Jobs created / kept at investees"), f"{a.jobs_created} / {a.jobs_kept}"),
    ]
    story.append(key_value_table(pairs))
    if a.closed_on is not None:
        story += [heading(_("Liquidation: the members' exit"), 1), paragraph(
            _("The club was liquidated on {date}: {amount} was paid out to the members in the "
              "final distribution, and the club was closed.").format(
                date=fmt.date(a.closed_on), amount=fmt.money(a.distributed)))]
        if a.distribution:
            story.append(data_table(
                [Col(_("Code"), 16), Col(_("Member")), Col(_("Paid"), 32, "right")],
                [[p.code, p.name, fmt.amount(p.amount)] for p in a.distribution],
                total=["", _("Total"), fmt.amount(a.distributed)]))
    if a.investments:
        story += [heading(_("Investments of the year"), 1), data_table(
            [Col(_("No."), 12, "right"), Col(_("Investee")), Col(_("Instrument"), 42),
             Col(_("Date"), 24, "center"), Col(_("Amount"), 28, "right")],
            [[str(d.number), d.investee, label(KINDS, d.kind), fmt.date(d.date),
              fmt.amount(d.amount)] for d in a.investments],
            total=["", _("Total"), "", "", fmt.amount(a.invested)])]
    story.append(heading(_("Alerts"), 1))
    if a.alerts:
        story += [paragraph("• " + fmt.notice(alert, _)) for alert in a.alerts]
    else:
        story.append(paragraph(_("No alert on 31 December.")))
    return story


def _statement_rows(sections: Sequence[StatementSection]) -> list[list[str]]:
    rows = []
    for section in sections:
        rows.append([label(SECTIONS, section.key).upper(), fmt.amount(section.current),
                     fmt.amount(section.previous)])
        for line in section.lines:
            name = label(COMPUTED, line.code) if line.code in COMPUTED else \
                f"{line.code} {line.label}"
            rows.append([INDENT + name, fmt.amount(line.current), fmt.amount(line.previous)])
    return rows


def _balance_sheet(bs: BalanceSheet, year: int, closed_on: dt.date | None) -> list[Flowable]:
    # The year the club moved in, the previous column is its opening position at D.
    before = (_("Opening {date}").format(date=fmt.date(bs.previous_date))
              if bs.previous_date is not None else str(year - 1))
    cols = [Col(""), Col(str(year), 32, "right"), Col(before, 32, "right")]
    assets, previous_assets = bs.total_assets
    liabilities, previous_liabilities = bs.total_liabilities
    cols_assets = [Col(_("Assets")), *cols[1:]]
    cols_liabilities = [Col(_("Equity and liabilities")), *cols[1:]]
    return [
        heading(_("Balance sheet on 31 December (before allocation of the result)")
                if closed_on is None else
                _("Balance sheet on {date}, before the final distribution").format(
                    date=fmt.date(closed_on)), 1),
        data_table(cols_assets, _statement_rows(bs.assets),
                   total=[_("Total assets"), fmt.amount(assets), fmt.amount(previous_assets)],
                   zebra=False),
        spacer(4),
        data_table(cols_liabilities, _statement_rows(bs.liabilities),
                   total=[_("Total equity and liabilities"), fmt.amount(liabilities),
                          fmt.amount(previous_liabilities)], zebra=False),
    ]


def _financial(pack: AgmPack) -> list[Flowable]:
    inc = pack.income_statement
    result, previous = inc.result
    cols = [Col(""), Col(str(pack.year), 32, "right"), Col(str(pack.year - 1), 32, "right")]
    story: list[Flowable] = [page_break(), heading(_("2. Financial report"))]
    story += _balance_sheet(pack.balance_sheet, pack.year, pack.activity.closed_on)
    story += [
        heading(_("Income statement"), 1),
        *([paragraph(_("Income and expenses from {date}, when the club moved into cigales; "
                       "the result of the year up to that day is in the retained results of "
                       "the opening balances ({retained}).").format(
            date=fmt.date(inc.since),
            retained=fmt.money(pack.opening.retained if pack.opening else Money(0))),
            "small")] if inc.since is not None else []),
        data_table([Col(_("Expenses and income")), *cols[1:]],
                   _statement_rows((inc.charges, inc.products)),
                   total=[_("Result (profit + / loss −)"), fmt.amount(result),
                          fmt.amount(previous)],
                   zebra=False),
        heading(_("Cash reconciliation"), 1),
    ]
    cash = pack.cash
    start = (_("Opening balances at switchover {date}").format(date=fmt.date(cash.start_date))
             if cash.start_date is not None else _("Cash at bank on 1 January"))
    rows = [[start, fmt.amount(cash.start)]]
    rows += [[INDENT + label(CASH_FLOWS, kind), fmt.amount(value)] for kind, value in cash.flows
             if value.cents]
    story.append(data_table([Col(_("Bank accounts (512)")), Col(_("Amount"), 36, "right")],
                            rows, total=[_("Cash at bank on 31 December"), fmt.amount(cash.end)]))
    story.append(paragraph(
        _("The movements explain the change in cash exactly.") if cash.explained else
        _("The movements do not explain the change in cash: check the books."), "small"))
    return story


def _members(pack: AgmPack) -> list[Flowable]:
    rows = []
    for m in pack.members:
        note = " " + _("(left {date})").format(date=fmt.date(m.left)) if m.left else ""
        rows.append([m.code, m.name + note, fmt.amount(m.paid_in_year), fmt.amount(m.paid_to_date),
                     fmt.share(m.share), fmt.amount(m.value)])
    total = ["", _("Total"), fmt.amount(Money(sum(m.paid_in_year.cents for m in pack.members))),
             fmt.amount(Money(sum(m.paid_to_date.cents for m in pack.members))),
             fmt.share(sum((m.share for m in pack.members), Fraction(0))),
             fmt.amount(Money(sum(m.value.cents for m in pack.members)))]
    return [
        page_break(),
        heading(_("3. Members' shares on 31 December")),
        paragraph(_("The share table of the convention: each member's share of the club's net "
                    "assets ({assets}), {method}.").format(
            assets=fmt.money(pack.net_assets),
            method=label(SHARE_METHODS, pack.club.share_method))),
        data_table([Col(_("Code"), 16), Col(_("Member")), Col(_("Paid in the year"), 26, "right"),
                    Col(_("Paid to date"), 26, "right"), Col(_("Share"), 20, "right"),
                    Col(_("Value"), 26, "right")], rows, total=total),
        paragraph(_("“Paid to date” is what each member saved since joining. Total paid "
                    "{paid} − capital repaid to members {repaid} = the members' contributions "
                    "{contributed}, the capital (1011) of the balance sheet.").format(
            paid=fmt.money(pack.capital_paid), repaid=fmt.money(pack.capital_repaid),
            contributed=fmt.money(pack.capital_contributed)), "small"),
        *([paragraph(_("“Paid in the year” counts the savings after {date}, when the club "
                       "moved into cigales; “paid to date” includes the paid-in totals brought "
                       "in from the former spreadsheet ({capital}).").format(
            date=fmt.date(pack.opening.date), capital=fmt.money(pack.opening.capital)),
            "small")] if pack.opening is not None else []),
    ]


def _portfolio(pack: AgmPack) -> list[Flowable]:
    lines = pack.portfolio
    rows = [[str(p.number), p.investee_name, label(KINDS, p.instrument), fmt.date(p.date),
             fmt.amount(p.cost), fmt.amount(p.repaid), fmt.amount(p.outstanding),
             fmt.amount(p.impairment), label(STATUSES, p.status)] for p in lines]

    def total(attr: str) -> str:
        return fmt.amount(Money(sum(getattr(p, attr).cents for p in lines)))

    story: list[Flowable] = [
        page_break(),
        heading(_("4. Portfolio and loans")),
        heading(_("Investments on 31 December"), 1),
        data_table([Col(_("No."), 9, "right"), Col(_("Investee")), Col(_("Instrument"), 30),
                    Col(_("Date"), 19, "center"), Col(_("Cost"), 19, "right"),
                    Col(_("Repaid"), 19, "right"), Col(_("Outstanding"), 20, "right"),
                    Col(_("Impairment"), 19, "right"), Col(_("Status"), 17)],
                   rows, total=["", _("Total"), "", "", total("cost"), total("repaid"),
                                total("outstanding"), total("impairment"), ""])
        if rows else paragraph(_("The club has made no investment yet.")),
    ]
    book = pack.loans
    story.append(heading(_("Loans and arrears"), 1))
    if not book.lines:
        story.append(paragraph(_("The club has granted no loan.")))
        return story
    story.append(data_table(
        [Col(_("No."), 9, "right"), Col(_("Borrower")), Col(_("Granted"), 19, "center"),
         Col(_("Principal"), 21, "right"), Col(_("Repaid"), 21, "right"),
         Col(_("Outstanding"), 21, "right"), Col(_("Overdue"), 19, "right"),
         Col(_("Days late"), 15, "right"), Col(_("Arrears"), 22)],
        [[str(x.number), x.investee + (f" ({_('written off')})" if x.written_off else ""),
          fmt.date(x.date), fmt.amount(x.principal), fmt.amount(x.repaid),
          fmt.amount(x.outstanding), fmt.amount(x.overdue), str(x.days_past_due),
          label(BUCKETS, x.bucket)]
         for x in book.lines],
        total=["", _("Total"), "", fmt.amount(Money(sum(x.principal.cents for x in book.lines))),
               fmt.amount(Money(sum(x.repaid.cents for x in book.lines))),
               fmt.amount(book.outstanding),
               fmt.amount(Money(sum(x.overdue.cents for x in book.lines))), "", ""]))
    story.append(spacer(3))
    story.append(data_table(
        [Col(_("Unpaid instalments by age")), Col(_("Amount"), 36, "right")],
        [[label(BUCKETS, name), fmt.amount(value)] for name, value in book.buckets]))
    story.append(paragraph(_("PAR30 (outstanding principal of loans more than 30 days late ÷ "
                             "outstanding principal): {par}.").format(par=fmt.share(book.par30))))
    return story


def _group_small(series: Series, names: dict[str, str] | None) -> tuple[list[str], list[int]]:
    pairs = [(label(names, k) if names else k, v.cents)
             for k, v in zip(series.labels, series.values, strict=True)]
    if len(pairs) > PIE_SLICES:
        rest = sum(v for _, v in pairs[PIE_SLICES - 1:])
        pairs = [*pairs[:PIE_SLICES - 1], (_("Other"), rest)]
    return [k for k, _ in pairs], [v for _, v in pairs]


def _charts(pack: AgmPack) -> list[Flowable]:
    def value(cents: int) -> str:
        return fmt.money(Money(cents))

    kinds = _group_small(pack.portfolio_by_kind, KINDS)
    sectors = _group_small(pack.portfolio_by_sector, None)
    return [
        page_break(),
        heading(_("5. The club in charts")),
        charts.bar_chart(list(pack.savings_by_month.labels),
                         [v.cents for v in pack.savings_by_month.values],
                         title=_("Savings paid in per month"), value_format=value),
        charts.line_chart(list(pack.net_assets_by_month.labels),
                          [v.cents for v in pack.net_assets_by_month.values],
                          title=_("Net assets at the end of each month (book value)"),
                          value_format=value),
        charts.pie_chart(*kinds, title=_("Portfolio by instrument (outstanding cost)"),
                         value_format=value),
        charts.pie_chart(*sectors, title=_("Portfolio by sector (outstanding cost)"),
                         value_format=value),
    ]


def resolution_text(key: str, params: dict[str, str]) -> str:
    amount = fmt.money(Money.parse(params["result"])) if "result" in params else ""
    if key == "approve_accounts":
        return _("The general meeting, having heard the treasurer's report, approves the "
                 "accounts of the year {year} as presented, showing a result of "
                 "{result}.").format(year=params["year"], result=amount)
    if key == "discharge":
        return _("The general meeting gives the manager (gérant) and the treasurer full "
                 "discharge for their management during the year {year}.").format(
            year=params["year"])
    if key == "allocate_result":
        if params["allocation"] == "members":
            return _("The general meeting allocates the result of the year {year}, {result}, "
                     "to the members in proportion to their shares.").format(
                year=params["year"], result=amount)
        return _("The general meeting carries the result of the year {year}, {result}, "
                 "forward to retained earnings (report à nouveau).").format(
            year=params["year"], result=amount)
    if key == "elect_officers":
        return _("The general meeting elects the manager (gérant), the treasurer and the "
                 "secretary for one year.")
    if key == "prorogation":
        return _("The first five-year phase ends on {end}. The general meeting decides either "
                 "to extend the club for a second five-year phase (prorogation) or to "
                 "dissolve it and liquidate its holdings.").format(
            end=fmt.date(dt.date.fromisoformat(params["end"])))
    raise AssertionError(f"unknown resolution {key}")


def _approval(pack: AgmPack) -> list[Flowable]:
    story: list[Flowable] = [page_break(), heading(_("6. Resolutions submitted to the vote"))]
    votes = []
    for number, resolution in enumerate(pack.resolutions, start=1):
        story.append(paragraph(_("Resolution {number}").format(number=number), "heading2"))
        story.append(paragraph(resolution_text(resolution.key, resolution.params)))
        votes.append([str(number), "", "", ""])
    story += [
        spacer(4),
        data_table([Col(_("Resolution"), 30, "center"), Col(_("For"), None, "center"),
                    Col(_("Against"), None, "center"), Col(_("Abstentions"), None, "center")],
                   votes, zebra=False),
        spacer(6),
        paragraph(_("Done at ______________________, on ____ / ____ / ________.")),
        spacer(4),
        signature_blocks([_("The manager (gérant)"), _("The treasurer"),
                          _("The secretary of the meeting")]),
    ]
    return story


def render_agm(pack: AgmPack) -> bytes:
    """The AGM pack as PDF bytes; the same pack and language always give the same bytes."""
    story = [*_cover(pack), *_activity(pack), *_financial(pack), *_members(pack),
             *_portfolio(pack), *_charts(pack), *_approval(pack)]
    title = _("General meeting {year}").format(year=pack.year)
    info = page_info(title, pack.club.name, pack.year, pack.club.founded, pack.generated)
    return build_pdf(story, info, toc=True)

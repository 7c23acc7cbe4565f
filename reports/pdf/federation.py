"""The federation's yearly report as PDF, in the AGM pack's style (same base and charts)."""

from __future__ import annotations

from reportlab.platypus import Flowable

from cigales.i18n import _
from ledger.money import Money
from reports import fmt
from reports.federation import FederationReport, Figures
from reports.labels import KINDS, label, phase
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
    spacer,
    table_of_contents,
)


def _change(now: Money, before: Money) -> str:
    delta = now - before
    sign = "+" if delta.cents > 0 else ""
    return sign + fmt.amount(delta)


def _count_change(now: int, before: int) -> str:
    return f"{now - before:+d}"


def _summary(f: Figures, p: Figures, year: int) -> Flowable:
    money_rows = (
        (_("Savings collected"), f.savings_collected, p.savings_collected),
        (_("Cash waiting on club accounts on 31 December"), f.cash_year_end, p.cash_year_end),
        (_("Net assets of the clubs"), f.net_assets, p.net_assets),
        (_("Invested in the year"), f.invested, p.invested),
        (_("Average ticket per project"), f.average_ticket, p.average_ticket),
        (_("Repaid to the clubs"), f.repaid, p.repaid),
        (_("Written off"), f.written_off, p.written_off),
        (_("Loans outstanding on 31 December"), f.loans_outstanding, p.loans_outstanding),
    )
    count_rows = (
        (_("Clubs"), f.clubs, p.clubs),
        (_("New clubs"), f.new_clubs, p.new_clubs),
        (_("Active members on 31 December"), f.members_active, p.members_active),
        (_("Projects financed"), f.projects, p.projects),
        (_("Jobs created"), f.jobs_created, p.jobs_created),
        (_("Jobs kept"), f.jobs_kept, p.jobs_kept),
    )
    rows = [[name, str(a), str(b), _count_change(a, b)] for name, a, b in count_rows]
    rows += [[name, fmt.amount(a), fmt.amount(b), _change(a, b)] for name, a, b in money_rows]
    rows.append([_("PAR30 (weighted by outstanding)"), fmt.share(f.par30_share),
                 fmt.share(p.par30_share), ""])
    return data_table([Col(""), Col(str(year), 30, "right"), Col(str(year - 1), 30, "right"),
                       Col(_("Change"), 28, "right")], rows)


def render_federation(report: FederationReport) -> bytes:
    total, previous = report.totals.current, report.totals.previous
    scope = report.region or _("All regions")
    story: list[Flowable] = [
        spacer(15),
        paragraph(_("CIGALES clubs in {year}").format(year=report.year), "title"),
        paragraph(scope, "subtitle"),
        spacer(6),
        key_value_table([
            (_("Clubs"), str(total.clubs)),
            (_("From their books in this database"), str(report.hosted)),
            (_("From the returns received"), str(report.from_returns)),
            (_("Generated on"), fmt.long_date(report.generated)),
        ]),
        spacer(8),
        paragraph(_("Contents"), "heading1"),
        table_of_contents(),
        page_break(),
        heading(_("1. Key figures, with the previous year")),
        _summary(total, previous, report.year),
        heading(_("Clubs by phase"), 1),
        data_table([Col(_("Phase")), Col(_("Clubs"), 30, "right")],
                   [[phase(k), str(v)] for k, v in total.clubs_by_phase.items()]),
        heading(_("2. By region")),
        data_table(
            [Col(_("Region")), Col(_("Clubs"), 14, "right"), Col(_("Members"), 18, "right"),
             Col(_("Savings"), 24, "right"), Col(_("Cash 31/12"), 24, "right"),
             Col(_("Invested"), 24, "right"), Col(_("Loans outstanding"), 24, "right"),
             Col(_("PAR30"), 16, "right")],
            [[g.name, str(g.current.clubs), str(g.current.members_active),
              fmt.amount(g.current.savings_collected), fmt.amount(g.current.cash_year_end),
              fmt.amount(g.current.invested), fmt.amount(g.current.loans_outstanding),
              fmt.share(g.current.par30_share)] for g in report.regions],
            total=[_("Total"), str(total.clubs), str(total.members_active),
                   fmt.amount(total.savings_collected), fmt.amount(total.cash_year_end),
                   fmt.amount(total.invested), fmt.amount(total.loans_outstanding),
                   fmt.share(total.par30_share)]),
        heading(_("3. Investments of the year")),
        data_table([Col(_("Instrument")), Col(_("Amount"), 36, "right")],
                   [[label(KINDS, k), fmt.amount(v)] for k, v in total.invested_by_kind.items()],
                   total=[_("Total"), fmt.amount(total.invested)]),
        spacer(3),
        data_table([Col(_("Legal form")), Col(_("Amount"), 36, "right")],
                   [[k, fmt.amount(v)] for k, v in total.invested_by_legal_form.items()],
                   total=[_("Total"), fmt.amount(total.invested)]),
        page_break(),
        heading(_("4. Charts")),
    ]

    def value(cents: int) -> str:
        return fmt.money(Money(cents))

    story += [
        charts.bar_chart([g.name for g in report.regions],
                         [g.current.invested.cents for g in report.regions],
                         title=_("Invested in the year by region"), value_format=value),
        charts.pie_chart([label(KINDS, k) for k in total.invested_by_kind],
                         [v.cents for v in total.invested_by_kind.values()],
                         title=_("Invested in the year by instrument"), value_format=value),
        charts.bar_chart([g.name for g in report.regions],
                         [g.current.savings_collected.cents for g in report.regions],
                         title=_("Savings collected by region"), value_format=value),
    ]
    info = PageInfo(title=_("Federation report {year}").format(year=report.year),
                    club=scope, period=_("Year {year}").format(year=report.year),
                    generated=_("Generated on {date}").format(date=fmt.date(report.generated)))
    return build_pdf(story, info, toc=True)

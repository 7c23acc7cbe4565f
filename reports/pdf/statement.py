"""A member's yearly statement: savings, share, value, investments, income and tax papers.

Renders a ``MemberStatement`` (reports/data.py). The last section prints the club's hash-chain
head, explained in plain words: a member who keeps the statement can later have the treasurer
or an auditor show that operation number N still has this code, i.e. that the books were not
rewritten since.
"""

from __future__ import annotations

from babel.dates import get_month_names
from reportlab.platypus import Flowable

from cigales.i18n import _, babel_locale
from ledger.money import Money
from reports import fmt
from reports.data import MemberStatement
from reports.labels import INCOME_KINDS, KINDS, STATUSES, label
from reports.pdf.agm import page_info
from reports.pdf.base import (
    Col,
    build_pdf,
    data_table,
    heading,
    key_value_table,
    paragraph,
    spacer,
)


def _identity(st: MemberStatement) -> list[Flowable]:
    pairs = [
        (_("Member"), f"{st.name} ({st.code})"),
        (_("Joined"), fmt.date(st.joined)),
        (_("Left"), fmt.date(st.left)),
        (_("Reference for your transfers"), st.reference),
        (_("Paid in {year}").format(year=st.year), fmt.money(st.paid_in_year)),
        (_("Paid since joining"), fmt.money(st.paid_to_date)),
        (_("Net contributions (savings − capital repaid)"), fmt.money(st.contributed)),
        (_("Your share on 31 December"), fmt.share(st.share, digits=4)),
        (_("Value of your share on 31 December"), fmt.money(st.value)),
        (_("Club's net assets on 31 December"), fmt.money(st.net_assets)),
    ]
    story: list[Flowable] = [
        paragraph(_("Member statement {year}").format(year=st.year), "title"),
        paragraph(st.club.name, "subtitle"),
        spacer(4),
        key_value_table(pairs),
    ]
    if st.left is not None:
        story += [spacer(4), paragraph(departure_text(st))]
    if st.opened_on is not None:
        story += [spacer(4), paragraph(opening_text(st))]
    return story


def opening_text(st: MemberStatement) -> str:
    """The year the club moved into cigales: where the figures before D come from."""
    assert st.opened_on is not None
    return _("Opening balances at switchover {date}: the club moved into cigales on that day "
             "with the position of its former spreadsheet. You had paid in {amount} up to "
             "then; your payments before that day are in the former spreadsheet, not listed "
             "below.").format(date=fmt.date(st.opened_on), amount=fmt.money(st.brought_in))


def departure_text(st: MemberStatement) -> str:
    """When and how a departed member's share was settled, in a sentence."""
    assert st.left is not None
    amount = fmt.money(st.settled or Money(0))
    when = fmt.date(st.left)
    if st.settlement == "transfer":
        text = _("You left the club on {date}: your share was transferred to {member} (book "
                 "capital {amount}).").format(date=when, member=st.transferred_to or "—",
                                              amount=amount)
    elif st.settlement == "deferred":
        text = _("You left the club on {date}: the value of your share, {amount}, is owed to "
                 "you and will be paid at the liquidation.").format(date=when, amount=amount)
    else:
        text = _("You left the club on {date}: the value of your share, {amount}, was paid "
                 "to you.").format(date=when, amount=amount)
    return text + " " + _("Your part of the investments then passed to the members who "
                          "stayed: you take no part in the income, gains or losses after "
                          "that date.")


def _payments(st: MemberStatement) -> list[Flowable]:
    months = get_month_names("wide", locale=babel_locale())
    rows = [[months[i + 1].capitalize(), fmt.amount(value)]
            for i, value in enumerate(st.payments) if value.cents]
    story: list[Flowable] = [heading(_("Your savings in {year}").format(year=st.year))]
    if not rows:
        story.append(paragraph(_("No saving was recorded for you this year.")))
        return story
    story.append(data_table([Col(_("Month")), Col(_("Amount"), 40, "right")], rows,
                            total=[_("Total"), fmt.amount(st.paid_in_year)]))
    return story


def _investments(st: MemberStatement) -> list[Flowable]:
    story: list[Flowable] = [
        heading(_("Your part of each investment")),
        paragraph(_("Each investment is split by the keys frozen on its date: your share of the "
                    "members' contributions that day."), "small"),
    ]
    if not st.investments:
        story.append(paragraph(_("You had no part in an investment yet.")))
        return story
    parts = st.investments
    story.append(data_table(
        [Col(_("No."), 9, "right"), Col(_("Investee")), Col(_("Instrument"), 30),
         Col(_("Date"), 19, "center"), Col(_("Key"), 18, "right"),
         Col(_("Your part"), 21, "right"), Col(_("Income"), 19, "right"),
         Col(_("Gain / loss"), 20, "right"), Col(_("Status"), 17)],
        [[str(p.number), p.investee, label(KINDS, p.kind), fmt.date(p.date),
          fmt.share(p.key), fmt.amount(p.amount), fmt.amount(p.income), fmt.amount(p.gain),
          label(STATUSES, p.status)] for p in parts],
        total=["", _("Total"), "", "", "",
               fmt.amount(Money(sum(p.amount.cents for p in parts))),
               fmt.amount(Money(sum(p.income.cents for p in parts))),
               fmt.amount(Money(sum(p.gain.cents for p in parts))), ""]))
    return story


def _income(st: MemberStatement) -> list[Flowable]:
    story: list[Flowable] = [
        heading(_("Your share of the year's income")),
        paragraph(_("Each member is taxed every year on their share of the club's dividends and "
                    "interest, even when they are not paid out."), "small"),
    ]
    if not st.income:
        story.append(paragraph(_("The club received no dividend or interest this year.")))
        return story
    story.append(data_table(
        [Col(_("Source")), Col(_("Kind"), 34), Col(_("Club"), 28, "right"),
         Col(_("Your share"), 28, "right")],
        [[_("bank") if line.source == "bank" else line.source, label(INCOME_KINDS, line.kind),
          fmt.amount(line.club_amount), fmt.amount(line.member_amount)] for line in st.income],
        total=[_("Total"), "", fmt.amount(Money(sum(x.club_amount.cents for x in st.income))),
               fmt.amount(st.income_total)]))
    return story


def _tax(st: MemberStatement) -> list[Flowable]:
    sheet = st.tax
    story: list[Flowable] = [
        heading(_("IR-PME tax sheet {year}").format(year=st.year)),
        paragraph(_("Income-tax reduction for subscriptions to the capital of small companies "
                    "(CGI art. 199 terdecies-0 A): one line per cash subscription paid by the "
                    "club in the year. Household caps are checked on your own return."),
                  "small"),
    ]
    if sheet.subscriptions:
        story.append(data_table(
            [Col(_("Investee")), Col(_("SIREN"), 20), Col(_("Paid on"), 19, "center"),
             Col(_("Club amount"), 22, "right"), Col(_("Key"), 17, "right"),
             Col(_("Your base"), 21, "right"), Col(_("Rate"), 13, "right"),
             Col(_("Reduction"), 20, "right"), Col(_("Keep until"), 19, "center")],
            [[x.investee, x.siren or "—", fmt.date(x.paid_on), fmt.amount(x.club_amount),
              fmt.share(x.key), fmt.amount(x.base), fmt.share(x.rate, digits=0),
              fmt.amount(x.reduction), fmt.date(x.lock_up_end)] for x in sheet.subscriptions],
            total=[_("Total"), "", "", "", "", fmt.amount(sheet.total_base), "",
                   fmt.amount(sheet.total_reduction), ""]))
    else:
        story.append(paragraph(_("No eligible subscription was paid this year.")))
    if sheet.warnings:
        story.append(heading(_("Warnings"), 1))
        story += [paragraph("• " + fmt.notice(w, _)) for w in sheet.warnings]
    return story


def _integrity(st: MemberStatement) -> list[Flowable]:
    # For a member, not a technician: what the chain is, what to keep, who can compare it.
    count, head = st.chain
    return [
        heading(_("Proof that the books are unchanged")),
        paragraph(_("The club writes every operation in its books one after the other, and "
                    "seals each one with a code computed from the one before, like the links "
                    "of a chain: changing an old operation would change every code after it. "
                    "When this statement was made, the books held {count} operations; the "
                    "code of the last one was:").format(count=fmt.count(count))),
        paragraph(head, "small"),
        paragraph(_("Keep this statement. Later on, the treasurer or an auditor can show you "
                    "the code of operation number {count} in the books: if it is the same as "
                    "above, nothing written before this statement has been changed since.")
                  .format(count=fmt.count(count)), "small"),
    ]


def render_statement(st: MemberStatement) -> bytes:
    story = [*_identity(st), spacer(4), *_payments(st), *_investments(st), *_income(st),
             *_tax(st), *_integrity(st)]
    title = _("Member statement {year} – {code}").format(year=st.year, code=st.code)
    return build_pdf(story, page_info(title, st.club.name, st.year, st.club.founded,
                                      st.generated))

"""The AGM pack of the year a club moved in (issue 12): the year's figures before D are not
in the books, only the position brought in at D; the pack shows that position as one opening
line ("Reprise au D") and counts the year's movements from D.

Figures by hand from tests/switchover/position/README.md and club_story.after_d.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import Engine

from cigales import db
from cigales.i18n import using
from cigales.services import switchover
from cigales.services.clubs import get_club
from reports.data import build_agm_pack, build_member_statements
from reports.jsondata import to_data
from reports.pdf.agm import render_agm
from reports.pdf.statement import render_statement
from tests.switchover import club_story as story
from tests.switchover.test_two_ways import POSITION

GENERATED = dt.date(2026, 11, 22)


def _moved_in(engine: Engine, folder: Path = POSITION) -> None:
    with db.session_scope(engine) as s:
        switchover.switchover(s, "reprise", story.D, folder, today=story.TODAY)
    with db.session_scope(engine) as s:
        story.after_d(s, "reprise")


def _text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", re.sub(r"[\u00a0\u202f]", " ",
                                      " ".join(p.extract_text() for p in pages)))


def test_pack_of_the_switchover_year_opens_with_the_position_at_d(engine: Engine) -> None:
    _moved_in(engine)
    with db.session_scope(engine, write=False) as s:
        pack = build_agm_pack(s, get_club(s, "reprise"), 2024, generated=GENERATED)
    o = pack.opening
    assert o is not None
    assert o.date == story.D
    # Bank 4,487.00; stake 1,000 + honour 1,200 − 500 + CCA 600 − 400; paid in 5,320.00;
    # owed to M02 1,039.19; retained 39.00 − 11.19.
    assert [x.plain() for x in (o.cash, o.investments, o.other, o.capital, o.owed_to_leavers,
                                o.retained, o.net_assets)] == [
        "4487.00", "1900.00", "0.00", "5320.00", "1039.19", "27.81", "5347.81"]

    # Balance sheet: the previous column is the opening position, and it balances.
    bs = pack.balance_sheet
    assert bs.previous_date == story.D
    assert bs.total_assets[1].plain() == bs.total_liabilities[1].plain() == "6387.00"
    assert bs.total_assets[0] == bs.total_liabilities[0]

    # Cash: starts from the bank balances at D; the opening entry is not a flow.
    cash = pack.cash
    assert (cash.start_date, cash.start.plain()) == (story.D, "4487.00")
    flows = dict(cash.flows)
    # Savings Jul–Dec of M01, M03–M06: (30 + 50 + 20 + 60 + 40) × 6.
    assert flows["savings"].plain() == "1200.00"
    assert flows["other"].plain() == "0.00"
    assert flows["capital_returned"].plain() == "0.00"  # M02's 1,039.19 is still owed
    assert cash.explained

    # Activity from D: the honour loan's 100.00 of August and the CCA's two instalments of
    # 100.00; Vert Demain the only decision; the income statement from D.
    a = pack.activity
    assert a.since == story.D
    assert (a.savings_collected.plain(), a.repaid.plain()) == ("1200.00", "300.00")
    assert [d.investee for d in a.investments] == ["Vert Demain"]
    assert pack.income_statement.since == story.D

    # Members: paid in the year from D, paid to date with the total brought in.
    m01 = next(m for m in pack.members if m.code == "M01")
    assert (m01.paid_in_year.plain(), m01.paid_to_date.plain()) == ("180.00", "1050.00")
    assert pack.savings_by_month.labels[0] == "2024-06"  # charts start at D, not at T0
    assert pack.net_assets_by_month.labels[0] == "2024-06"

    data = to_data(pack)  # report agm --format json
    assert (data["opening"]["net_assets"], data["cash"]["start_date"]) == ("5347.81",
                                                                         "2024-06-30")
    with using("fr"):
        text = _text(render_agm(pack))
    assert "Reprise au 30/06/2024" in text
    assert re.search(r"Reprise au 30/06/2024 4 487,00 Épargne", text)  # the cash table
    assert re.search(r"Passif 2024 Reprise au 30/06/2024", text)  # the balance sheet
    assert re.search(r"Total de l’actif [\d ]+,\d{2} 6 387,00", text)
    assert "ancien tableur" in text
    with using("en"):
        text = _text(render_agm(pack))
    assert "Opening balances at switchover 30 Jun 2024" in text


def test_the_next_year_is_an_ordinary_year(engine: Engine) -> None:
    _moved_in(engine)
    with db.session_scope(engine, write=False) as s:
        club = get_club(s, "reprise")
        pack = build_agm_pack(s, club, 2025, generated=GENERATED)
        before = build_agm_pack(s, club, 2024, generated=GENERATED)
        statements = build_member_statements(s, club, 2025, generated=GENERATED)
    assert pack.opening is None
    assert pack.balance_sheet.previous_date is None
    assert pack.cash.start_date is None
    assert pack.cash.start == before.cash.end
    assert pack.balance_sheet.total_assets[1] == before.balance_sheet.total_assets[0]
    assert {s.opened_on for s in statements} == {None}


def test_decisions_before_d_in_the_same_year_are_in_the_opening(engine: Engine,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "position"
    shutil.copytree(POSITION, folder)
    path = folder / "investissements.csv"
    path.write_text(path.read_text("utf-8").replace(
        "I1;L'Atelier;732829320;SCOP;participation;01/03/2023",
        "I1;L'Atelier;732829320;SCOP;participation;01/03/2024"), "utf-8")
    _moved_in(engine, folder)
    with db.session_scope(engine, write=False) as s:
        pack = build_agm_pack(s, get_club(s, "reprise"), 2024, generated=GENERATED)
    # The stake of March 2024 is in the portfolio, but it came with the position at D.
    assert next(p.date for p in pack.portfolio) == dt.date(2024, 3, 1)
    assert [(d.investee, d.amount.plain()) for d in pack.activity.investments] == [
        ("Vert Demain", "500.00")]


def test_statement_of_the_switchover_year(engine: Engine) -> None:
    _moved_in(engine)
    with db.session_scope(engine, write=False) as s:
        st = build_member_statements(s, get_club(s, "reprise"), 2024, generated=GENERATED,
                                     member="M01")[0]
    assert (st.opened_on, st.brought_in.plain(), st.paid_in_year.plain()) == (
        story.D, "870.00", "180.00")
    assert [p.plain() for p in st.payments[:6]] == ["0.00"] * 6
    with using("fr"):
        text = _text(render_statement(st))
    assert "Reprise au 30/06/2024" in text
    assert "870,00 €" in text

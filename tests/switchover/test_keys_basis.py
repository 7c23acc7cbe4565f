"""Where the member keys of an investment brought in at D come from (issue 12): the keys the
club kept, each member's paid-in total on the subscription date, or — when the file gives
neither — the paid-in totals at D, which the members' tax sheets then warn about."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import Engine, select

from cigales import db
from cigales.models import Investment
from cigales.services import investments, portfolio, switchover
from cigales.services.clubs import get_club
from ledger.money import Money
from tests.switchover import club_story as story
from tests.switchover.test_two_ways import POSITION, _build, _state

# Each member's savings paid in on each subscription date (club_story: paid on the 5th from
# February 2022; M06 from February 2023): 13, 14 and 16 monthly payments.
PLANS = {"M01": 30, "M02": 40, "M03": 50, "M04": 20, "M05": 60, "M06": 40}
PAYMENTS = {"I1": (13, 1), "I2": (14, 2), "I3": (16, 4)}  # (founders', M06's)


def _paid_in_sheet() -> str:
    lines = ["réf;membre;versé à la souscription"]
    for ref, (founders, m06) in PAYMENTS.items():
        for code, plan in PLANS.items():
            months = m06 if code == "M06" else founders
            lines.append(f"{ref};{code};{plan * months},00")
    return "\n".join(lines) + "\n"


def _position(tmp_path: Path, keys: str | None) -> Path:
    folder = tmp_path / "position"
    shutil.copytree(POSITION, folder)
    (folder / "cles.csv").unlink()
    if keys is not None:
        (folder / "cles.csv").write_text(keys, encoding="utf-8")
    return folder


def _tax(engine: Engine, slug: str, year: int) -> list[portfolio.TaxSheet]:
    with db.session_scope(engine, write=False) as s:
        return portfolio.tax_sheets(s, get_club(s, slug), year)


def test_keys_from_paid_in_at_subscription_are_the_replayed_ones(engine: Engine,
                                                                  tmp_path: Path) -> None:
    _build(engine)  # "rejoue" (replayed) and "reprise" (keys from the club's records)
    with db.session_scope(engine) as s:
        result = switchover.switchover(s, "versements", story.D,
                                       _position(tmp_path, _paid_in_sheet()), today=story.TODAY)
    assert result.warnings == ()
    assert [i.keys_basis for i in result.investments] == ["paid_in"] * 3
    assert (_state(engine, "versements", story.D, with_results=False)
            == _state(engine, "rejoue", story.D, with_results=False))
    with db.session_scope(engine, write=False) as s:
        bases = {slug: sorted(set(s.execute(select(Investment.keys_basis).where(
                     Investment.club_id == get_club(s, slug).id)).scalars()), key=str)
                 for slug in ("rejoue", "reprise", "versements")}
    # Frozen by cigales on the day (NULL), the club's own keys, computed from the file.
    assert bases == {"rejoue": [None], "reprise": ["records"], "versements": ["paid_in"]}
    # M01 paid 390.00 of the club's 2,640.00 on 01/03/2023: 13/88 of the 1,000.00 stake.
    sheets = {t.member: t for t in _tax(engine, "versements", 2023)}
    assert sheets["M01"].subscriptions[0].base.plain() == "147.73"
    assert [(t.member, t.subscriptions, t.warnings) for t in sheets.values()] == [
        (t.member, t.subscriptions, t.warnings) for t in _tax(engine, "rejoue", 2023)]


def test_keys_computed_at_d_are_flagged_on_the_tax_sheets(engine: Engine,
                                                          tmp_path: Path) -> None:
    with db.session_scope(engine) as s:
        result = switchover.switchover(s, "sans-cles", story.D, _position(tmp_path, None),
                                       today=story.TODAY)
    assert [i.keys_basis for i in result.investments] == ["switchover"] * 3
    assert [w.params["ref"] for w in result.warnings] == ["I1"]  # the equity stake only
    sheets = _tax(engine, "sans-cles", 2023)
    holders = [t for t in sheets if t.subscriptions]
    # M02 left before D: nothing at D, so no key and no line; the others share by D's totals.
    assert [t.member for t in holders] == ["M01", "M03", "M04", "M05", "M06"]
    for sheet in holders:
        assert [w.code for w in sheet.warnings] == ["keys_computed_at_switchover"]
        assert sheet.warnings[0].params == {"number": "1", "investee": "L'Atelier",
                                            "date": "2023-03-01", "as_of": "2024-06-30"}
    # M01: 870.00 of 5,320.00 paid in at D, not the 13/88 of the subscription date.
    m01 = next(t for t in holders if t.member == "M01")
    assert m01.subscriptions[0].base.plain() == "163.53"
    # A subscription after D is frozen by cigales on its date: no warning.
    with db.session_scope(engine) as s:
        club = get_club(s, "sans-cles")
        vert = investments.add_investee(s, club, slug="vert", name="Vert Demain",
                                        legal_form="SAS", siren="552100554")
        investments.subscribe(s, club, vert, date=dt.date(2024, 9, 10), shares=5,
                              unit_price=Money.parse("100.00"), today=story.TODAY)
    later = _tax(engine, "sans-cles", 2024)
    assert all(t.warnings == () for t in later)
    assert sum(len(t.subscriptions) for t in later) == 5

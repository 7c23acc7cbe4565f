"""The five-member floor counts the club's peak as the members on the roll on a day.

Regression found by tests/test_club_stateful.py: twelve founders, eight of whom leave on the
founding day. The club had twelve members that day, so with four left a ninth voluntary
departure (or a saving) is refused with ``too_few_members``; counting a leaver out on the day
they leave had made the peak four and let it pass as if the club were still in formation.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cigales import db
from cigales.errors import CigalesError
from cigales.models import Member
from cigales.services import clubs, members, savings
from cigales.services.membership import peak_active
from ledger.money import Money
from tests.helpers import FOUNDED, TODAY


def _found(s, founders: int):
    club = clubs.create_club(s, "les-cigales", "Les Cigales", FOUNDED, today=TODAY)
    for n in range(1, founders + 1):
        members.add_member(s, club, code=f"M{n:02d}", name=f"Membre {n}", joined=FOUNDED,
                           today=TODAY)
        savings.add_saving(s, club, member_code=f"M{n:02d}", date=FOUNDED,
                           amount=Money(3_000), today=TODAY)
    return club


def test_departures_on_the_founding_day_keep_the_peak(engine):
    with db.session_scope(engine) as s:
        club = _found(s, 12)
        for n in range(1, 9):  # eight leave the day the club is founded: four remain
            members.leave(s, club, code=f"M{n:02d}", date=FOUNDED, settlement="deferred",
                          today=TODAY)
        assert peak_active(s, club, FOUNDED) == 12
    with pytest.raises(CigalesError) as refused, db.session_scope(engine) as s:
        club = clubs.get_club(s, "les-cigales")
        members.leave(s, club, code="M09", date=FOUNDED, settlement="deferred", today=TODAY)
    assert refused.value.code == "too_few_members"
    with pytest.raises(CigalesError) as refused, db.session_scope(engine) as s:
        club = clubs.get_club(s, "les-cigales")
        savings.add_saving(s, club, member_code="M09", date=FOUNDED, amount=Money(100),
                           today=TODAY)
    assert refused.value.code == "too_few_members"
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "les-cigales")
        still = s.scalars(select(Member.code).where(Member.club_id == club.id,
                                                    Member.left_on.is_(None))).all()
        assert sorted(still) == ["M09", "M10", "M11", "M12"]


def test_a_club_in_formation_is_not_held_to_the_floor(engine):
    with db.session_scope(engine) as s:
        club = _found(s, 4)
        members.leave(s, club, code="M01", date=FOUNDED, settlement="deferred", today=TODAY)
        assert peak_active(s, club, FOUNDED) == 4

"""`cigales check` also verifies the club's own records against the books."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from cigales import db
from cigales.cli.entry import run
from cigales.services import bookkeeping, clubs, members, savings
from ledger.money import Money

TODAY = dt.date(2026, 11, 22)


def test_capital_movements_must_match_member_accounts(engine, database_url, capsys):
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, "verif", "Vérif", dt.date(2022, 1, 10), today=TODAY)
        for code in ("M1", "M10", "M2"):
            members.add_member(s, club, code=code, name=code, joined=club.founded, today=TODAY)
            savings.add_saving(s, club, member_code=code, date=dt.date(2022, 2, 1),
                               amount=Money(10_000), today=TODAY)
        members.leave(s, club, code="M1", date=dt.date(2022, 3, 1), settlement="transfer",
                      to="M2", today=TODAY)
        assert bookkeeping.audit(s, club) == []
    # Someone edits the savings record of M10 behind the program's back.
    with engine.begin() as conn:
        conn.execute(text("UPDATE capital_movement SET amount_cents = 5000 WHERE member_id = "
                          "(SELECT id FROM member WHERE code = 'M10')"))
    with db.session_scope(engine, write=False) as s:
        issues = bookkeeping.audit(s, clubs.get_club(s, "verif"))
    assert [(i.code, i.detail) for i in issues] == [(
        "capital_movements_mismatch",
        ("1011-M10 holds 100.00, the member's recorded savings, transfers and repayments "
         "add up to 50.00"))]
    assert run(["--db", database_url, "check", "--club", "verif", "--format", "json"]) == 4
    assert '"capital_movements_mismatch"' in capsys.readouterr().out

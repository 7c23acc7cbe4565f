"""Booking bank lines: matching, idempotency, overlaps, suspense, assign, reconcile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cigales import db
from cigales.bank import rules as rules_mod
from cigales.bank.models import BankImport, BankLineRow
from cigales.models import CapitalMovement
from cigales.services import bank, bookkeeping, investments, loans, members, savings
from cigales.services.clubs import get_club
from ledger.errors import UserError
from ledger.money import Money
from ledger.queries import account_balance
from tests.bank.files import signed_csv, write
from tests.helpers import TODAY, make_club

SLUG = "les-fourmis"


def m(text: str) -> Money:
    return Money.parse(text)


@pytest.fixture
def club(engine):
    make_club(engine)
    with db.session_scope(engine) as s:
        c = get_club(s, SLUG)
        members.add_member(s, c, code="M01", name="Anne Martin", joined=dt.date(2021, 3, 15),
                           monthly=m("30"), today=TODAY)
        members.add_member(s, c, code="M02", name="Paul Durand", joined=dt.date(2021, 3, 15),
                           monthly=m("25"), today=TODAY)
        members.add_member(s, c, code="M03", name="Léa Petit", joined=dt.date(2021, 3, 15),
                           monthly=m("40"), today=TODAY)
        bank.record_iban(s, c, "M03", "FR76 3000 6000 0112 3456 7890 189")
    return engine


def run_import(engine, path: Path, profile: str | None = None, batch_size: int = 200,
               extra_rules: Path | None = None):
    statement, sha = bank.read(path, profile)
    with db.session_scope(engine, write=False) as s:
        proposals = bank.propose(s, get_club(s, SLUG), statement, rules_mod.rules(extra_rules))
    known = sum(p.known for p in proposals)
    info = bank.ImportInfo(sha, path.name, statement.profile, len(proposals), known)
    result = bank.book_all(engine, SLUG, proposals, info, today=TODAY, batch_size=batch_size)
    return proposals, result


def booked(engine) -> list[tuple[str, str, str | None]]:
    with db.session_scope(engine, write=False) as s:
        return [(r.label, r.kind, r.target) for r in s.execute(
            select(BankLineRow).order_by(BankLineRow.id)).scalars()]


def balance(engine, code: str) -> Money:
    with db.session_scope(engine, write=False) as s:
        return account_balance(s, get_club(s, SLUG).book_id, code)


def audit(engine) -> list:
    with db.session_scope(engine, write=False) as s:
        return bookkeeping.audit(s, get_club(s, SLUG))


STATEMENT = [
    ("05/01/2024", "VIR SEPA ANNE MARTIN CIG-M01 EPARGNE", "30,00"),
    ("06/01/2024", "VIR DE M PAUL DURAND", "25,00"),
    ("07/01/2024", "VIR PAUL DURAND", "99,00"),  # name but not the planned amount
    ("10/01/2024", "FRAIS TENUE DE COMPTE", "-4,50"),
    ("11/01/2024", "COTISATION CIGALES ILE DE FRANCE", "-150,00"),
    ("12/01/2024", "REMISE CHEQUE 1234567", "1 200,00"),
    ("12/01/2024", "REMISE CHEQUE 1234567", "1 200,00"),
]


def test_matching_and_booking(club, tmp_path):
    path = write(tmp_path, "jan.csv", signed_csv(STATEMENT))
    proposals, result = run_import(club, path)
    kinds = [(p.match.kind, p.match.target, p.match.reason) for p in proposals]
    assert kinds == [
        ("saving", "M01", "reference"), ("saving", "M02", "name_amount"),
        ("suspense", "471", "none"), ("expense", "6270", "rule"), ("expense", "6281", "rule"),
        ("suspense", "471", "none"), ("suspense", "471", "none")]
    assert (result.booked, result.known, result.to_suspense) == (7, 0, 3)
    assert balance(club, "5121") == m("2399.50")
    assert balance(club, "471") == m("-2499.00")
    assert balance(club, "1011-M01") == m("-30")
    assert balance(club, "6270") == m("4.50")
    assert balance(club, "6281") == m("150")
    assert audit(club) == []
    with db.session_scope(club, write=False) as s:
        assert s.execute(select(func.count()).select_from(CapitalMovement)).scalar_one() == 2
        imp = s.execute(select(BankImport)).scalar_one()
        assert (imp.lines_total, imp.lines_booked, imp.lines_known) == (7, 7, 0)


def test_reimport_and_overlap_are_idempotent_and_pairs_are_kept(club, tmp_path):
    run_import(club, write(tmp_path, "jan.csv", signed_csv(STATEMENT)))
    _, again = run_import(club, write(tmp_path, "jan2.csv", signed_csv(STATEMENT)))
    assert (again.booked, again.known) == (0, 7)
    overlap = [*STATEMENT[3:], ("12/01/2024", "REMISE CHEQUE 1234567", "1 200,00"),
               ("15/01/2024", "AGIOS", "-1,00")]
    _, later = run_import(club, write(tmp_path, "feb.csv", signed_csv(overlap)))
    assert (later.booked, later.known) == (2, 4)  # a third identical cheque and the agios
    labels = [label for label, _, _ in booked(club)]
    assert labels.count("REMISE CHEQUE 1234567") == 3
    assert balance(club, "5121") == m("3598.50")
    assert audit(club) == []


def test_iban_and_loan_and_refused_proposals(club, tmp_path):
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        fabrique = investments.add_investee(s, c, slug="la-fabrique", name="La Fabrique",
                                            legal_form="SCOP")
        bookkeeping.add_entry(s, c, date=dt.date(2023, 1, 2), label="Apport initial",
                              journal="BQ", lines=[("5121", m("3000")), ("7580", m("-3000"))],
                              today=TODAY)
        loans.grant(s, c, fabrique, date=dt.date(2023, 1, 10), principal=m("1200"),
                    instalments=12, today=TODAY)
    path = write(tmp_path, "x.csv", signed_csv([
        ("02/01/2024", "VIR LEA PETIT", "12,00"),  # IBAN not in the CSV: name, wrong amount
        ("03/01/2024", "ECHEANCE LA FABRIQUE", "100,00"),
        ("04/01/2024", "VIR CIG-M02 trop tot", "25,00"),
    ]))
    proposals, _ = run_import(club, path)
    assert [p.match.kind for p in proposals] == ["suspense", "loan", "saving"]
    assert proposals[1].outcome == "booked"
    assert balance(club, "274-la-fabrique") == m("1100")
    # camt gives the counterparty IBAN: M03's recorded IBAN identifies her.
    from tests.bank.files import camt
    xml = tmp_path / "s.xml"
    xml.write_bytes(camt("08").replace(b"CIG-M01", b"NOTPROVIDED"))
    proposals, _ = run_import(club, xml)
    assert (proposals[0].match.kind, proposals[0].match.target, proposals[0].match.reason) == (
        "saving", "M03", "iban")


def test_a_refused_saving_goes_to_suspense(club, tmp_path):
    with db.session_scope(club) as s:
        members.leave(s, get_club(s, SLUG), code="M02", date=dt.date(2023, 6, 1),
                      settlement="deferred", today=TODAY)
    proposals, result = run_import(club, write(tmp_path, "x.csv", signed_csv(
        [("05/01/2024", "VIR CIG-M02", "25,00")])))
    assert proposals[0].outcome == "member_already_left"
    assert booked(club) == [("VIR CIG-M02", "suspense", "471")]
    assert result.to_suspense == 1
    assert audit(club) == []


def test_a_refusal_among_other_lines_books_them_as_if_each_were_alone(club, tmp_path):
    # Lines are booked in chunks under one savepoint; the refused M02 undoes the chunk, which
    # is booked again line by line: M01's line still links to the saving recorded by hand,
    # M03's is booked, M02's goes to 471, and nothing is numbered, linked or counted twice.
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        savings.add_saving(s, c, member_code="M01", date=dt.date(2024, 1, 3), amount=m("30"),
                           today=TODAY)
        members.leave(s, c, code="M02", date=dt.date(2023, 6, 1), settlement="deferred",
                      today=TODAY)
    proposals, result = run_import(club, write(tmp_path, "x.csv", signed_csv([
        ("05/01/2024", "VIR CIG-M01", "30,00"),
        ("05/01/2024", "VIR CIG-M02", "25,00"),
        ("06/01/2024", "VIR CIG-M03", "40,00"),
        ("07/01/2024", "VIR CIG-M01", "30,00"),
    ])))
    assert [p.outcome for p in proposals] == ["linked", "member_already_left", "booked",
                                              "booked"]
    assert [p.entry for p in proposals] == ["BQ 1", "BQ 2", "BQ 3", "BQ 4"]
    assert booked(club) == [("VIR CIG-M01", "saving", "M01"), ("VIR CIG-M02", "suspense", "471"),
                            ("VIR CIG-M03", "saving", "M03"), ("VIR CIG-M01", "saving", "M01")]
    assert (result.booked, result.to_suspense) == (4, 1)
    with db.session_scope(club, write=False) as s:
        paid = s.execute(select(func.count(), func.sum(CapitalMovement.amount_cents)).where(
            CapitalMovement.kind == "saving")).one()
    assert tuple(paid) == (3, 10_000)  # M01 twice (by hand, then the 7 January line), M03
    assert balance(club, "471") == m("-25")
    assert audit(club) == []


def test_a_line_that_cannot_be_booked_stops_the_import_before_writing(club, tmp_path):
    path = write(tmp_path, "x.csv", signed_csv([("05/01/2024", "A", "1,00"),
                                                ("05/01/2030", "FUTURE", "1,00")]))
    with pytest.raises(UserError) as info:
        run_import(club, path)
    assert info.value.code == "bank_line_not_bookable"
    assert "2030-01-05" in str(info.value)
    assert booked(club) == []


def test_suspense_assign_and_reconcile(club, tmp_path):
    run_import(club, write(tmp_path, "jan.csv", signed_csv(STATEMENT)))
    with db.session_scope(club, write=False) as s:
        pending = bank.suspense(s, get_club(s, SLUG))
    assert [(x.label, x.amount) for x in pending] == [
        ("VIR PAUL DURAND", m("99")), ("REMISE CHEQUE 1234567", m("1200")),
        ("REMISE CHEQUE 1234567", m("1200"))]
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        out = bank.assign(s, c, pending[0].id, member="M02", today=TODAY)
        assert out.kind == "saving"
        bank.assign(s, c, pending[1].id, account="7580", today=TODAY)
    assert balance(club, "1011-M02") == m("-124")
    assert balance(club, "471") == m("-1200")
    assert balance(club, "5121") == m("2399.50")
    assert audit(club) == []  # the capital movement was recorded with the saving
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        for kwargs, code in [({"member": "M01"}, "bank_line_not_in_suspense"),
                             ({}, "assign_target_required"),
                             ({"member": "M01", "account": "6270"}, "assign_target_required")]:
            with pytest.raises(UserError) as info:
                bank.assign(s, c, pending[0].id, today=TODAY, **kwargs)
            assert info.value.code == code
        with pytest.raises(UserError) as info:
            bank.assign(s, c, 999, member="M01", today=TODAY)
        assert info.value.code == "unknown_bank_line"
        with pytest.raises(UserError) as info:
            bank.assign(s, c, pending[2].id, account="1011-M01", today=TODAY)
        assert info.value.code == "member_account_reserved"
    with db.session_scope(club, write=False) as s:
        c = get_club(s, SLUG)
        ok = bank.reconcile(s, c, dt.date(2024, 1, 31), m("2399.50"))
        assert ok.ok
        assert ok.unreconciled == ()
        assert len(ok.suspense) == 1
        early = bank.reconcile(s, c, dt.date(2024, 1, 6), m("30"))
        assert early.difference == m("-25")
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        bookkeeping.add_entry(s, c, date=dt.date(2024, 1, 20), label="Chèque saisi à la main",
                              journal="BQ", lines=[("6180", m("10")), ("5121", m("-10"))],
                              today=TODAY)
    with db.session_scope(club, write=False) as s:
        bad = bank.reconcile(s, get_club(s, SLUG), dt.date(2024, 1, 31), m("2399.50"))
    assert not bad.ok
    assert bad.difference == m("10")
    assert [(x.label, x.amount) for x in bad.unreconciled] == [
        ("Chèque saisi à la main", m("-10"))]


def test_member_iban_rules(club):
    with db.session_scope(club) as s:
        c = get_club(s, SLUG)
        assert bank.record_iban(s, c, "M03", "FR7630006000011234567890189") == \
            "FR76 **** **** **** **** **** 189"  # the same again: nothing new
        with pytest.raises(UserError) as info:
            bank.record_iban(s, c, "M01", "FR76 3000 6000 0112 3456 7890 189")
        assert info.value.code == "iban_in_use"
        assert "0112" not in str(info.value)
        assert bank.member_ibans(s, c) == [("M03", "FR76 **** **** **** **** **** 189")]


def test_batches_commit_separately(club, tmp_path):
    rows = [(f"{d:02d}/02/2024", f"FRAIS {d}", "-1,00") for d in range(1, 26)]
    _, result = run_import(club, write(tmp_path, "x.csv", signed_csv(rows)), batch_size=10)
    assert (result.booked, result.batches) == (25, 3)
    with db.session_scope(club, write=False) as s:
        assert s.execute(select(func.count()).select_from(BankImport)).scalar_one() == 1

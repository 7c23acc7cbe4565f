"""The same movements exported in two formats (the day's CSV, then the month's OFX, or a camt
file) are recognised: nothing is booked twice, and what is new in the second file is booked."""

from __future__ import annotations

from sqlalchemy import func, select

from cigales import db
from cigales.bank.fingerprint import label_words, same_movement
from cigales.bank.models import BankLineRow
from tests.bank.files import signed_csv, write
from tests.bank.test_service import audit, balance, club, m, run_import  # noqa: F401

CSV_DAY = [
    ("05/01/2024", "VIR SEPA ANNE MARTIN CIG-M01 EPARGNE", "30,00"),
    ("10/01/2024", "FRAIS TENUE DE COMPTE", "-4,50"),
    ("12/01/2024", "REMISE CHEQUE 1234567", "1 200,00"),
    ("12/01/2024", "REMISE CHEQUE 1234567", "1 200,00"),
]


def ofx(transactions: list[tuple[str, str, str, str, str]]) -> str:
    """An OFX 1 (SGML) statement: (date YYYYMMDD, amount, FITID, NAME, MEMO) per line."""
    body = "".join(
        f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{d}<TRNAMT>{a}<FITID>{fid}<NAME>{name}"
        + (f"<MEMO>{memo}" if memo else "") + "\n"
        for d, a, fid, name, memo in transactions)
    return ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
            "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
            "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
            "<DTSERVER>20240131<LANGUAGE>FRA</SONRS></SIGNONMSGSRSV1>\n"
            "<BANKMSGSRSV1><STMTTRNRS><TRNUID>0<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
            "<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>30004<ACCTID>1<ACCTTYPE>CHECKING"
            "</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n" + body
            + "</BANKTRANLIST><LEDGERBAL><BALAMT>0<DTASOF>20240131</LEDGERBAL></STMTRS>"
            "</STMTTRNRS>\n</BANKMSGSRSV1></OFX>\n")


MONTH_OFX = [
    # The CSV's four movements, labels split over NAME and MEMO, with the bank's ids...
    ("20240105", "30,00", "F1", "VIR SEPA ANNE MARTIN", "CIG-M01 EPARGNE"),
    ("20240110", "-4,50", "F2", "FRAIS TENUE DE COMPTE", ""),
    ("20240112", "1200,00", "F3", "REMISE CHEQUE", "1234567"),
    ("20240112", "1200,00", "F4", "REMISE CHEQUE", "1234567"),
    # ... and what happened after the CSV was taken: a third identical cheque, the agios,
    # and a payment of the same amount on the same day as a booked one, from someone else.
    ("20240112", "1200,00", "F5", "REMISE CHEQUE", "1234567"),
    ("20240115", "-1,00", "F6", "AGIOS", ""),
    ("20240105", "30,00", "F7", "VIR SEPA PAUL DURAND", "DON"),
]


def booked_lines(engine) -> int:
    with db.session_scope(engine, write=False) as s:
        return s.execute(select(func.count()).select_from(BankLineRow)).scalar_one()


def test_csv_then_ofx_of_the_same_movements_books_nothing_twice(club, tmp_path):  # noqa: F811
    _, first = run_import(club, write(tmp_path, "jour.csv", signed_csv(CSV_DAY)))
    assert first.booked == 4
    cash = balance(club, "5121")
    proposals, second = run_import(club, write(tmp_path, "mois.ofx", ofx(MONTH_OFX[:4])))
    assert [p.known for p in proposals] == [True] * 4
    assert (second.booked, second.known) == (0, 4)
    assert balance(club, "5121") == cash
    assert booked_lines(club) == 4
    # The month's file with three new movements: exactly those are booked.
    proposals, third = run_import(club, write(tmp_path, "mois2.ofx", ofx(MONTH_OFX)))
    assert [p.known for p in proposals] == [True] * 4 + [False] * 3
    assert (third.booked, third.known) == (3, 4)
    assert balance(club, "5121") == cash + m("1200") - m("1") + m("30")
    assert booked_lines(club) == 7
    # And the CSV again after the OFX: still nothing new.
    _, again = run_import(club, write(tmp_path, "jour2.csv", signed_csv(CSV_DAY)))
    assert (again.booked, again.known) == (0, 4)
    assert audit(club) == []


def test_ofx_then_csv_is_recognised_too(club, tmp_path):  # noqa: F811
    run_import(club, write(tmp_path, "mois.ofx", ofx(MONTH_OFX[:4])))
    proposals, later = run_import(club, write(tmp_path, "jour.csv", signed_csv(CSV_DAY)))
    assert (later.booked, later.known) == (0, 4)
    # The CSV lines show the numbers the OFX lines were booked under.
    assert len({p.fingerprint for p in proposals}) == 4


def test_label_words_decide_the_same_movement():
    csv_words = label_words("VIR SEPA ANNE MARTIN CIG-M01 EPARGNE")
    assert same_movement(csv_words, label_words("VIR SEPA ANNE MARTIN", "CIG-M01 EPARGNE"))
    assert same_movement(label_words("Vir. Sépa Anne Martin"), label_words("VIR SEPA ANNE MARTIN"))
    assert not same_movement(csv_words, label_words("VIR SEPA PAUL DURAND DON"))
    assert same_movement(frozenset(), frozenset())
    assert not same_movement(csv_words, frozenset())

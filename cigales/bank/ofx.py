"""OFX statements (1.x SGML and 2.x XML) through ofxtools, after a tolerant pre-pass.

French banks' OFX files often carry quirks ofxtools (rightly) refuses: amounts with a decimal
comma, CHARSET:1252 headers over UTF-8 bytes (or the reverse), times with odd zones, and
unclosed ``STMTTRN`` aggregates. The pre-pass decodes the text itself, rewrites the header as
UTF-8, turns comma decimals into dots, keeps only the day of every date (a zone could move a
midnight posting to the day before), and closes what was left open. A truncated file (no
closing ``</OFX>``) is refused, never half-read.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from cigales.bank.encoding import decode
from cigales.bank.errors import InvalidOfx
from cigales.bank.lines import BankLine, Statement
from ledger.errors import InvalidAmount
from ledger.money import Money

_V1_HEADER = ("OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\n"
              "ENCODING:UTF-8\r\nCHARSET:NONE\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\n"
              "NEWFILEUID:NONE\r\n\r\n")
_DATE_TAGS = "DTPOSTED|DTUSER|DTAVAIL|DTASOF|DTSTART|DTEND|DTSERVER"
_AMOUNT_TAGS = "TRNAMT|BALAMT"


def looks_like_ofx(head: bytes) -> bool:
    sample = head[:2000].upper()
    return b"OFXHEADER" in sample or b"<OFX>" in sample


def _charset(raw: bytes) -> str:
    match = re.search(rb"CHARSET:\s*([A-Za-z0-9-]+)", raw[:1000])
    if match and match.group(1) == b"1252":
        return "cp1252"
    if match and match.group(1).upper().startswith(b"ISO-8859-1"):
        return "iso-8859-15" if b"15" in match.group(1) else "iso-8859-1"
    return "auto"


def prepass(data: bytes, path: str) -> bytes:
    declared = _charset(data)
    # Bytes that are valid UTF-8 are UTF-8, whatever the header says (a common mismatch).
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text, _ = decode(data, "cp1252" if declared == "auto" else declared, path)
    start = text.find("<OFX>")
    if start < 0:
        raise InvalidOfx(path=path, reason="no <OFX> element")
    body = text[start:]
    if "</OFX>" not in body.upper():
        raise InvalidOfx(path=path, reason="the file is truncated (no closing </OFX>)")
    body = re.sub(rf"<({_AMOUNT_TAGS})>\s*([+-]?[0-9 ]*),([0-9]+)",
                  lambda m: f"<{m.group(1)}>{m.group(2).replace(' ', '')}.{m.group(3)}", body)
    body = re.sub(rf"<({_DATE_TAGS})>\s*([0-9]{{8}})[^<\r\n]*", r"<\1>\2", body)
    body = _close_transactions(body)
    is_xml = text.lstrip().startswith("<?xml") or "OFXHEADER=\"2" in text[:start]
    if is_xml:
        # OFX 2.x: keep the processing instruction, declare the encoding we now use.
        header = text[:start]
        header = re.sub(r'encoding="[^"]*"', 'encoding="UTF-8"', header)
        return (header + body).encode("utf-8")
    return (_V1_HEADER + body).encode("utf-8")


def _close_transactions(body: str) -> str:
    """Insert ``</STMTTRN>`` where a transaction runs into the next one or the list's end."""
    parts = re.split(r"(<STMTTRN>|</STMTTRN>|</BANKTRANLIST>)", body)
    out: list[str] = []
    open_trn = False
    for part in parts:
        if part == "<STMTTRN>":
            if open_trn:
                out.append("</STMTTRN>")
            open_trn = True
        elif part == "</STMTTRN>":
            open_trn = False
        elif part == "</BANKTRANLIST>" and open_trn:
            out.append("</STMTTRN>")
            open_trn = False
        out.append(part)
    return "".join(out)


def _money(value: Decimal | None, path: str) -> Money:
    if value is None:
        raise InvalidOfx(path=path, reason="a transaction has no amount (TRNAMT)")
    try:
        return Money.from_decimal(value)
    except InvalidAmount as exc:
        raise InvalidOfx(path=path, reason=f"amount {value} is not exact to the cent") from exc


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def read_ofx(data: bytes, path: str) -> Statement:
    import io

    from ofxtools.Parser import OFXTree

    cleaned = prepass(data, path)
    parser = OFXTree()
    try:
        parser.parse(io.BytesIO(cleaned))
        ofx = parser.convert()
    except Exception as exc:  # ofxtools raises many unrelated types for a broken file
        raise InvalidOfx(path=path, reason=str(exc).strip().splitlines()[0][:200]
                         if str(exc).strip() else type(exc).__name__) from exc
    lines: list[BankLine] = []
    closing: Money | None = None
    closing_date: dt.date | None = None
    # Transactions have no line numbers once parsed: number them by their order in the file.
    number = 0
    for statement in ofx.statements:
        for trn in statement.transactions:
            number += 1
            amount = _money(trn.trnamt, path)
            if amount.is_zero():
                continue
            name = (trn.name or "").strip()
            memo = (getattr(trn, "memo", None) or "").strip()
            label = " ".join(" ".join(p for p in (name, memo) if p).split())
            lines.append(BankLine(
                date=_day(trn.dtposted), amount=amount, label=label, line_no=number,
                reference=(getattr(trn, "refnum", None) or getattr(trn, "checknum", None)
                           or None),
                bank_id=(trn.fitid or None), counterparty=name or None))
        ledgerbal = getattr(statement, "ledgerbal", None)
        if ledgerbal is not None and ledgerbal.balamt is not None:
            closing = _money(ledgerbal.balamt, path)
            closing_date = _day(ledgerbal.dtasof)
    return Statement("ofx", "ofx", tuple(lines), 0, closing, closing_date)

"""ISO 20022 camt.053 (bank-to-customer statement), versions 001.02 to 001.08.

Parsed with defusedxml: a file declaring a DTD or entities is refused (XML bombs, external
entities). Only booked entries are read (pending ones are not on the statement yet).
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree.ElementTree import Element

from cigales.bank.errors import InvalidCamt, UnsafeXml
from cigales.bank.lines import BankLine, Statement
from ledger.errors import InvalidAmount
from ledger.money import Money

_NS = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])\}Document$")


def looks_like_camt(head: bytes) -> bool:
    return b"camt.053" in head[:4000]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element | None, *path: str) -> Element | None:
    """Descend by local names (namespace-agnostic), first match at each step."""
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _text(el: Element | None, *path: str) -> str | None:
    found = _child(el, *path)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def _date(el: Element | None, path: str) -> dt.date | None:
    text = _text(el, "Dt") or _text(el, "DtTm")
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise InvalidCamt(path=path, reason=f"“{text}” is not a date") from exc


def _amount(el: Element | None, path: str) -> Money:
    text = _text(el, "Amt")
    if text is None or not re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text):
        raise InvalidCamt(path=path, reason=f"amount “{text}” is not exact to the cent")
    try:
        amount = Money.parse(text)
    except InvalidAmount as exc:
        raise InvalidCamt(path=path, reason=f"amount “{text}”") from exc
    indicator = _text(el, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise InvalidCamt(path=path, reason="an entry has no CdtDbtInd (CRDT or DBIT)")
    return amount if indicator == "CRDT" else -amount


def _party(details: Element | None, role: str) -> tuple[str | None, str | None]:
    parties = _child(details, "RltdPties")
    party = _child(parties, role)
    # 001.08 wraps the party in <Pty>; earlier versions do not.
    name = _text(party, "Pty", "Nm") or _text(party, "Nm")
    iban = _text(parties, f"{role}Acct", "Id", "IBAN")
    return name, iban


def read_camt(data: bytes, path: str) -> Statement:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXml(path=path) from exc
    except ParseError as exc:
        raise InvalidCamt(path=path, reason=str(exc)) from exc
    if not _NS.match(root.tag):
        raise InvalidCamt(path=path, reason=f"unsupported document {root.tag} (versions "
                                            "camt.053.001.02 to 001.08 are read)")
    lines: list[BankLine] = []
    skipped = 0
    closing: Money | None = None
    closing_date: dt.date | None = None
    number = 0
    for stmt in _children(_child(root, "BkToCstmrStmt"), "Stmt"):
        for bal in _children(stmt, "Bal"):
            if _text(bal, "Tp", "CdOrPrtry", "Cd") == "CLBD":
                closing = _amount(bal, path)
                closing_date = _date(_child(bal, "Dt"), path)
        for entry in _children(stmt, "Ntry"):
            number += 1
            status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
            if status not in (None, "BOOK"):
                skipped += 1
                continue
            amount = _amount(entry, path)
            if amount.is_zero():
                skipped += 1
                continue
            date = _date(_child(entry, "BookgDt"), path) or _date(_child(entry, "ValDt"), path)
            if date is None:
                raise InvalidCamt(path=path, reason=f"entry {number} has no booking date")
            details = _child(entry, "NtryDtls", "TxDtls")
            role = "Dbtr" if amount.cents > 0 else "Cdtr"
            name, iban = _party(details, role)
            info = _text(details, "RmtInf", "Ustrd") or _text(entry, "AddtlNtryInf") or ""
            label = " ".join(p for p in (name, info) if p) or "—"
            ref = _text(details, "Refs", "EndToEndId")
            lines.append(BankLine(
                date=date, amount=amount, label=label, line_no=number,
                reference=None if ref in (None, "NOTPROVIDED") else ref,
                bank_id=_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
                iban=iban, counterparty=name))
    return Statement("camt.053", "camt.053", tuple(lines), skipped, closing, closing_date)

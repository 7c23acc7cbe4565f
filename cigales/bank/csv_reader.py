"""CSV statements read through a profile: preamble skipped, header found by column names,
trailing separators and blank lines tolerated, every value checked with its line number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import TextIO

from cigales.bank.errors import BankFileUnreadable, DebitAndCredit, HeaderNotFound, MissingCell
from cigales.bank.lines import BankLine, Statement
from cigales.bank.profiles import Profile
from cigales.bank.values import normalise, parse_amount, parse_date
from ledger.money import Money


def _records(source: str | TextIO, delimiter: str, path: str = "CSV"
             ) -> Iterator[tuple[int, list[str]]]:
    """(first physical line of the record, cells); quoted cells may span lines.

    ``source`` is the whole text or a text stream opened with ``newline=""`` (read as it
    goes: a statement of any size is never held whole)."""
    stream = io.StringIO(source, newline="") if isinstance(source, str) else source
    reader = csv.reader(stream, delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        # A cell over csv.field_size_limit() (131,072 characters), usually an unclosed quote
        # that swallows the rest of the file: no bank writes that, so refuse the file.
        raise BankFileUnreadable(path=path, reason=f"line {start}: {exc}") from exc


def _key(name: str) -> str:
    return normalise(name).strip('"= ')


def _header(records: Iterator[tuple[int, list[str]]], profile: Profile
            ) -> dict[str, int] | None:
    """Column positions by normalised name, once the header record is consumed from
    ``records`` (which then goes on with the first line after it), or None."""
    wanted = {_key(c) for c in profile.header_columns()}
    for line_no, row in records:
        if profile.header_line and line_no != profile.header_line:
            if line_no > profile.header_line:
                break
            continue
        if not profile.header_line and line_no > profile.max_preamble:
            break
        positions: dict[str, int] = {}
        for pos, cell in enumerate(row):
            positions.setdefault(_key(cell), pos)
        if wanted <= positions.keys():
            return positions
        if profile.header_line:
            break
    return None


def matches(text: str, profile: Profile) -> bool:
    return _header(_records(text, profile.delimiter), profile) is not None


def iter_lines(source: str | TextIO, profile: Profile, path: str,
               stats: dict[str, int] | None = None) -> Iterator[BankLine]:
    """The movement lines of a CSV statement, one at a time, in file order.

    ``stats["skipped"]`` counts the zero-amount lines (information lines: no money moved)
    as they are passed over."""
    stats = stats if stats is not None else {}
    stats["skipped"] = 0
    records = _records(source, profile.delimiter, path)
    found = _header(records, profile)
    if found is None:
        raise HeaderNotFound(path=path, columns=", ".join(profile.header_columns()),
                             lines=profile.header_line or profile.max_preamble,
                             profile=profile.name)
    positions = found

    def cell(row: list[str], column: str | None, line: int, required: bool = True) -> str:
        if column is None:
            return ""
        pos = positions.get(_key(column))
        value = row[pos].strip() if pos is not None and pos < len(row) else ""
        if required and not value:
            raise MissingCell(line=line, path=path, column=column)
        return value

    def amount(text_value: str, line: int) -> Money:
        return parse_amount(text_value, decimal=profile.decimal_separator,
                            thousands=profile.thousands_separator, line=line, path=path)

    for line_no, row in records:
        if not any(c.strip() for c in row):
            continue  # blank line or a row of separators
        date = parse_date(cell(row, profile.date_column, line_no), profile.date_format,
                          line=line_no, path=path)
        if profile.amount_column:
            value = amount(cell(row, profile.amount_column, line_no), line_no)
        else:
            debit_text = cell(row, profile.debit_column, line_no, required=False)
            credit_text = cell(row, profile.credit_column, line_no, required=False)
            debit = amount(debit_text, line_no) if debit_text else Money(0)
            credit = amount(credit_text, line_no) if credit_text else Money(0)
            if not debit_text and not credit_text:
                raise MissingCell(line=line_no, path=path,
                                  column=f"{profile.debit_column} / {profile.credit_column}")
            if debit and credit:
                raise DebitAndCredit(line=line_no, path=path, debit=debit_text,
                                     credit=credit_text)
            # Some banks print debits negative in their own column, others positive.
            value = abs(credit) - abs(debit)
        if value.is_zero():
            stats["skipped"] += 1  # an information line (new rate, ...): no money moved
            continue
        label = " ".join(" ".join(cell(row, c, line_no, required=False).split())
                         for c in profile.label_columns).strip()
        yield BankLine(
            date=date, amount=value, label=label, line_no=line_no,
            reference=cell(row, profile.reference_column, line_no, required=False) or None,
            bank_id=cell(row, profile.bank_id_column, line_no, required=False) or None,
            iban=cell(row, profile.iban_column, line_no, required=False) or None,
            counterparty=cell(row, profile.counterparty_column, line_no,
                              required=False) or None)


def read_csv(text: str, profile: Profile, path: str) -> Statement:
    """The whole statement in memory (see ``iter_lines`` for a stream)."""
    stats: dict[str, int] = {}
    lines = tuple(iter_lines(text, profile, path, stats))
    return Statement("csv", profile.name, lines, stats["skipped"])


def write_signed(lines: Sequence[BankLine]) -> str:
    """The lines as an fr-signed CSV (``Date;Libellé;Montant``), e.g. to re-import them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Libellé", "Montant"])
    for line in lines:
        writer.writerow([line.date.strftime("%d/%m/%Y"), line.label,
                         line.amount.plain().replace(".", ",")])
    return buffer.getvalue()

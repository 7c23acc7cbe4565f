"""The yearly club return as a document: canonical form, checksum, validation.

Format ``cigales-return/1`` (docs/formats.md, JSON Schema in
``cigales-return-1.schema.json`` beside this module). The checksum is the sha256 of the
canonical JSON of every other key (sorted keys, no spaces, UTF-8), so any edit of a figure
after the club produced the file is detected. Validation runs three layers, each with a
clear error: the JSON Schema, the checksum, then the internal sums (totals equal their parts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from cigales.errors import CigalesError
from ledger.errors import N_
from ledger.money import Money

FORMAT = "cigales-return/1"
SCHEMA_FILE = "cigales-return-1.schema.json"
RATIO_PLACES = 4


class ReturnNotJson(CigalesError):
    code = "return_not_json"
    template = N_("{source} is not a JSON document ({reason}): a club return is the JSON file "
                  "written by `cigales federation return`.")


class ReturnInvalid(CigalesError):
    code = "return_invalid"
    template = N_("{source} is not a valid {format} return: at {path}, {reason}.")


class ReturnTampered(CigalesError):
    code = "return_checksum_mismatch"
    template = N_("{source} was changed after it was produced: its checksum does not match its "
                  "content. Ask the club for a new return.")


class ReturnInconsistent(CigalesError):
    code = "return_inconsistent"
    template = N_("{source} does not add up: {detail}.")


@cache
def schema() -> dict[str, Any]:
    text = resources.files("cigales.federation").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(loaded)
    return loaded


def canonical(document: dict[str, Any]) -> bytes:
    content = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def checksum(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def seal(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its checksum as the last key."""
    content = {k: v for k, v in document.items() if k != "checksum"}
    return {**content, "checksum": checksum(content)}


def dumps(document: dict[str, Any]) -> str:
    """Human-readable file content (the checksum does not depend on this layout)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def ratio_text(numerator: int, denominator: int) -> str:
    """A ratio with four decimals, rounded half-up: 1/3 -> "0.3333"; 0/0 -> "0.0000"."""
    if denominator == 0:
        return f"{0:.{RATIO_PLACES}f}"
    scaled = Decimal(numerator) * 10**RATIO_PLACES / Decimal(denominator)
    whole = int(scaled.to_integral_value(rounding="ROUND_HALF_UP"))
    return f"{Decimal(whole).scaleb(-RATIO_PLACES):.{RATIO_PLACES}f}"


def loads(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReturnNotJson(source=source, reason=str(exc)) from exc
    except RecursionError as exc:
        # json recurses once per nested bracket; a return is at most a few levels deep.
        raise ReturnNotJson(source=source, reason="nested too deeply") from exc
    if not isinstance(document, dict):
        raise ReturnNotJson(source=source, reason="not an object")
    return document


def validate(document: dict[str, Any], source: str) -> dict[str, Any]:
    """Schema, then checksum, then internal sums; returns the document when all hold."""
    errors = sorted(Draft202012Validator(schema()).iter_errors(document),
                    key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path) or "/"
        raise ReturnInvalid(source=source, format=FORMAT, path=path, reason=first.message)
    if document["checksum"] != checksum(document):
        raise ReturnTampered(source=source)
    _check_sums(document, source)
    return document


def _money(text: str) -> Money:
    return Money.parse(text)


def _check_sums(doc: dict[str, Any], source: str) -> None:
    invested = doc["invested"]
    lines = invested["investments"]
    total = _money(invested["total"])
    by_kind: dict[str, int] = {}
    for line in lines:
        by_kind[line["kind"]] = by_kind.get(line["kind"], 0) + _money(line["amount"]).cents
    problems = []
    if invested["count"] != len(lines):
        problems.append(f"invested.count {invested['count']} ≠ {len(lines)} investments")
    if sum(by_kind.values()) != total.cents:
        problems.append(f"invested.total {invested['total']} ≠ sum of the investments")
    if {k: _money(v).cents for k, v in invested["by_kind"].items() if _money(v).cents} != \
            {k: v for k, v in by_kind.items() if v}:
        problems.append("invested.by_kind ≠ the investments by kind")
    year = str(doc["year"])
    if any(not line["date"].startswith(year) for line in lines):
        problems.append(f"an investment is not dated in {year}")
    loans = doc["loans"]
    outstanding, at_risk = _money(loans["outstanding"]), _money(loans["at_risk_30"])
    if at_risk > outstanding:
        problems.append("loans.at_risk_30 > loans.outstanding")
    if loans["par30"] != ratio_text(at_risk.cents, outstanding.cents):
        problems.append(f"loans.par30 {loans['par30']} ≠ at_risk_30 ÷ outstanding")
    if doc["club"]["founded"][:4] > year:
        problems.append(f"the club was founded after {year}")
    arrears = sum(_money(v).cents for v in loans["arrears"].values())
    if arrears > outstanding.cents:
        problems.append("loans.arrears > loans.outstanding")
    if doc["generated"][:4] < year:
        problems.append(f"generated before {year} began")
    # The schema only checks the shape of dates: each must be a real day, and nothing the
    # return reports can come after the day it was generated.
    dates = {"generated": doc["generated"], "club.founded": doc["club"]["founded"],
             **{f"invested.investments/{i}.date": line["date"] for i, line in enumerate(lines)}}
    days = {}
    for where, text in dates.items():
        try:
            days[where] = dt.date.fromisoformat(text)
        except ValueError:
            problems.append(f"{where} {text} is not a real date")
    generated = days.get("generated")
    if generated is not None:
        later = [where for where, day in days.items() if day > generated]
        if later:
            problems.append(f"{', '.join(later)} after the return was generated")
    members = doc["members"]
    if members["joined"] > members["active"] + members["left"]:
        # Active at year end = active at the start + joined - left, never below zero.
        problems.append(f"members.joined {members['joined']} > active + left")

    if problems:
        raise ReturnInconsistent(source=source, detail="; ".join(problems))

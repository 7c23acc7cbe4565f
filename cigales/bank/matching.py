"""Proposals: what each bank line most likely is, with the reason, before anything is booked.

Order (the first that applies wins):
1. credit with the member's reference (``CIG-<code>`` by default) in the label or reference
   → that member's saving;
2. credit from an IBAN recorded for a member → that member's saving;
3. credit whose label names a member (all words of the name, any order) for exactly the
   member's planned monthly saving → saving;
4. credit naming an investee with exactly one active loan (or ``PRET <n>``) → repayment;
5. a label rule (treasurer's rules, then the shipped ones) → its account;
6. anything else → 471 "compte d'attente" (suspense), to be assigned later.
Each test must point to one candidate only; two candidates mean suspense, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from cigales.bank.lines import BankLine
from cigales.bank.rules import Rule, first_match
from cigales.bank.values import normalise

DEFAULT_REFERENCE_PREFIX = "CIG-"
SUSPENSE_ACCOUNT = "471"


@dataclass(frozen=True, slots=True)
class MemberInfo:
    code: str
    name: str
    monthly_cents: int
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoanInfo:
    number: int
    investee_slug: str
    investee_name: str


@dataclass(frozen=True, slots=True)
class Context:
    members: tuple[MemberInfo, ...]
    loans: tuple[LoanInfo, ...]  # active loans only
    rules: tuple[Rule, ...]
    reference_prefix: str = DEFAULT_REFERENCE_PREFIX


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # saving, loan, expense, income, entry, suspense
    target: str | None  # member code, loan number or account code
    reason: str  # machine word: reference, iban, name_amount, investee, rule, none
    detail: str = ""


@dataclass(slots=True)
class Proposal:
    line: BankLine
    fingerprint: str
    match: Match
    known: bool = False  # booked by an earlier import: skipped
    outcome: str | None = None  # after booking: "booked", or the refusal code → suspense
    entry: str | None = field(default=None)  # "BQ 12" once booked


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    # Cached: members' and investees' names are asked for on every line of a statement.
    return frozenset(re.findall(r"[A-Z0-9]+", normalise(text)))


def _one(candidates: list[str]) -> str | None:
    unique = sorted(set(candidates))
    return unique[0] if len(unique) == 1 else None


def match_line(line: BankLine, ctx: Context) -> Match:
    cents = line.amount.cents
    text = normalise(f"{line.label} {line.reference or ''}")
    if cents > 0:
        prefix = re.escape(normalise(ctx.reference_prefix).rstrip("-"))
        codes = {m.code for m in ctx.members}
        found = [c for c in re.findall(rf"\b{prefix}[- ]?([A-Z0-9_]+)\b", text) if c in codes]
        code = _one(found)
        if code:
            return Match("saving", code, "reference", f"{ctx.reference_prefix}{code}")
        if line.iban:
            compact = "".join(line.iban.split()).upper()
            code = _one([m.code for m in ctx.members if compact in m.ibans])
            if code:
                return Match("saving", code, "iban")
        words = _words(f"{line.label} {line.counterparty or ''}")
        named = [m.code for m in ctx.members
                 if m.monthly_cents == cents and _words(m.name) and _words(m.name) <= words]
        code = _one(named)
        if code:
            return Match("saving", code, "name_amount")
        loan_numbers = [str(n) for n in re.findall(r"\bPRET\s*N?[O°]?\s*([0-9]+)\b", text)
                        if any(str(lo.number) == n for lo in ctx.loans)]
        by_name = [str(lo.number) for lo in ctx.loans
                   if (_words(lo.investee_name) and _words(lo.investee_name) <= _words(text))
                   or normalise(lo.investee_slug.replace("-", " ")) in text]
        number = _one(loan_numbers) or (None if loan_numbers else _one(by_name))
        if number:
            return Match("loan", number, "investee")
    rule = first_match(list(ctx.rules), line.label, cents)
    if rule is not None:
        return Match("expense" if cents < 0 else "income", rule.account, "rule", rule.name)
    return Match("suspense", SUSPENSE_ACCOUNT, "none")

"""Label rules: a pattern on the normalised bank label gives the account a line goes to.

Shipped rules (``cigales/bank/rules/default.toml``) recognise common French bank fees and
dues; a treasurer's own TOML file (``--rules``) is tried first, so it can refine or override.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigales import chart
from cigales.bank.errors import InvalidRules
from cigales.bank.values import normalise
from ledger.errors import N_

SHIPPED = Path(__file__).parent / "rules" / "default.toml"

# The names of the shipped rules, marked for translation (a TOML file is not extracted);
# tests/bank check that every shipped name is here. A treasurer's own rule names are shown
# as written.
SHIPPED_NAMES = {
    "dues: CIGALES association": N_("dues: CIGALES association"),
    "bank card fee": N_("bank card fee"),
    "bank package": N_("bank package"),
    "bank fees": N_("bank fees"),
    "interest on a savings account": N_("interest on a savings account"),
}


def rule_name(name: str) -> str:
    """A rule's name in the reader's language (shipped rules) or as its author wrote it."""
    from cigales.i18n import _

    return _(SHIPPED_NAMES[name]) if name in SHIPPED_NAMES else name
SIGNS = ("debit", "credit", "any")
_ACCOUNT_RE = re.compile(r"^[0-9]{3,8}$")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    account: str
    sign: str

    def applies(self, label: str, cents: int) -> bool:
        if self.sign == "debit" and cents >= 0:
            return False
        if self.sign == "credit" and cents <= 0:
            return False
        return self.pattern.search(normalise(label)) is not None


def _rule(data: Any, where: str, path: str) -> Rule:
    if not isinstance(data, dict):
        raise InvalidRules(path=path, where=where, problem="must be a table of keys")
    allowed = {"name", "pattern", "account", "sign"}
    for key in data:
        if key not in allowed:
            raise InvalidRules(path=path, where=f"{where}, key “{key}”",
                               problem=f"unknown key; allowed: {', '.join(sorted(allowed))}")
    pattern = data.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidRules(path=path, where=f"{where}, key “pattern”", problem="is required")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InvalidRules(path=path, where=f"{where}, key “pattern”",
                           problem=f"not a regular expression ({exc})") from exc
    account = data.get("account")
    if not isinstance(account, str) or not _ACCOUNT_RE.match(account):
        raise InvalidRules(path=path, where=f"{where}, key “account”",
                           problem="must be a postable account code of digits, e.g. \"6270\"")
    if chart.is_member_account(account) or account in (chart.BANK_ACCOUNT, "471"):
        raise InvalidRules(path=path, where=f"{where}, key “account”",
                           problem="cannot be the bank, 471 or a member's account")
    sign = data.get("sign", "any")
    if sign not in SIGNS:
        raise InvalidRules(path=path, where=f"{where}, key “sign”",
                           problem=f"allowed: {', '.join(SIGNS)}")
    name = data.get("name", pattern)
    return Rule(str(name), compiled, account, sign)


def load(path: Path) -> list[Rule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidRules(path=str(path), where="—", problem=exc.strerror or str(exc)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRules(path=str(path), where="—", problem=str(exc)) from exc
    unknown = set(data) - {"rule"}
    if unknown:
        raise InvalidRules(path=str(path), where=f"key “{sorted(unknown)[0]}”",
                           problem="unknown; write each rule as a [[rule]] table")
    items = data.get("rule", [])
    if not isinstance(items, list):
        raise InvalidRules(path=str(path), where="rule", problem="write [[rule]] tables")
    return [_rule(item, f"rule {i}", str(path)) for i, item in enumerate(items, start=1)]


def rules(extra: Path | None = None) -> list[Rule]:
    """The treasurer's rules first (if any), then the shipped ones."""
    return (load(extra) if extra is not None else []) + load(SHIPPED)


def first_match(all_rules: list[Rule], label: str, cents: int) -> Rule | None:
    return next((r for r in all_rules if r.applies(label, cents)), None)

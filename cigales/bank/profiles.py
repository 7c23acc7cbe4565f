"""CSV profiles: TOML files describing one bank's export, loaded with tomllib and validated.

Shipped profiles live in ``cigales/bank/profiles/*.toml``; a treasurer adds one by writing a
TOML file (``--profile path/to/file.toml``) or a folder of them (``--profile-dir``). Every key
is documented in docs/bank.md; a wrong or unknown key is refused with its name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigales.bank import encoding as enc
from cigales.bank.errors import InvalidProfile, UnknownProfile

SHIPPED = Path(__file__).parent / "profiles"

_STR_KEYS = ("name", "description", "source", "encoding", "delimiter", "date_column",
             "date_format", "decimal_separator", "thousands_separator", "amount_column",
             "debit_column", "credit_column", "reference_column", "bank_id_column",
             "iban_column", "counterparty_column")
_INT_KEYS = ("header_line", "max_preamble")
_LIST_KEYS = ("label_columns", "header_also")
KEYS = _STR_KEYS + _INT_KEYS + _LIST_KEYS


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    encoding: str
    delimiter: str
    header_line: int  # 0: search the header among the first max_preamble lines
    max_preamble: int
    date_column: str
    date_format: str
    decimal_separator: str
    thousands_separator: str
    label_columns: tuple[str, ...]
    amount_column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    reference_column: str | None = None
    bank_id_column: str | None = None
    iban_column: str | None = None
    counterparty_column: str | None = None
    source: str = ""
    # Further columns the header must have for this profile to apply (tells apart banks whose
    # exports share the columns read, e.g. Crédit Mutuel's "Date de valeur" and "Solde").
    header_also: tuple[str, ...] = ()

    def header_columns(self) -> tuple[str, ...]:
        return (*self.required_columns(), *self.header_also)

    def required_columns(self) -> tuple[str, ...]:
        money = ((self.amount_column,) if self.amount_column
                 else (self.debit_column or "", self.credit_column or ""))
        return (self.date_column, *self.label_columns, *money)


def from_mapping(data: dict[str, Any], where: str) -> Profile:
    for key in data:
        if key not in KEYS:
            raise InvalidProfile(profile=where, key=key,
                                 problem=f"unknown key; allowed keys: {', '.join(KEYS)}")
    for key in _STR_KEYS:
        if key in data and not isinstance(data[key], str):
            raise InvalidProfile(profile=where, key=key, problem="must be a text in quotes")
    for key in _INT_KEYS:
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool)
                            or data[key] < 0):
            raise InvalidProfile(profile=where, key=key, problem="must be a whole number ≥ 0")
    labels = data.get("label_columns")
    if (not isinstance(labels, list) or not labels
            or not all(isinstance(x, str) and x.strip() for x in labels)):
        raise InvalidProfile(profile=where, key="label_columns",
                             problem='must be a list of column names, e.g. ["Libellé"]')
    also = data.get("header_also", [])
    if not isinstance(also, list) or not all(isinstance(x, str) and x.strip() for x in also):
        raise InvalidProfile(profile=where, key="header_also",
                             problem='must be a list of column names, e.g. ["Solde"]')
    for key in ("name", "date_column"):
        if not str(data.get(key, "")).strip():
            raise InvalidProfile(profile=where, key=key, problem="is required")
    encoding = enc.canonical(data.get("encoding", "auto"))
    if encoding is None:
        raise InvalidProfile(profile=where, key="encoding",
                             problem=f"allowed: {', '.join(enc.ENCODINGS)}")
    delimiter = data.get("delimiter", ";")
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise InvalidProfile(profile=where, key="delimiter", problem="must be one character")
    decimal = data.get("decimal_separator", ",")
    if decimal not in (",", "."):
        raise InvalidProfile(profile=where, key="decimal_separator", problem='allowed: "," or "."')
    thousands = data.get("thousands_separator", "")
    if thousands not in ("", " ", ".", ",", "'") or thousands == decimal:
        raise InvalidProfile(profile=where, key="thousands_separator",
                             problem='allowed: "", " ", ".", "," or "\'", other than the '
                                     "decimal separator")
    date_format = data.get("date_format", "%d/%m/%Y")
    if not all(part in date_format for part in ("%d", "%m")) or not (
            "%Y" in date_format or "%y" in date_format):
        raise InvalidProfile(profile=where, key="date_format",
                             problem="needs %d, %m and %Y (or %y), e.g. %d/%m/%Y")
    amount = data.get("amount_column")
    debit, credit = data.get("debit_column"), data.get("credit_column")
    if bool(amount) == bool(debit or credit) or (not amount and not (debit and credit)):
        raise InvalidProfile(profile=where, key="amount_column",
                             problem="give either amount_column (signed amounts) or both "
                                     "debit_column and credit_column")
    return Profile(
        name=data["name"].strip(), description=data.get("description", ""),
        encoding=encoding, delimiter=delimiter, header_line=data.get("header_line", 0),
        max_preamble=data.get("max_preamble", 30), date_column=data["date_column"],
        date_format=date_format, decimal_separator=decimal, thousands_separator=thousands,
        label_columns=tuple(labels), amount_column=amount, debit_column=debit,
        credit_column=credit, reference_column=data.get("reference_column"),
        bank_id_column=data.get("bank_id_column"), iban_column=data.get("iban_column"),
        counterparty_column=data.get("counterparty_column"), source=data.get("source", ""),
        header_also=tuple(also))


def load_file(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnknownProfile(profile=str(path), known=", ".join(shipped_names())) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidProfile(profile=str(path), key="—", problem=str(exc)) from exc
    return from_mapping(data, str(path))


def _folder(folder: Path) -> dict[str, Profile]:
    found = {}
    for path in sorted(folder.glob("*.toml")):
        profile = load_file(path)
        found[profile.name] = profile
    return found


def shipped() -> dict[str, Profile]:
    return _folder(SHIPPED)


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def available(profile_dir: Path | None = None) -> dict[str, Profile]:
    """Shipped profiles, then the treasurer's own (which win on a name clash)."""
    profiles = shipped()
    if profile_dir is not None:
        if not profile_dir.is_dir():
            raise UnknownProfile(profile=str(profile_dir), known=", ".join(sorted(profiles)))
        profiles.update(_folder(profile_dir))
    return profiles


def resolve(name: str, profile_dir: Path | None = None) -> Profile:
    """A profile by name, or by the path of a .toml file."""
    if name.endswith(".toml") or "/" in name or "\\" in name:
        return load_file(Path(name))
    profiles = available(profile_dir)
    if name not in profiles:
        raise UnknownProfile(profile=name, known=", ".join(sorted(profiles)))
    return profiles[name]

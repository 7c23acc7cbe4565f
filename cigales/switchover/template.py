"""The switchover spreadsheet's tables and columns: one description read by the reader and
written by the template, so the two can never disagree.

Each table is a sheet of a workbook or a CSV file of a folder (``membres.csv``); sheets and
columns are found by their French or English name, in any order, case and accents ignored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import N_


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    fr: str
    en: str
    kind: str  # text, date, money, int, rate, fraction, units, choice
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""  # msgid, shown on the instructions sheet


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    fr: str
    en: str
    columns: tuple[Column, ...]
    required: bool = True
    help: str = ""

    def name(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


# French words accepted for the kinds of investment and the loan terms, beside the identifiers.
KIND_WORDS = {
    "equity": "equity", "participation": "equity", "parts": "equity", "actions": "equity",
    "honour": "honour", "pret d'honneur": "honour", "pret": "honour",
    "shareholder": "shareholder", "compte courant": "shareholder", "cca": "shareholder",
    "association": "association", "apport avec droit de reprise": "association",
    "participating": "participating", "titres participatifs": "participating",
}
FREQUENCY_WORDS = {"monthly": "monthly", "mensuelle": "monthly", "quarterly": "quarterly",
                   "trimestrielle": "quarterly", "yearly": "yearly", "annuelle": "yearly"}
METHOD_WORDS = {"linear": "linear", "lineaire": "linear", "annuity": "annuity",
                "annuite constante": "annuity", "annuites constantes": "annuity"}
SHARE_METHOD_WORDS = {"prorata": "prorata", "pro rata des apports": "prorata", "units": "units",
                      "parts": "units", "unites": "units"}
LEGAL_FORM_WORDS = {"SCOP": "SCOP", "SCIC": "SCIC", "SARL": "SARL", "SAS": "SAS", "SA": "SA",
                    "EURL": "EURL", "SASU": "SASU", "ASSOCIATION": "association", "EI": "EI",
                    "AUTRE": "other", "OTHER": "other"}

CLUB = Table("club", "club", "club", (
    Column("name", "nom", "name", "text", True, help=N_("The club's name.")),
    Column("founded", "date de création", "founded", "date", True,
           help=N_("T0: the day the convention was signed.")),
    Column("region", "région", "region", "text"),
    Column("department", "département", "department", "text"),
    Column("share_method", "méthode des quotes-parts", "share method", "choice",
           choices=("prorata", "parts"),
           help=N_("prorata (pro rata des apports, the default) or parts (units: each saving "
                   "buys units at the club's value per unit).")),
    Column("prorogation", "prorogation votée le", "prorogation voted on", "date",
           help=N_("Date of the prorogation vote, if the club voted it.")),
), help=N_("One row: the club itself."))

MEMBERS = Table("members", "membres", "members", (
    Column("code", "code", "code", "text", True, help=N_("Member code, e.g. M01.")),
    Column("name", "nom", "name", "text", True),
    Column("email", "e-mail", "e-mail", "text"),
    Column("joined", "entrée", "joined", "date", True),
    Column("left", "sortie", "left", "date", help=N_("Only for a member who left before D.")),
    Column("monthly", "épargne mensuelle", "monthly saving", "money"),
    Column("paid_in", "total versé au", "paid in up to D", "money",
           help=N_("Net savings paid in up to D (savings less capital repaid).")),
    Column("owed", "reste dû", "still owed", "money",
           help=N_("What the club still owes a member who left.")),
    Column("units", "parts détenues au", "units held at D", "units",
           help=N_("Units method only: the units each present member held at D, with their "
                   "decimals (e.g. 97,5); required for a member with a paid-in total.")),
), help=N_("One row per member, current or gone."))

INVESTMENTS = Table("investments", "investissements", "investments", (
    Column("ref", "réf", "ref", "text", True,
           help=N_("A short reference of your choice, e.g. I1, used by the keys sheet.")),
    Column("investee", "bénéficiaire", "investee", "text", True),
    Column("siren", "siren", "siren", "text"),
    Column("legal_form", "forme juridique", "legal form", "choice", True,
           choices=("SCOP", "SCIC", "SARL", "SAS", "SA", "EURL", "SASU", "association", "EI",
                    "autre")),
    Column("kind", "nature", "kind", "choice", True,
           choices=("participation", "prêt d'honneur", "compte courant",
                    "apport avec droit de reprise", "titres participatifs")),
    Column("date", "date", "date", "date", True, help=N_("The day the money left.")),
    Column("amount", "montant", "amount", "money", True,
           help=N_("Equity: cost of the shares still held at D; loans: principal lent.")),
    Column("shares", "nombre de parts", "shares", "int"),
    Column("unit_price", "prix unitaire", "unit price", "money"),
    Column("impairment", "dépréciation cumulée", "cumulative impairment", "money"),
    Column("rate", "taux", "rate", "rate", help=N_("Annual rate, e.g. 0 or 1,5 %.")),
    Column("instalments", "échéances", "instalments", "int"),
    Column("frequency", "périodicité", "frequency", "choice",
           choices=("mensuelle", "trimestrielle", "annuelle")),
    Column("deferral", "différé", "deferral", "int", help=N_("Periods with no principal due.")),
    Column("method", "amortissement", "amortisation", "choice",
           choices=("linéaire", "annuité constante")),
    Column("first_due", "première échéance", "first due date", "date",
           help=N_("Checked against the schedule the terms give.")),
    Column("term", "terme", "term", "date",
           help=N_("Term of a contribution or of titres participatifs.")),
    Column("repaid", "capital remboursé au", "principal repaid up to D", "money"),
), required=False, help=N_("One row per investment still held or loan still running at D."))

KEYS = Table("keys", "clés", "keys", (
    Column("ref", "réf", "ref", "text", True),
    Column("member", "membre", "member", "text", True),
    # One of the next two on each row, the same one for every row of an investment.
    Column("key", "clé", "key", "fraction",
           help=N_("The member's frozen key: 0,25, 25 % or 1/4; the keys of one investment "
                   "sum to 1.")),
    Column("paid_at", "versé à la souscription", "paid in at subscription", "money",
           help=N_("Instead of the key: the member's paid-in total on the subscription date; "
                   "the keys are computed from these totals.")),
), required=False, help=N_("Optional: per investment, the frozen member keys the club kept, "
                           "or each member's paid-in total on its date. Without them the keys "
                           "are computed at D and the tax sheets say so."))

BALANCES = Table("balances", "soldes", "balances", (
    Column("account", "compte", "account", "text", True, help=N_("e.g. 5121, 5122, 110.")),
    Column("debit", "débit", "debit", "money"),
    Column("credit", "crédit", "credit", "money"),
), help=N_("Bank balances at D and any other balance-sheet account (not members' nor "
           "investments' accounts)."))

TABLES = (CLUB, MEMBERS, INVESTMENTS, KEYS, BALANCES)
# Member import reads the members table alone.
IMPORT_TABLES = (MEMBERS,)


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how names of sheets, columns and words match."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("’", "'").lower().split())


INSTRUCTIONS = (
    N_("How to fill this workbook"),
    N_("1. One sheet per table; keep the column headers, add one row per item. Columns may be "
       "in any order; empty optional columns may be left out."),
    N_("2. D is the switchover date given to the command (--as-of): every amount is the "
       "position at the end of that day."),
    N_("3. Amounts in euros with a decimal comma (1 234,56); dates as DD/MM/YYYY."),
    N_("4. The opening entry must balance: members' paid-in totals and amounts owed to "
       "leavers, plus the credit balances, equal the investments (cost less repaid and "
       "impairments) plus the bank balances and other debit balances."),
    N_("5. Check first with --dry-run: every problem is listed with its sheet, row and "
       "column; nothing is written until the file is right."),
)


def write_template(path: str, lang: str, translate: Callable[[str], str]) -> None:
    """The empty workbook: instructions, one sheet per table, lists on choice columns."""
    import openpyxl  # imported here: the CLI starts without it
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from cigales.switchover.reader import column_letter

    workbook = openpyxl.Workbook()
    info = workbook.active
    assert info is not None
    info.title = "instructions"
    info.append([translate(INSTRUCTIONS[0])])
    info["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS[1:]:
        info.append([translate(line)])
    info.append([])
    for table in TABLES:
        info.append([table.name(lang), translate(table.help)])
        info.cell(info.max_row, 1).font = Font(bold=True)
        for column in table.columns:
            mark = " *" if column.required else ""
            info.append(["", (column.fr if lang == "fr" else column.en) + mark,
                         translate(column.help) if column.help else ""])
    info.append([])
    info.append([translate(N_("* required"))])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 34
    info.column_dimensions["C"].width = 90
    for table in TABLES:
        ws = workbook.create_sheet(table.name(lang))
        ws.append([c.fr if lang == "fr" else c.en for c in table.columns])
        for i, column in enumerate(table.columns):
            letter = column_letter(i)
            ws[f"{letter}1"].font = Font(bold=True)
            ws.column_dimensions[letter].width = max(12, len(column.fr) + 4)
            cells = f"{letter}2:{letter}500"
            validation: DataValidation | None = None
            if column.kind == "choice" and column.choices:
                validation = DataValidation(type="list", allow_blank=not column.required,
                                            formula1='"' + ",".join(column.choices) + '"')
            elif column.kind in ("money", "units"):
                validation = DataValidation(type="decimal", operator="greaterThanOrEqual",
                                            formula1="0", allow_blank=True)
            elif column.kind == "int":
                validation = DataValidation(type="whole", operator="greaterThanOrEqual",
                                            formula1="0", allow_blank=True)
            elif column.kind == "date":
                validation = DataValidation(type="date", operator="greaterThan",
                                            formula1="1", allow_blank=True)
            if validation is not None:
                validation.error = translate(N_("See the instructions sheet."))
                ws.add_data_validation(validation)
                validation.add(cells)
        ws.freeze_panes = "A2"
    workbook.save(path)

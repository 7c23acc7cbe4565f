"""The chart of accounts a club's book is opened with (domain.md §2), and its sub-accounts.

Collective accounts (``postable=False``) only group one sub-account per member or investee:
``1011-M01`` for member M01's savings, ``261-la-fabrique`` for a stake in investee
``la-fabrique``. ``member_accounts()`` and ``investee_accounts()`` name those sub-accounts so
that the member and investment commands open them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    label: str
    postable: bool = True


CHART: tuple[ChartAccount, ...] = (
    ChartAccount("1011", "Apports des indivisaires", postable=False),
    ChartAccount("1018", "Résultats affectés aux indivisaires", postable=False),
    ChartAccount("110", "Report à nouveau (solde créditeur)"),
    ChartAccount("119", "Report à nouveau (solde débiteur)"),
    ChartAccount("120", "Résultat de l'exercice (bénéfice)"),
    ChartAccount("129", "Résultat de l'exercice (perte)"),
    ChartAccount("261", "Titres de participation", postable=False),
    ChartAccount("2671", "Avances en compte courant d'associé", postable=False),
    ChartAccount("2718", "Titres participatifs", postable=False),
    ChartAccount("273", "Titres immobilisés de l'activité de portefeuille", postable=False),
    ChartAccount("274", "Prêts (prêts d'honneur)", postable=False),
    ChartAccount("2768", "Apports avec droit de reprise", postable=False),
    ChartAccount("2961", "Dépréciations des titres de participation"),
    ChartAccount("2971", "Dépréciations des titres immobilisés"),
    ChartAccount("2974", "Dépréciations des prêts"),
    ChartAccount("2976", "Dépréciations des autres créances immobilisées"),
    ChartAccount("4567", "Indivisaires – sommes dues", postable=False),
    ChartAccount("471", "Compte d'attente"),
    ChartAccount("5121", "Banque – compte courant"),
    ChartAccount("5122", "Banque – livret"),
    ChartAccount("6160", "Assurance"),
    ChartAccount("6180", "Frais divers"),
    ChartAccount("6270", "Services bancaires"),
    ChartAccount("6281", "Cotisations (association régionale, fédération)"),
    ChartAccount("6750", "Valeur comptable des éléments cédés"),
    ChartAccount("6866", "Dotations aux dépréciations financières"),
    ChartAccount("7610", "Produits de participations"),
    ChartAccount("7620", "Produits des autres immobilisations financières"),
    ChartAccount("7680", "Intérêts du livret"),
    ChartAccount("7580", "Produits divers de gestion courante"),
    ChartAccount("7718", "Autres produits exceptionnels"),
    ChartAccount("7750", "Produits des cessions d'éléments d'actif"),
    ChartAccount("7866", "Reprises sur dépréciations"),
)

# Closing: results go to 120/129, then are carried forward to 110/119 by default.
PROFIT_ACCOUNT = "120"
LOSS_ACCOUNT = "129"
RETAINED_PROFIT_ACCOUNT = "110"
RETAINED_LOSS_ACCOUNT = "119"
BANK_ACCOUNT = "5121"
SAVINGS_ACCOUNT = "5122"
CASH_PREFIXES = ("5121", "5122")


def sub_account(parent: str, suffix: str) -> str:
    return f"{parent}-{suffix}"


# Parents of the per-member sub-accounts: written only by the member and saving commands, so
# that the capital movements behind the shares always match the books.
MEMBER_PARENTS = ("1011", "1018", "4567")


def is_member_account(code: str) -> bool:
    return code.split("-", 1)[0] in MEMBER_PARENTS and "-" in code


def member_accounts(member_code: str) -> tuple[ChartAccount, ...]:
    """Savings, allocated results and amounts owed for one member (labels carry no name)."""
    return (
        ChartAccount(sub_account("1011", member_code), f"Apports de l'indivisaire {member_code}"),
        ChartAccount(sub_account("1018", member_code),
                     f"Résultats affectés à l'indivisaire {member_code}"),
        ChartAccount(sub_account("4567", member_code),
                     f"Indivisaire {member_code} – sommes dues"),
    )


# Investment kind -> collective account of its sub-accounts (domain.md §2).
INVESTMENT_PARENTS = {
    "equity": "261",
    "shareholder": "2671",
    "participating": "2718",
    "honour": "274",
    "association": "2768",
}
IMPAIRMENT_ACCOUNT = "2961"
DISPOSAL_COST_ACCOUNT = "6750"
DISPOSAL_PROCEEDS_ACCOUNT = "7750"
IMPAIRMENT_CHARGE_ACCOUNT = "6866"
IMPAIRMENT_REVERSAL_ACCOUNT = "7866"
DIVIDEND_ACCOUNT = "7610"
LOAN_INTEREST_ACCOUNT = "7620"
RECOVERY_ACCOUNT = "7718"


# Sub-accounts name the instrument by the collective account's short label: 274 holds every
# loan, honour loans to persons and loans to companies alike, so "Prêts – X" (not "prêts
# d'honneur") for each borrower (docs/glossary.md).
SUB_ACCOUNT_LABELS = {"274": "Prêts"}


def investee_account(kind: str, investee_slug: str, investee_name: str) -> ChartAccount:
    parent = INVESTMENT_PARENTS[kind]
    label = SUB_ACCOUNT_LABELS.get(parent) or next(a.label for a in CHART if a.code == parent)
    return ChartAccount(sub_account(parent, investee_slug), f"{label} – {investee_name}")

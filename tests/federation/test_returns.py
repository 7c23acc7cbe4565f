"""The yearly club return: built from the books, validated, imported, aggregated.

The aggregation test uses three small clubs whose returns are written by hand below, plus the
hosted club of tests/reports (Les Cigales du Lac), so every total can be added up on paper.
"""

from __future__ import annotations

import copy
import json

import pytest

from cigales import db
from cigales.federation.document import (
    FORMAT,
    ReturnInconsistent,
    ReturnInvalid,
    ReturnTampered,
    checksum,
    dumps,
    loads,
    ratio_text,
    schema,
    seal,
    validate,
)
from cigales.services.clubs import get_club
from cigales.services.federation import current_returns, history, import_return
from ledger.money import Money
from ledger.queries import chain_head
from reports.club_return import build_return
from reports.federation import build_federation_report
from tests.federation.keys import register, signed
from tests.reports.conftest import SLUG, TODAY

m = Money.parse


@pytest.fixture
def lake_return(lake):
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        return build_return(s, club, 2025, generated=TODAY), chain_head(s, club.book_id)


def test_return_of_the_lake_club(lake_return):
    doc, (entries, head) = lake_return
    assert validate(doc, "lac.json") is doc
    # The keys a federation relies on, exactly.
    assert doc["format"] == FORMAT == "cigales-return/1"
    assert doc["year"] == 2025
    assert (doc["club"]["slug"], doc["club"]["region"], doc["club"]["phase"]) == (
        SLUG, "Bretagne", "investment")
    assert doc["members"] == {"active": 3, "joined": 1, "left": 0}
    assert (doc["savings_collected"], doc["cash_year_end"], doc["net_assets"]) == (
        "2500.00", "5080.00", "6480.00")
    assert doc["invested"] == {"total": "0.00", "count": 0, "by_kind": {}, "investments": []}
    assert (doc["repaid"], doc["income"], doc["written_off"]) == ("600.00", "50.00", "0.00")
    assert doc["loans"] == {"outstanding": "400.00", "at_risk_30": "400.00", "par30": "1.0000",
                            "arrears": {"1-30": "0.00", "31-90": "0.00", "91-180": "300.00",
                                        "180+": "100.00"}}
    assert doc["chain_head"] == {"entries": entries, "hash": head}
    assert doc["checksum"] == checksum(doc)
    assert list(doc)[-1] == "checksum"
    # No personal data: no member name anywhere in the document.
    text = dumps(doc)
    assert "Anne Martin" not in text
    assert "Chloé" not in text


def test_return_of_the_first_year_lists_the_investments(lake):
    with db.session_scope(lake, write=False) as s:
        doc = build_return(s, get_club(s, SLUG), 2024, generated=TODAY)
    assert doc["invested"]["total"] == "2200.00"
    assert doc["invested"]["by_kind"] == {"equity": "1000.00", "honour": "1200.00"}
    assert [(i["kind"], i["amount"], i["investee"]["legal_form"]) for i in
            doc["invested"]["investments"]] == [("equity", "1000.00", "SAS"),
                                                ("honour", "1200.00", "SARL")]
    assert doc["members"] == {"active": 2, "joined": 2, "left": 0}


def test_round_trip_through_the_file(lake_return):
    doc, _ = lake_return
    again = loads(dumps(doc).encode("utf-8"), "lac.json")
    assert again == doc
    assert validate(again, "lac.json") == doc


def test_a_changed_figure_is_detected(lake_return):
    doc, _ = lake_return
    tampered = copy.deepcopy(doc)
    tampered["savings_collected"] = "2600.00"
    with pytest.raises(ReturnTampered) as error:
        validate(tampered, "lac.json")
    assert error.value.code == "return_checksum_mismatch"


def test_schema_errors_name_the_place(lake_return):
    doc, _ = lake_return
    broken = copy.deepcopy(doc)
    del broken["members"]["left"]
    with pytest.raises(ReturnInvalid) as error:
        validate(seal(broken), "lac.json")
    assert error.value.code == "return_invalid"
    assert error.value.params["path"] == "members"
    wrong_amount = seal({**doc, "cash_year_end": "5080.5"})
    with pytest.raises(ReturnInvalid) as error:
        validate(wrong_amount, "lac.json")
    assert error.value.params["path"] == "cash_year_end"


def test_sums_that_do_not_add_up_are_refused(lake_return):
    doc, _ = lake_return
    bad = copy.deepcopy(doc)
    bad["invested"]["total"] = "100.00"  # resealed: the checksum is right, the sums are not
    with pytest.raises(ReturnInconsistent):
        validate(seal(bad), "lac.json")
    bad = copy.deepcopy(doc)
    bad["loans"]["par30"] = "0.5000"
    with pytest.raises(ReturnInconsistent):
        validate(seal(bad), "lac.json")


def test_ratio_text():
    assert ratio_text(1, 3) == "0.3333"
    assert ratio_text(2, 3) == "0.6667"
    assert ratio_text(0, 0) == "0.0000"
    assert ratio_text(5, 5) == "1.0000"


def test_schema_is_published_in_docs():
    from pathlib import Path

    published = Path(__file__).resolve().parents[2] / "docs" / "cigales-return-1.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == schema()


# -- import ----------------------------------------------------------------------------------

def hand_return(slug: str, region: str | None, year: int, *, phase: str = "investment",
                founded: str = "2020-03-01", active: int = 10, savings: str = "3000.00",
                cash: str = "5000.00", investments: tuple[tuple[str, str, str], ...] = (),
                outstanding: str = "0.00", at_risk: str = "0.00", jobs: int = 0) -> dict:
    """A return written by hand, signed with the club's test key (tests/federation/keys.py):
    investments are (kind, amount, legal form)."""
    total = sum(m(a).cents for _, a, _ in investments)
    by_kind: dict[str, int] = {}
    for kind, amount, _ in investments:
        by_kind[kind] = by_kind.get(kind, 0) + m(amount).cents
    return signed({
        "format": FORMAT, "year": year, "generated": f"{year + 1}-01-15",
        "club": {"slug": slug, "name": slug.replace("-", " ").title(), "region": region,
                 "department": None, "founded": founded, "phase": phase},
        "members": {"active": active, "joined": 1, "left": 0},
        "savings_collected": savings, "cash_year_end": cash, "net_assets": cash,
        "invested": {"total": Money(total).plain(), "count": len(investments),
                     "by_kind": {k: Money(v).plain() for k, v in by_kind.items()},
                     "investments": [
                         {"date": f"{year}-06-01", "kind": kind, "amount": amount,
                          "investee": {"name": "Entreprise", "siren": None,
                                       "legal_form": form, "sector": None}}
                         for kind, amount, form in investments]},
        "repaid": "0.00", "income": "0.00", "written_off": "0.00",
        "loans": {"outstanding": outstanding, "at_risk_30": at_risk,
                  "par30": ratio_text(m(at_risk).cents, m(outstanding).cents),
                  "arrears": {"1-30": "0.00", "31-90": "0.00", "91-180": "0.00",
                              "180+": "0.00"}},
        "jobs": {"created": jobs, "kept": 0},
        "chain_head": {"entries": 1, "hash": "0" * 64},
    })


def test_import_is_idempotent_and_keeps_the_history_of_corrections(engine):
    first = hand_return("les-hirondelles", "Bretagne", 2025)
    with db.session_scope(engine) as s:
        register(s, "les-hirondelles")
        outcome = import_return(s, first, source="a.json", today=TODAY)
    assert (outcome.status, outcome.revision) == ("imported", 1)
    with db.session_scope(engine) as s:
        assert import_return(s, first, source="a.json", today=TODAY).status == "unchanged"
    corrected = hand_return("les-hirondelles", "Bretagne", 2025, savings="3100.00")
    with db.session_scope(engine) as s:
        outcome = import_return(s, corrected, source="b.json", today=TODAY)
    assert (outcome.status, outcome.revision) == ("replaced", 2)
    with db.session_scope(engine, write=False) as s:
        versions = history(s, "les-hirondelles", 2025)
        assert [(v.revision, v.current) for v in versions] == [(1, False), (2, True)]
        assert [d["savings_collected"] for d in current_returns(s, 2025)] == ["3100.00"]
    # The older file again: already known, nothing changes.
    with db.session_scope(engine) as s:
        assert import_return(s, first, source="a.json", today=TODAY).status == "unchanged"
    with db.session_scope(engine, write=False) as s:
        assert [d["savings_collected"] for d in current_returns(s, 2025)] == ["3100.00"]


# -- aggregation ----------------------------------------------------------------------------

def test_aggregates_by_hand_for_three_clubs_and_a_hosted_one(lake):
    returns = [
        # Bretagne: two clubs from returns (one new in 2025), plus the hosted lake club.
        hand_return("les-hirondelles", "Bretagne", 2025, active=12, savings="3000.00",
                    cash="4000.00", investments=(("equity", "3000.00", "SAS"),
                                                 ("honour", "2000.00", "SCOP")),
                    outstanding="2000.00", at_risk="0.00", jobs=3),
        hand_return("les-goelands", "Bretagne", 2025, founded="2025-02-01", active=8,
                    savings="1500.00", cash="1500.00"),
        hand_return("les-ecureuils", "Pays de la Loire", 2025, phase="management", active=15,
                    savings="0.00", cash="9000.00",
                    investments=(("honour", "1000.00", "SARL"),),
                    outstanding="3000.00", at_risk="1500.00", jobs=2),
        # A return of the hosted club itself must not be counted twice (19: members are
        # bounded to 20 by the schema since issue #14).
        hand_return(SLUG, "Bretagne", 2025, active=19, savings="99999.00"),
        # Previous year, for the year-over-year change.
        hand_return("les-hirondelles", "Bretagne", 2024, active=11, savings="2800.00",
                    cash="2000.00", investments=(("equity", "1500.00", "SAS"),)),
    ]
    with db.session_scope(lake) as s:
        register(s, *sorted({doc["club"]["slug"] for doc in returns}))
        for i, doc in enumerate(returns):
            import_return(s, doc, source=f"{i}.json", today=TODAY)
    with db.session_scope(lake, write=False) as s:
        report = build_federation_report(s, 2025, generated=TODAY)
    t = report.totals.current
    assert (report.hosted, report.from_returns) == (1, 3)
    assert t.clubs == 4
    assert t.new_clubs == 1
    assert t.clubs_by_phase == {"investment": 3, "management": 1, "liquidation": 0,
                                "closed": 0}
    assert t.members_active == 12 + 8 + 15 + 3  # the hosted club has 3, not 19
    assert t.savings_collected == m("3000") + m("1500") + m("0") + m("2500")
    assert t.cash_year_end == m("4000") + m("1500") + m("9000") + m("5080")
    assert t.invested == m("6000")
    assert t.projects == 3
    assert t.average_ticket == m("2000")
    assert t.invested_by_kind == {"equity": m("3000"), "honour": m("3000")}
    assert t.invested_by_legal_form == {"SARL": m("1000"), "SAS": m("3000"), "SCOP": m("2000")}
    # PAR30 weighted by outstanding: (0 + 1,500 + 400) ÷ (2,000 + 3,000 + 400).
    assert t.loans_outstanding == m("5400")
    assert t.loans_at_risk_30 == m("1900")
    assert t.par30 == ratio_text(1900, 5400) == "0.3519"
    assert (t.jobs_created, t.jobs_kept) == (5, 0)
    regions = {g.name: g.current for g in report.regions}
    assert set(regions) == {"Bretagne", "Pays de la Loire"}
    assert regions["Bretagne"].clubs == 3
    assert regions["Pays de la Loire"].par30 == "0.5000"
    # The previous year: the hosted club's 2024 books and the 2024 return.
    p = report.totals.previous
    assert p.clubs == 2
    assert p.savings_collected == m("2800") + m("4000")
    assert p.invested == m("1500") + m("2200")
    # Filtering on one region.
    with db.session_scope(lake, write=False) as s:
        loire = build_federation_report(s, 2025, generated=TODAY, region="Pays de la Loire")
    assert loire.totals.current.clubs == 1
    assert [g.name for g in loire.regions] == ["Pays de la Loire"]

"""Forged and inflated returns are refused and replace nothing (issue #14, item 4).

The checksum only proves a file is intact; a hostile sender reseals whatever it writes. So
every figure is bounded by the schema (amounts below the money maximum, members 0–20, counts
within reason), the figures must agree with each other, and a return that moves a known club
to another region needs the region's confirmation. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy

import pytest

from cigales import db
from cigales.federation.document import ReturnInconsistent, ReturnInvalid, seal
from cigales.services.federation import (
    ReturnRegionChanged,
    current_returns,
    history,
    import_return,
)
from tests.federation.test_returns import hand_return
from tests.reports.conftest import TODAY

SLUG = "les-hirondelles"


def stored(engine) -> list[dict]:
    with db.session_scope(engine, write=False) as s:
        return current_returns(s, 2025)


@pytest.fixture
def imported(engine) -> dict:
    doc = hand_return(SLUG, "Bretagne", 2025)
    with db.session_scope(engine) as s:
        import_return(s, doc, source="vrai.json", today=TODAY)
    return doc


def forged(doc: dict, **changes) -> dict:
    bad = copy.deepcopy(doc)
    del bad["checksum"]
    for path, value in changes.items():
        target = bad
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return seal(bad)


@pytest.mark.parametrize(("changes", "error", "place"), [
    ({"cash_year_end": "1" + "0" * 39 + ".00"}, ReturnInvalid, "cash_year_end"),
    ({"savings_collected": "1000000000000.00"}, ReturnInvalid, "savings_collected"),
    ({"members__active": 21}, ReturnInvalid, "members/active"),
    ({"jobs__created": 10**9}, ReturnInvalid, "jobs/created"),
    ({"loans__arrears__180+": "50.00"}, ReturnInconsistent, None),
    ({"generated": "2024-12-31"}, ReturnInconsistent, None),
])
def test_inflated_returns_are_refused_and_replace_nothing(engine, imported, changes, error,
                                                          place):
    with db.session_scope(engine) as s, pytest.raises(error) as caught:
        import_return(s, forged(imported, **changes), source="faux.json", today=TODAY)
    if place is not None:
        assert caught.value.params["path"] == place
    assert stored(engine) == [imported]


def test_a_known_club_claiming_another_region_is_refused_unless_confirmed(engine, imported):
    for region in ("Occitanie", None):
        moved = forged(imported, club__region=region, savings_collected="3100.00")
        with db.session_scope(engine) as s, pytest.raises(ReturnRegionChanged) as caught:
            import_return(s, moved, source="autre.json", today=TODAY)
        assert caught.value.code == "return_region_changed"
        assert stored(engine) == [imported]
    moved = forged(imported, club__region="Occitanie", savings_collected="3100.00")
    with db.session_scope(engine) as s:
        outcome = import_return(s, moved, source="autre.json", today=TODAY,
                                accept_region_change=True)
    assert outcome.status == "replaced"
    with db.session_scope(engine, write=False) as s:
        assert [v.region for v in history(s, SLUG, 2025)] == ["Bretagne", "Occitanie"]


def test_a_new_club_may_name_any_region(engine):
    with db.session_scope(engine) as s:
        outcome = import_return(s, hand_return("nouveau", "Occitanie", 2025), source="n.json",
                                today=TODAY)
    assert outcome.status == "imported"

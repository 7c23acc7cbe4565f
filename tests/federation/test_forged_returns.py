"""Forged and inflated returns are refused and replace nothing (issue #14, item 4).

The checksum only proves a file is intact; a hostile sender reseals whatever it writes. So
every figure is bounded by the schema (amounts below the money maximum, members 0–20, counts
within reason), the figures must agree with each other, a return that moves a known club
to another region needs the region's confirmation, and every return must be signed by the key
the region registered for the club: forged (another key), changed after signing, unsigned,
from a club without a registered key. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy

import pytest

from cigales import db
from cigales.federation import signing
from cigales.federation.document import ReturnInconsistent, ReturnInvalid, seal
from cigales.federation.signing import CHANGED, OTHER_KEY, UNSIGNED, ReturnSignatureInvalid
from cigales.services.federation import (
    ReturnRegionChanged,
    current_returns,
    history,
    import_return,
)
from cigales.services.federation_keys import (
    ClubKeyAlreadyRegistered,
    ReturnKeyNotRegistered,
    key_history,
    register_key,
)
from tests.federation.keys import private_key, register, signed
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
        register(s, SLUG)
        import_return(s, doc, source="vrai.json", today=TODAY)
    return doc


def edited(doc: dict, **changes) -> dict:
    """A copy of ``doc`` with ``changes`` (``a__b`` for ``doc[a][b]``), neither re-signed nor
    resealed."""
    bad = copy.deepcopy(doc)
    del bad["checksum"]
    for path, value in changes.items():
        target = bad
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return bad


def forged(doc: dict, **changes) -> dict:
    """Changed figures, signed with the club's own key and sealed: what the bounds and the
    cross-field checks must refuse even from the real club."""
    return signed(edited(doc, **changes))


@pytest.mark.parametrize(("changes", "error", "place"), [
    ({"cash_year_end": "1" + "0" * 39 + ".00"}, ReturnInvalid, "cash_year_end"),
    ({"savings_collected": "1000000000000.00"}, ReturnInvalid, "savings_collected"),
    ({"members__active": 21}, ReturnInvalid, "members/active"),
    ({"jobs__created": 10**9}, ReturnInvalid, "jobs/created"),
    ({"loans__arrears__180+": "50.00"}, ReturnInconsistent, None),
    ({"generated": "2024-12-31"}, ReturnInconsistent, None),
    ({"generated": "2026-02-30"}, ReturnInconsistent, None),
    ({"generated": "2025-05-01", "club__founded": "2025-06-01"}, ReturnInconsistent, None),
    ({"members__joined": 5, "members__active": 3, "members__left": 1}, ReturnInconsistent,
     None),
    ({"members__left": -1}, ReturnInvalid, "members/left"),
    ({"invested__count": 100001}, ReturnInvalid, "invested/count"),
    ({"loans__outstanding": "-5.00"}, ReturnInvalid, "loans/outstanding"),
    ({"net_assets": "-1000000000000.00"}, ReturnInvalid, "net_assets"),
    ({"chain_head__entries": 10**10}, ReturnInvalid, "chain_head/entries"),
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
        register(s, "nouveau")
        outcome = import_return(s, hand_return("nouveau", "Occitanie", 2025), source="n.json",
                                today=TODAY)
    assert outcome.status == "imported"


# -- signatures ------------------------------------------------------------------------------

def refused(engine, document: dict, error: type[Exception]) -> Exception:
    with db.session_scope(engine) as s, pytest.raises(error) as caught:
        import_return(s, document, source="faux.json", today=TODAY)
    return caught.value


def unchanged(engine, imported: dict) -> None:
    assert stored(engine) == [imported]
    with db.session_scope(engine, write=False) as s:
        assert [v.revision for v in history(s, SLUG, 2025)] == [1]


def test_a_return_signed_with_another_key_is_refused(engine, imported):
    # A well-formed, consistent return with the real club's slug, signed by someone else.
    forgery = signed(edited(imported, savings_collected="3100.00"), private_key("intrus"))
    error = refused(engine, forgery, ReturnSignatureInvalid)
    assert error.code == "return_signature_invalid"
    assert error.params["reason"] == OTHER_KEY
    unchanged(engine, imported)


def test_a_figure_inflated_after_signing_is_refused(engine, imported):
    # Resealed (the checksum is right again) but not re-signed: the club never signed this.
    inflated = seal(edited(imported, cash_year_end="999999999999.00"))
    error = refused(engine, inflated, ReturnSignatureInvalid)
    assert error.params["reason"] == CHANGED
    # The same for a count: the signature block, copied over, no longer matches.
    bigger = seal(edited(imported, members__active=20))
    assert refused(engine, bigger, ReturnSignatureInvalid).params["reason"] == CHANGED
    unchanged(engine, imported)


def test_an_unsigned_return_is_refused(engine, imported):
    unsigned = edited(imported, savings_collected="3100.00")
    del unsigned["signature"]
    error = refused(engine, seal(unsigned), ReturnSignatureInvalid)
    assert error.params["reason"] == UNSIGNED
    unchanged(engine, imported)


def test_another_region_written_by_a_third_party_is_refused_even_when_confirmed(engine,
                                                                              imported):
    moved = seal(edited(imported, club__region="Occitanie"))  # not signed by the club
    with db.session_scope(engine) as s, pytest.raises(ReturnSignatureInvalid):
        import_return(s, moved, source="autre.json", today=TODAY, accept_region_change=True)
    unchanged(engine, imported)


def test_a_club_without_a_registered_key_is_refused(engine, imported):
    newcomer = hand_return("les-mouettes", "Bretagne", 2025)
    error = refused(engine, newcomer, ReturnKeyNotRegistered)
    assert error.code == "return_key_not_registered"
    assert error.params["club"] == "les-mouettes"
    unchanged(engine, imported)
    assert [d["club"]["slug"] for d in stored(engine)] == [SLUG]


def test_a_new_key_needs_replace_and_every_key_stays_on_record(engine, imported):
    new = signing.public_key(private_key(SLUG, 2))
    with db.session_scope(engine) as s, pytest.raises(ClubKeyAlreadyRegistered):
        register_key(s, SLUG, new, today=TODAY, source="new.pem")
    with db.session_scope(engine) as s:
        done = register_key(s, SLUG, new, today=TODAY, source="new.pem", replace=True)
    assert (done.status, done.revision) == ("replaced", 2)
    with db.session_scope(engine, write=False) as s:
        keys = [(k.revision, k.current, k.replaced_on, k.source) for k in key_history(s, SLUG)]
    assert keys == [(1, False, TODAY, "test"), (2, True, None, "new.pem")]
    # From now on only the new key signs for the club.
    old_key = hand_return(SLUG, "Bretagne", 2025, savings="3100.00")
    assert refused(engine, old_key, ReturnSignatureInvalid).params["reason"] == OTHER_KEY
    unchanged(engine, imported)
    new_key = signed(edited(old_key), private_key(SLUG, 2))
    with db.session_scope(engine) as s:
        assert import_return(s, new_key, source="b.json", today=TODAY).status == "replaced"
    # The same key registered again changes nothing.
    with db.session_scope(engine) as s:
        assert register_key(s, SLUG, new, today=TODAY, source="x").status == "unchanged"

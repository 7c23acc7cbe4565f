"""Stored returns of closed years (issue 16, item 2): computed and stored when the year is
closed, reused by `federation report` and `federation return` while the book's chain head is
unchanged, computed again (and stored again) once an entry moved it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import delete, select

from cigales import db
from cigales.models import ClosedYearReturn
from cigales.services.clubs import get_club
from ledger.queries import chain_head
from reports import club_return
from reports.club_return import build_return
from tests.reports.conftest import TODAY


def _signed(url: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document as `federation return` writes it: signed with the club's key (Ed25519
    signatures are deterministic, so the same figures give the same file)."""
    from cigales.services.federation_keys import sign_return

    engine = db.make_engine(url)
    try:
        with db.session_scope(engine, write=False) as s:
            return sign_return(get_club(s, SLUG), document)
    finally:
        engine.dispose()

SLUG = "les-fourmis"


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """(year, club slug) of every return computed from the books, not read from storage."""
    seen: list[tuple[int, str]] = []
    real = club_return.build_returns

    def counting(session, clubs, year, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend((year, c.slug) for c in clubs)
        return real(session, clubs, year, **kwargs)

    monkeypatch.setattr(club_return, "build_returns", counting)
    return seen


def _stored(url: str) -> dict[int, ClosedYearReturn]:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine, write=False) as s:
            return {r.year: r for r in s.execute(select(ClosedYearReturn)).scalars()}
    finally:
        engine.dispose()


def _fresh(url: str, year: int) -> tuple[dict[str, Any], tuple[int, str]]:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine, write=False) as s:
            club = get_club(s, SLUG)
            return build_return(s, club, year, generated=TODAY), chain_head(s, club.book_id)
    finally:
        engine.dispose()


def test_closing_stores_the_return_and_readers_reuse_it(club_cli, database_url, computed):
    assert club_cli("year", "close", "--club", SLUG, "--year", "2021", "--yes").exit_code == 0
    stored = _stored(database_url)
    assert set(stored) == {2021}
    document, head = _fresh(database_url, 2021)
    assert json.loads(stored[2021].document) == document
    assert (stored[2021].chain_entries, stored[2021].chain_hash) == head
    assert document["chain_head"] == {"entries": head[0], "hash": head[1]}

    computed.clear()
    result = club_cli("federation", "return", "--club", SLUG, "--year", "2021")
    assert result.exit_code == 0, result.stderr
    assert result.json() == _signed(database_url, document)
    assert computed == []  # read from storage, nothing computed

    report = club_cli("federation", "report", "--year", "2022", "--format", "json")
    assert report.exit_code == 0, report.stderr
    # 2022 is open: computed; 2021 (the previous year of the report) is reused.
    assert computed == [(2022, SLUG)]
    # The same report as from the books: drop the stored return and compare.
    engine = db.make_engine(database_url)
    try:
        with db.session_scope(engine) as s:
            s.execute(delete(ClosedYearReturn))
    finally:
        engine.dispose()
    computed.clear()
    again = club_cli("federation", "report", "--year", "2022", "--format", "json")
    assert again.json() == report.json()
    assert (2021, SLUG) in computed
    # ... and that recomputation stored the closed year's return back.
    assert json.loads(_stored(database_url)[2021].document) == document


def test_a_new_entry_invalidates_the_stored_return(club_cli, database_url, computed):
    assert club_cli("year", "close", "--club", SLUG, "--year", "2021", "--yes").exit_code == 0
    before = _stored(database_url)[2021]
    # A correction booked in a later year: 2021's figures cannot change (it is closed), but
    # the chain head moves, so the stored return is no longer trusted.
    assert club_cli("entry", "add", "--club", SLUG, "--date", "2022-02-01", "--label",
                    "Correction frais", "--journal", "BQ", "--line", "6270=1",
                    "--line", "5121=-1").exit_code == 0
    document, head = _fresh(database_url, 2021)
    assert head != (before.chain_entries, before.chain_hash)

    computed.clear()
    result = club_cli("federation", "return", "--club", SLUG, "--year", "2021")
    assert result.exit_code == 0, result.stderr
    assert computed == [(2021, SLUG)]  # computed again from the books
    assert result.json() == _signed(database_url, document)
    assert result.json()["chain_head"] == {"entries": head[0], "hash": head[1]}
    after = _stored(database_url)[2021]
    assert (after.chain_entries, after.chain_hash) == head  # stored again, new head
    assert json.loads(after.document) == document

    computed.clear()
    assert club_cli("federation", "return", "--club", SLUG, "--year", "2021").json() == \
        _signed(database_url, document)
    assert computed == []  # the restored return is reused

    # The federation report restores too: a second entry, one report computes, the next not.
    assert club_cli("entry", "add", "--club", SLUG, "--date", "2022-03-01", "--label",
                    "Frais", "--journal", "BQ", "--line", "6270=2",
                    "--line", "5121=-2").exit_code == 0
    computed.clear()
    first = club_cli("federation", "report", "--year", "2021", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert (2021, SLUG) in computed
    computed.clear()
    second = club_cli("federation", "report", "--year", "2021", "--format", "json")
    assert second.json() == first.json()
    assert (2021, SLUG) not in computed


def test_a_provisional_return_is_never_stored(club_cli, database_url, computed):
    result = club_cli("federation", "return", "--club", SLUG, "--year", "2021",
                      "--provisional")
    assert result.exit_code == 0, result.stderr
    assert result.json()["provisional"] is True
    assert _stored(database_url) == {}
    report = club_cli("federation", "report", "--year", "2021", "--format", "json")
    assert report.exit_code == 0, report.stderr
    assert _stored(database_url) == {}  # 2021 is not closed: nothing to keep


def test_facts_without_an_entry_drop_the_stored_return(club_cli, database_url, computed):
    """Jobs, an investee's SIREN, phase decisions and members are read by the return but are
    written without an entry, so they do not move the chain head: their writers drop the
    stored returns instead."""
    assert club_cli("investee", "add", "--club", SLUG, "--slug", "atelier", "--name",
                    "Atelier", "--legal-form", "SCOP").exit_code == 0
    assert club_cli("year", "close", "--club", SLUG, "--year", "2021", "--yes").exit_code == 0
    stored = json.loads(_stored(database_url)[2021].document)
    assert stored["jobs"] == {"created": 0, "kept": 0}
    head = _fresh(database_url, 2021)[1]
    assert club_cli("investee", "jobs", "--club", SLUG, "--investee", "atelier", "--date",
                    "2021-06-30", "--created", "2", "--kept", "1").exit_code == 0
    assert _fresh(database_url, 2021)[1] == head  # no entry: the head did not move
    assert _stored(database_url) == {}
    computed.clear()
    result = club_cli("federation", "return", "--club", SLUG, "--year", "2021")
    assert result.exit_code == 0, result.stderr
    assert result.json()["jobs"] == {"created": 2, "kept": 1}
    assert computed == [(2021, SLUG)]
    assert _signed(database_url, json.loads(_stored(database_url)[2021].document)) == \
        result.json()

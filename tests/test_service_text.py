"""The services refuse control characters and over-long text themselves (issue #14, item 3).

The command line bounds every value before a command runs (cigales/cli/bounds.py), but the
services are also called from the web forms, the switchover reader, the demo generator and
scripts. Called directly from Python, each one refuses a name, label, e-mail, address, region
or sector with a control character (ESC sequences, NUL, line breaks, bidirectional overrides)
or longer than its column, with the same coded errors as the CLI, and writes nothing. Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cigales import db
from cigales.services import accounts, bookkeeping, clubs, flows, investments, members, plans
from ledger import limits
from ledger.limits import ControlCharacters, TextTooLong
from ledger.money import Money
from tests.cli.conftest import snapshot
from tests.helpers import FOUNDED, TODAY

HOSTILE = ["\x1b[31mrouge\x1b[0m", "nul\x00octet", "ligne\nsuivante", "tab\there",
           "\u202eevil", "del\x7f", "c1\x9b"]
DAY = FOUNDED.replace(year=FOUNDED.year + 1)


def _club(s, **text: str) -> Any:
    values = {"name": "Les Fourmis", **text}
    return clubs.create_club(s, "nouveau-club", values.pop("name"), FOUNDED, today=TODAY,
                             **values)


def _member(s, club, **text: str) -> Any:
    values = {"name": "Anne Martin", **text}
    return members.add_member(s, club, code="M09", joined=FOUNDED, today=TODAY,
                              name=values.pop("name"), **values)


def _edit(s, club, **text: str) -> Any:
    return plans.edit_member(s, club, "M01", **text)


def _investee(s, club, **text: str) -> Any:
    values = {"name": "La Fabrique", **text}
    return investments.add_investee(s, club, slug="la-fabrique", legal_form="SAS",
                                    name=values.pop("name"), **values)


def _account(s, club, label: str) -> Any:
    return accounts.open_account(s, club, "62701", label)


def _expense(s, club, label: str) -> Any:
    return flows.add_expense(s, club, date=DAY, amount=Money.parse("4"), kind="bank_fees",
                             label=label, today=TODAY)


def _entry(s, club, label: str) -> Any:
    return bookkeeping.add_entry(s, club, date=DAY, label=label, journal="BQ", today=TODAY,
                                 lines=[("6270", Money.parse("4")),
                                        ("5121", Money.parse("-4"))])


# (service call, longest accepted text): each call gets one text field to fill.
CASES: dict[str, tuple[Callable[..., Any], int]] = {
    "club name": (lambda s, c, t: _club(s, name=t), limits.NAME_MAX),
    "club region": (lambda s, c, t: _club(s, region=t), limits.REGION_MAX),
    "member name": (lambda s, c, t: _member(s, c, name=t), limits.NAME_MAX),
    "member email": (lambda s, c, t: _member(s, c, email=t), limits.NAME_MAX),
    "member address": (lambda s, c, t: _member(s, c, address=t), limits.ADDRESS_MAX),
    "edited name": (lambda s, c, t: _edit(s, c, name=t), limits.NAME_MAX),
    "edited email": (lambda s, c, t: _edit(s, c, email=t), limits.NAME_MAX),
    "edited address": (lambda s, c, t: _edit(s, c, address=t), limits.ADDRESS_MAX),
    "investee name": (lambda s, c, t: _investee(s, c, name=t), limits.NAME_MAX),
    "investee sector": (lambda s, c, t: _investee(s, c, sector=t), limits.REGION_MAX),
    "account label": (_account, limits.NAME_MAX),
    "expense label": (_expense, limits.LABEL_MAX),
    "entry label": (_entry, limits.LABEL_MAX),
}


@pytest.fixture
def club(engine):
    with db.session_scope(engine) as s:
        made = clubs.create_club(s, "les-fourmis", "Les Fourmis", FOUNDED, today=TODAY)
        members.add_member(s, made, code="M01", name="Anne Martin", joined=FOUNDED,
                           today=TODAY)
    return made.slug


def attempt(engine, slug: str, call: Callable[..., Any], text: str) -> None:
    with db.session_scope(engine) as s:
        call(s, clubs.get_club(s, slug), text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_services_refuse_control_characters_and_long_text(engine, database_url, club, case):
    call, limit = CASES[case]
    before = snapshot(database_url)
    for text in HOSTILE:
        with pytest.raises(ControlCharacters) as caught:
            attempt(engine, club, call, text)
        assert caught.value.code == "control_characters", (case, text)
    with pytest.raises(TextTooLong) as too_long:
        attempt(engine, club, call, "é" * (limit + 1))
    assert too_long.value.params["limit"] == limit
    assert snapshot(database_url) == before
    # The longest text allowed, in letters outside ASCII, is accepted and stored whole.
    attempt(engine, club, call, "é" * limit)
    assert snapshot(database_url) != before


@pytest.mark.parametrize("text", HOSTILE)
def test_a_web_account_email_with_control_characters_is_refused(engine, database_url, text):
    from cigales.services.web_accounts import InvalidEmail, Role, invite

    before = snapshot(database_url)
    with db.session_scope(engine) as s, pytest.raises(InvalidEmail) as caught:
        invite(s, Role("federation"), email=f"{text}@exemple.fr")
    assert caught.value.code == "invalid_email"
    assert "\x1b" not in caught.value.render(str)  # the message shows no escape sequence
    assert snapshot(database_url) == before

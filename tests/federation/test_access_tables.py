"""Every club-scoped table is under the access-control policy, or consciously left out.

Runs on every backend (SQLite too), on the schema the migrations actually build, so a table
added by a later migration (bank_*, federation_* ...) fails here until it is added to
``cigales.federation.access.CLUB_TABLES`` (with its policy) or to ``EXCLUDED_TABLES`` (with
the reason).
"""

from __future__ import annotations

from cigales.federation.access import CLUB_TABLES, EXCLUDED_TABLES, club_scoped_tables


def test_every_club_scoped_table_is_covered(engine):
    with engine.connect() as conn:
        scoped = club_scoped_tables(conn)
    missing = scoped - set(CLUB_TABLES) - set(EXCLUDED_TABLES)
    assert missing == set(), (
        f"club-scoped tables without an access policy: {sorted(missing)}; add them to "
        "CLUB_TABLES in cigales/federation/access.py (or to EXCLUDED_TABLES, with why)")


def test_the_list_names_real_club_tables(engine):
    # The walk must see the core tables (it would otherwise pass vacuously), and the list
    # must not carry tables that no longer exist or are not club-scoped.
    with engine.connect() as conn:
        scoped = club_scoped_tables(conn)
    assert {"club", "book", "entry", "posting", "member", "member_identity",
            "loan_instalment"} <= scoped
    assert set(CLUB_TABLES) - scoped == set()
    assert set(CLUB_TABLES) & set(EXCLUDED_TABLES) == set()

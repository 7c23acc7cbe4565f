"""Issue #14 on a shared PostgreSQL server, as real roles: refusals are coded, never tracebacks.

Skipped without CIGALES_TEST_PG_URL (CI always sets it).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cigales.federation import access
from tests.federation.test_access_pg import PG_URL, cli, rows, url_as, world

__all__ = ["world"]  # the module-scoped fixture, imported for the tests below

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CIGALES_TEST_PG_URL)")


def test_a_club_role_creating_a_club_is_told_it_may_not(world, capsys):
    with world.engine.connect() as conn:
        before = {t: rows(conn, t) for t in access.CLUB_TABLES}
    capsys.readouterr()
    code = cli(url_as(world.url, world.club_a), "club", "create", "nouveau-club",
               "--name", "Nouveau", "--founded", "2024-01-01")
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().endswith("[permission_denied]"), err
    assert "Traceback" not in err
    with world.engine.connect() as conn:
        assert {t: rows(conn, t) for t in access.CLUB_TABLES} == before
        assert conn.execute(text("SELECT COUNT(*) FROM club WHERE slug = 'nouveau-club'")
                            ).scalar_one() == 0

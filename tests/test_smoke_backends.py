from sqlalchemy import text

from tests.helpers import make_club


def test_club_creation_opens_the_chart(engine):
    club = make_club(engine)
    with engine.connect() as conn:
        codes = {r[0] for r in conn.execute(
            text("SELECT code FROM account WHERE book_id = :b"), {"b": club.book_id})}
    assert {"5121", "1011", "6270", "7680", "471"} <= codes

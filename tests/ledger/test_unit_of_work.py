"""The unit of work of ledger.post: a transaction locks a book and reads its counters,
fiscal years and accounts once, and every rule still holds (numbering, chain, closed years,
savepoints rolled back)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from cigales import db
from cigales.phases import Phase
from cigales.services import lifecycle
from cigales.services.clubs import get_club
from ledger import errors
from ledger.audit import check_book
from ledger.closing import close_year
from ledger.post import deferred, pending, post_entries, post_entry, settle
from ledger.queries import chain_head
from ledger.schema import Entry
from tests.helpers import TODAY, draft, make_club

D = dt.date


def fees(day: int, month: int = 4, year: int = 2021, key: str | None = None):
    return draft(D(year, month, day), ("6270", "1,00"), ("5121", "-1,00"), key=key)


@pytest.fixture
def counted(engine):
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def test_one_lock_and_six_statements_per_entry_in_one_transaction(engine, counted):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))  # first entry: reads the book, counters...
        counted.clear()
        for day in range(2, 22):
            post_entry(s, club.book_id, fees(day))
    locks = [q for q in counted if "FOR UPDATE" in q.upper() or q.lstrip().upper().startswith(
        "SELECT BOOK")]
    assert locks == []  # the book was locked by the first entry, once for the transaction
    # insert entry, insert postings, add them to the kept balances, seal, chain head,
    # journal counter
    assert len(counted) == 20 * 6
    with db.session_scope(engine, write=False) as s:
        numbers = s.execute(select(Entry.number).where(Entry.book_id == club.book_id)
                            .order_by(Entry.seq)).scalars().all()
        assert numbers == list(range(1, 22))
        assert check_book(s, club.book_id) == []


def test_a_new_transaction_reads_the_book_again(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))
    with db.session_scope(engine) as s:
        second = post_entry(s, club.book_id, fees(2))
    assert second.number == 2
    with db.session_scope(engine, write=False) as s:
        assert check_book(s, club.book_id) == []


def test_a_rolled_back_savepoint_leaves_no_stale_number_or_chain(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))
        savepoint = s.begin_nested()
        post_entries(s, club.book_id, [fees(2), fees(3)])
        savepoint.rollback()
        after = post_entry(s, club.book_id, fees(4))
        assert after.number == 2  # the rolled-back numbers are given again: no gap
    with db.session_scope(engine, write=False) as s:
        assert check_book(s, club.book_id) == []


def test_a_year_closed_in_the_transaction_refuses_entries(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))  # caches 2021 as open
        close_year(s, club.book_id, 2021)
        with pytest.raises(errors.FiscalYearClosed):
            post_entry(s, club.book_id, fees(5, month=6))
        assert post_entry(s, club.book_id, fees(5, month=1, year=2022)).number >= 1
    with db.session_scope(engine, write=False) as s:
        assert check_book(s, club.book_id) == []


def test_an_account_opened_in_the_transaction_is_found(engine):
    from cigales.services import accounts

    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))  # caches the accounts it used
        with pytest.raises(errors.UnknownAccount):
            post_entry(s, club.book_id, draft(D(2021, 4, 2), ("6270-X", "1,00"),
                                              ("5121", "-1,00")))
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(2))
        accounts.open_account(s, get_club(s, club.slug), "6270-X", "Frais de formation")
        assert post_entry(s, club.book_id, draft(D(2021, 4, 3), ("6270-X", "1,00"),
                                                 ("5121", "-1,00"))).number == 3


def test_the_phase_read_in_a_transaction_follows_its_own_events(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        the_club = get_club(s, club.slug)
        date = D(2026, 3, 1)
        assert lifecycle.lifecycle(s, the_club).prorogation is None  # now cached
        lifecycle.extend(s, the_club, date, late=False, today=TODAY)
        life = lifecycle.lifecycle(s, the_club)
        assert life.prorogation is not None
        assert life.phase_at(D(2026, 4, 1)) == Phase.MANAGEMENT


# -- deferred finishing (ledger.post.deferred) ----------------------------------------------------

def _unsealed(engine, book_id: int) -> int:
    with db.session_scope(engine, write=False) as s:
        return len(s.execute(select(Entry.id).where(Entry.book_id == book_id,
                                                    Entry.sealed.is_(False))).all())


def test_deferred_entries_cost_three_statements_and_are_sealed_when_the_block_ends(
        engine, counted):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))  # reads the book, counters, accounts
        with deferred(s):
            counted.clear()
            for day in range(2, 22):
                post_entry(s, club.book_id, fees(day))
            # insert entry, insert postings: the kept month balances (ledger.balances),
            # sealing, chain head and counter wait. PostgreSQL also takes the entries' ids
            # from the sequence ahead, 16 then 32 at a time (the two inserts of an entry are
            # then sent in one round trip: test_postgresql_sends_an_entry_...).
            ahead = [q for q in counted if "nextval" in q]
            assert len(ahead) == (2 if engine.dialect.name == "postgresql" else 0)
            assert len(counted) == 20 * 2 + len(ahead)
            assert pending(s)
            assert s.execute(select(Entry.sealed).where(Entry.book_id == club.book_id)
                             .order_by(Entry.seq.desc()).limit(1)).scalar_one() is False
            counted.clear()
        # one kept-balance upsert, one seal, one chain head, one counter for the 20 entries
        assert len(counted) == 4
        assert not pending(s)
    assert _unsealed(engine, club.book_id) == 0
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 21
        assert check_book(s, club.book_id) == []


def _pipeline_on(session) -> bool:
    raw = session.connection().connection.driver_connection
    status = getattr(getattr(raw, "info", None), "pipeline_status", None)  # psycopg only
    return status is not None and status.name == "ON"


def test_postgresql_sends_an_entry_its_postings_and_the_callers_rows_in_one_round_trip(
        engine):
    club = make_club(engine)
    seen: list[tuple[bool, list[int]]] = []
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))
        # then= runs right after the inserts: in the pipeline on PostgreSQL in a deferred
        # block, never outside one nor on SQLite (where nothing is pipelined).
        post_entries(s, club.book_id, [fees(2)],
                     then=lambda written: seen.append((_pipeline_on(s),
                                                       [i for i, _ in written])))
        with deferred(s):
            posted = [post_entries(
                s, club.book_id, [fees(day), fees(day, key=f"k{day}")],
                then=lambda written: seen.append((_pipeline_on(s),
                                                  [i for i, _ in written])))
                for day in range(3, 23)]
            # A replayed key writes nothing: then is not called.
            post_entries(s, club.book_id, [fees(5, key="k5")],
                         then=lambda written: seen.append((True, [-1])))
    pg = engine.dialect.name == "postgresql"
    assert seen == [(False, [0])] + [(pg, [0, 1])] * 20
    with db.session_scope(engine, write=False) as s:
        rows = s.execute(select(Entry.seq, Entry.id).where(Entry.book_id == club.book_id)
                         .order_by(Entry.seq)).all()
        # Ids taken ahead keep the entries' order, as when the database assigned them.
        assert [i for _, i in rows] == sorted(i for _, i in rows)
        assert [e.id for pair in posted for e in pair] == [i for _, i in rows][2:]
        assert check_book(s, club.book_id) == []


def test_a_refusal_sent_in_the_pipeline_is_raised_by_post_entries(engine):
    from sqlalchemy import insert

    from ledger.schema import Account, Posting

    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, fees(1))
        account = s.execute(select(Account.id).where(Account.book_id == club.book_id,
                                                     Account.code == "6270")).scalar_one()

        def zero_line(written):
            # The posting guard refuses a zero amount: on PostgreSQL it is learnt only when
            # the pipeline ends, and raised by post_entries as the guard's error all the same.
            s.execute(insert(Posting).inline(), {"entry_id": written[0][1].id, "line_no": 3,
                                                 "account_id": account, "amount_cents": 0})

        with pytest.raises(errors.DatabaseRefused) as refused, deferred(s):
            post_entries(s, club.book_id, [fees(2)], then=zero_line)
        assert refused.value.params["detail"] == "posting_must_not_be_zero"
        s.rollback()
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 0  # nothing was committed


def test_deferred_entries_are_sealed_by_the_commit_after_an_error_in_the_block(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        with pytest.raises(errors.UnknownAccount), deferred(s):
            post_entry(s, club.book_id, fees(1))
            post_entry(s, club.book_id, draft(D(2021, 4, 2), ("6270-X", "1,00"),
                                              ("5121", "-1,00")))
        assert pending(s)  # the caller goes on and commits: the commit seals
    assert _unsealed(engine, club.book_id) == 0
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 1
        assert check_book(s, club.book_id) == []


def test_deferred_entries_vanish_with_a_rollback(engine):
    club = make_club(engine)
    with pytest.raises(RuntimeError, match="boom"), db.session_scope(engine) as s, deferred(s):
        post_entry(s, club.book_id, fees(1))
        raise RuntimeError("boom")
    with db.session_scope(engine) as s:
        assert post_entry(s, club.book_id, fees(2)).number == 1
    with db.session_scope(engine, write=False) as s:
        assert check_book(s, club.book_id) == []


def test_a_savepoint_rolled_back_among_deferred_entries_leaves_no_trace(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s, deferred(s):
        post_entry(s, club.book_id, fees(1))  # waits to be sealed
        with pytest.raises(errors.UnknownAccount), s.begin_nested():
            post_entry(s, club.book_id, fees(2))
            post_entry(s, club.book_id, draft(D(2021, 4, 3), ("6270-X", "1,00"),
                                              ("5121", "-1,00")))
        assert pending(s)  # entry 1 still waits; entry 2 went with the savepoint
        with s.begin_nested():  # released: its entry stays, to be sealed with the others
            assert post_entry(s, club.book_id, fees(4)).number == 2
        assert post_entry(s, club.book_id, fees(5)).number == 3
    assert _unsealed(engine, club.book_id) == 0
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 3
        assert check_book(s, club.book_id) == []


def test_a_savepoint_rolled_back_after_a_settle_restores_what_waited(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s, deferred(s):
        post_entry(s, club.book_id, fees(1))
        savepoint = s.begin_nested()
        post_entry(s, club.book_id, fees(2))
        settle(s)  # seals 1 and 2 inside the savepoint...
        savepoint.rollback()  # ...which undoes it: entry 1 waits again
        assert pending(s)
        assert post_entry(s, club.book_id, fees(3)).number == 2
    assert _unsealed(engine, club.book_id) == 0
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 2
        assert check_book(s, club.book_id) == []


def test_closing_a_year_seals_its_deferred_entries_first(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s, deferred(s):
        post_entry(s, club.book_id, fees(1))
        close_year(s, club.book_id, 2021)  # on PostgreSQL a closed year's entries cannot change
        post_entry(s, club.book_id, fees(5, month=1, year=2022))
    assert _unsealed(engine, club.book_id) == 0
    with db.session_scope(engine, write=False) as s:
        assert check_book(s, club.book_id) == []


def test_the_chain_head_and_the_audit_see_deferred_entries(engine):
    club = make_club(engine)
    with db.session_scope(engine) as s, deferred(s):
        post_entries(s, club.book_id, [fees(1), fees(2)])
        assert chain_head(s, club.book_id)[0] == 2
        assert check_book(s, club.book_id) == []
        post_entry(s, club.book_id, fees(3))
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id)[0] == 3


# -- what services read once (services.uow) -------------------------------------------------------

def test_members_are_read_once_and_again_after_a_write(engine, counted):
    from cigales.services import members

    club = make_club(engine)
    with db.session_scope(engine) as s:
        the_club = get_club(s, club.slug)
        for code in ("M01", "M02"):
            members.add_member(s, the_club, code=code, name=f"Membre {code}",
                               joined=D(2021, 3, 15), today=TODAY)
        assert lifecycle.active_members(s, the_club, D(2021, 4, 1)) == 2
        counted.clear()
        assert members.get_member(s, the_club, "M02").code == "M02"
        assert lifecycle.active_members(s, the_club, D(2021, 4, 1)) == 2
        assert counted == []  # read from this transaction's cache
        members.add_member(s, the_club, code="M03", name="Membre M03",
                           joined=D(2021, 5, 1), today=TODAY)
        assert lifecycle.active_members(s, the_club, D(2021, 5, 1)) == 3  # read again
        with pytest.raises(members.UnknownMember):
            members.get_member(s, the_club, "M09")
        # A departure written with a Core UPDATE drops the cached members too.
        members.leave(s, the_club, code="M03", date=D(2021, 6, 1), settlement="payout",
                      deceased=True, today=TODAY)
        assert lifecycle.active_members(s, the_club, D(2021, 6, 2)) == 2

"""What a transaction has read and may read again: a per-transaction cache keyed by tables.

A service that records many operations in one transaction (a demo club, a bank statement, a
month's savings) checks the same facts for each of them: the club's members and who is
active on a date, a member's savings in a year. Those facts are read once per transaction
and kept here, each entry tagged with the tables it was read from. Any write to one of those
tables through the session — a Core ``insert``/``update``/``delete`` run with
``session.execute`` or an ORM flush of new, changed or deleted objects — drops every entry
that depends on it, so the next check reads the table again; a service that keeps an entry
up to date itself says so (``execution_options(uow_keep=...)``). Everything is dropped when
the transaction or a savepoint ends (commit, rollback, release), like ``ledger.post``'s unit
of work: nothing read here outlives the transaction that read it.

So the checks are the same checks on the same data; only the number of round trips changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from ledger.post import ends_unit_of_work

_KEY = "cigales.uow"
T = TypeVar("T")


def _cache(session: Session) -> dict[Any, tuple[frozenset[str], Any]]:
    cache: dict[Any, tuple[frozenset[str], Any]] = session.info.setdefault(_KEY, {})
    return cache


def cached(session: Session, key: Any, tables: frozenset[str], load: Callable[[], T]) -> T:
    """The value stored under ``key`` in this transaction, or ``load()`` stored there; it is
    dropped as soon as the session writes to one of ``tables``."""
    cache = _cache(session)
    hit = cache.get(key)
    if hit is not None:
        value: T = hit[1]
        return value
    value = load()
    cache[key] = (tables, value)
    return value


def peek(session: Session, key: Any) -> Any | None:
    """The value stored under ``key``, if it is still valid (for a writer keeping it up to
    date)."""
    hit = session.info.get(_KEY, {}).get(key)
    return None if hit is None else hit[1]


def peek_many(session: Session, kind: str, ids: Iterable[int]) -> tuple[dict[int, Any], list[int]]:
    """The values still valid under the keys ``(kind, id)``, and the ids that have none (to be
    read by one query and stored with ``cached``)."""
    found: dict[int, Any] = {}
    missing: list[int] = []
    for i in ids:
        hit = peek(session, (kind, i))
        if hit is None:
            missing.append(i)
        else:
            found[i] = hit
    return found, missing


def keys_of(session: Session, kind: str) -> frozenset[Any]:
    """The keys ``(kind, ...)`` stored in this transaction (for a writer that keeps them up to
    date: ``execution_options(uow_keep=...)``)."""
    return frozenset(k for k in session.info.get(_KEY, {})
                     if isinstance(k, tuple) and k and k[0] == kind)


def drop_tables(session: Session, tables: set[str], keep: frozenset[Any] = frozenset()) -> None:
    cache = session.info.get(_KEY)
    if not cache:
        return
    for key in [k for k, (deps, _) in cache.items() if deps & tables and k not in keep]:
        del cache[key]


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    session = state.session
    if not session.info.get(_KEY):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    keep = state.execution_options.get("uow_keep", frozenset())
    if name is None:
        session.info.pop(_KEY, None)  # unknown target: forget everything
    else:
        drop_tables(session, {name}, frozenset(keep))


@event.listens_for(Session, "after_flush")
def _on_flush(session: Session, _context: Any) -> None:
    if not session.info.get(_KEY):
        return
    tables = {getattr(obj, "__tablename__", "") for obj in
              (*session.new, *session.dirty, *session.deleted)}
    drop_tables(session, tables)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    # Kept across a flush and a released savepoint (ledger.post.ends_unit_of_work).
    if ends_unit_of_work(session, transaction):
        session.info.pop(_KEY, None)

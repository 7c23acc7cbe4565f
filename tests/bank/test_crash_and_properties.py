"""Crash safety (kill -9 in the middle of an import) and import → export → import stability."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from cigales import db
from cigales.bank import rules as rules_mod
from cigales.bank.csv_reader import write_signed
from cigales.bank.models import BankLineRow
from cigales.db import normalize_url
from cigales.services import bank, bookkeeping, members
from cigales.services.clubs import get_club
from ledger.money import Money
from tests.bank.files import signed_csv, write
from tests.helpers import TODAY, make_club
from tests.scratch import ScratchDatabase

SLUG = "les-fourmis"
ROOT = Path(__file__).resolve().parents[2]


def _count(url: str) -> int:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM bank_line")).scalar_one())
    finally:
        engine.dispose()


def test_kill_9_leaves_complete_batches_and_a_rerun_finishes(engine, database_url, tmp_path):
    make_club(engine)
    with db.session_scope(engine) as s:
        members.add_member(s, get_club(s, SLUG), code="M01", name="Anne Martin",
                           joined=dt.date(2021, 3, 15), monthly=Money(3000), today=TODAY)
    rows = []
    for i in range(1000):
        day = dt.date(2022, 1, 1) + dt.timedelta(days=i % 700)
        rows.append((day.strftime("%d/%m/%Y"), "VIR CIG-M01" if i % 2 else f"FRAIS {i % 7}",
                     "30,00" if i % 2 else "-1,00"))
    path = write(tmp_path, "big.csv", signed_csv(rows))
    env = {**os.environ, bank.DELAY_ENV: "0.5", "CIGALES_LANG": "en"}
    cmd = [sys.executable, "-m", "cigales", "--db", database_url, "bank", "import", str(path),
           "--club", SLUG, "--yes"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        count = _count(database_url)
        if count:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = _count(database_url)
    assert 0 < after_kill < 1000
    assert after_kill % bank.BATCH_SIZE == 0  # only complete batches
    with db.session_scope(engine, write=False) as s:
        assert bookkeeping.audit(s, get_club(s, SLUG)) == []
    done = subprocess.run(cmd, cwd=ROOT, env={**env, bank.DELAY_ENV: "0"},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{after_kill} already imported" in done.stderr
    with db.session_scope(engine, write=False) as s:
        club = get_club(s, SLUG)
        assert s.execute(select(func.count()).select_from(BankLineRow)).scalar_one() == 1000
        assert s.execute(select(func.count(func.distinct(BankLineRow.fingerprint)))
                         ).scalar_one() == 1000
        assert bookkeeping.audit(s, club) == []


labels = st.sampled_from(["VIR CIG-M01", "FRAIS", "REMISE CHEQUE", "VIR X", "AGIOS",
                          "Épargne é €", "COTISATION CARTE"])
amounts = st.integers(min_value=-500_000, max_value=500_000).filter(lambda c: c != 0)
days = st.integers(min_value=0, max_value=400)
lines = st.lists(st.tuples(days, labels, amounts), min_size=1, max_size=25)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=lines)
def test_import_export_import_is_stable(tmp_path_factory, rows):
    scratch = ScratchDatabase("sqlite", "prop", migrated=True)
    engine = db.make_engine(scratch.url)
    try:
        from cigales import migrate
        migrate.ensure_ready(engine)
        make_club(engine)
        with db.session_scope(engine) as s:
            members.add_member(s, get_club(s, SLUG), code="M01", name="Anne Martin",
                               joined=dt.date(2021, 3, 15), today=TODAY)
        folder = tmp_path_factory.mktemp("prop")
        csv_rows = [((dt.date(2023, 1, 1) + dt.timedelta(days=d)).strftime("%d/%m/%Y"), label,
                     Money(c).plain().replace(".", ",")) for d, label, c in rows]
        first = _import(engine, write(folder, "a.csv", signed_csv(csv_rows)))
        assert first == len(rows)
        with db.session_scope(engine, write=False) as s:
            exported = write_signed(bank.booked_lines(s, get_club(s, SLUG)))
        assert _import(engine, write(folder, "b.csv", exported)) == 0
        with db.session_scope(engine, write=False) as s:
            assert bookkeeping.audit(s, get_club(s, SLUG)) == []
    finally:
        engine.dispose()
        scratch.drop()


def _import(engine, path: Path) -> int:
    statement, sha = bank.read(path, "fr-signed")
    with db.session_scope(engine, write=False) as s:
        proposals = bank.propose(s, get_club(s, SLUG), statement, rules_mod.rules())
    info = bank.ImportInfo(sha, path.name, statement.profile, len(proposals), 0)
    return bank.book_all(engine, SLUG, proposals, info, today=TODAY).booked

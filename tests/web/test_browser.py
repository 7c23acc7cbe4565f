"""End to end in a real browser: headless Chromium (the system's) driven by Playwright against
`cigales serve` started on 127.0.0.1, with axe-core checking accessibility.

Chromium comes from the distribution (`apt-get install chromium`, which .ci/run does), never
from Playwright's own download. Without it these tests skip, unless CIGALES_REQUIRE_TOOLS=1,
when they fail.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cigales import db, migrate
from cigales.services import web_accounts
from cigales.services.clubs import cash_balance, get_club
from cigales.services.example import build_example
from cigales.services.members import member_table
from ledger.money import Money
from reports import fmt
from tests import scratch
from tests.conftest import TODAY
from tests.web.conftest import PASSWORD, PEOPLE, REGION, SLUG, open_accounts

CHROMIUM = os.environ.get("CIGALES_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
AXE = Path(__file__).parent / "axe" / "axe.min.js"


def _browser_or_skip():  # type: ignore[no-untyped-def]
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if problem is not None:
        if os.environ.get("CIGALES_REQUIRE_TOOLS") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright


@dataclass
class Server:
    base: str
    invitation: str  # the member's one-time link
    engine: object


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(engine: Engine) -> None:
    """The example club, with the treasurer's and the region's accounts (the member signs up
    in the test)."""
    with db.session_scope(engine) as s:
        build_example(s, today=TODAY)
    open_accounts(engine, [PEOPLE["treasurer"], PEOPLE["region"]])


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    scratch.fill(database_url, build_site)  # built once per process, then copied
    engine = db.make_engine(database_url)
    migrate.ensure_ready(engine)
    with db.session_scope(engine) as s:  # the member's own link, new for each test
        invitation = web_accounts.invite(
            s, web_accounts.Role("member", club=SLUG, member="M01"), email="anne@example.org")
    port = _free_port()
    env = {**os.environ, "CIGALES_TODAY": TODAY.isoformat(), "CIGALES_WEB_SECRET": "e2e-secret"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "cigales", "--db", database_url, "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/sign-in", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield Server(base, f"{base}/invitation/{invitation.token}", engine)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One Chromium for the module's tests; each test opens its own contexts (cookies,
    storage), as Playwright's own pytest plugin does."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser(server: Server, chromium: object) -> Iterator[object]:
    yield chromium
    for context in chromium.contexts:  # type: ignore[attr-defined]
        context.close()  # what a test left open does not reach the next one


def axe_violations(browser, url: str, cookies: list) -> list:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core violations of a page. The page's CSP forbids injected
    scripts, so axe runs in a context that bypasses it (the site itself is unchanged)."""
    context = browser.new_context(bypass_csp=True)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(url)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    context.close()
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def sign_in(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_member_signs_up_reads_their_page_and_cannot_see_others(server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.invitation)
    page.fill("#password", "une phrase assez longue pour anne")
    page.fill("#confirm", "une phrase assez longue pour anne")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base}/")
    page.click(f"a[href='/club/{SLUG}/member/M01']")
    with db.session_scope(server.engine, write=False) as s:
        _table, rows = member_table(s, get_club(s, SLUG), TODAY)
    mine = next(r for r in rows if r.code == "M01")
    assert page.text_content("[data-field=value]").strip() == fmt.money(mine.value, "fr")
    assert page.text_content("[data-field=paid]").strip() == fmt.money(mine.paid, "fr")
    other = page.goto(f"{server.base}/club/{SLUG}/member/M02")
    assert other is not None
    assert other.status == 404
    violations = axe_violations(browser, f"{server.base}/club/{SLUG}/member/M01",
                                context.cookies())
    assert violations == []
    # The invitation cannot be used twice.
    again = page.goto(server.invitation)
    assert again is not None
    assert again.status == 404
    context.close()


def test_treasurer_records_a_saving_and_imports_a_statement(server, browser, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.base, "tresorier@example.org", PASSWORD)
    page.goto(f"{server.base}/club/{SLUG}/dashboard")

    def cash() -> str:
        return page.text_content("[data-field=cash]").strip()

    before = cash()
    page.select_option("#saving-member", "M01")
    page.fill("#saving-date", "2026-03-10")
    page.fill("#saving-amount", "30,00")
    page.click("#form-saving button[type=submit]")
    page.wait_for_selector("#done")
    with db.session_scope(server.engine, write=False) as s:
        now = cash_balance(s, get_club(s, SLUG).book_id, TODAY)
    assert cash() == fmt.money(now, "fr")
    assert Money.parse(before) + Money.parse("30") == now
    # A refused saving shows the rule next to the form.
    page.select_option("#saving-member", "M01")
    page.fill("#saving-date", "2026-11-20")
    page.fill("#saving-amount", "30,00")
    page.click("#form-saving button[type=submit]")
    assert "[phase_does_not_allow]" in page.text_content("#error-saving")
    assert cash() == fmt.money(now, "fr")

    statement = tmp_path / "mars.csv"
    statement.write_bytes("Date;Libellé;Montant\r\n05/03/2026;VIR CIG-M01 EPARGNE;30,00\r\n"
                          "06/03/2026;FRAIS TENUE DE COMPTE;-4,50\r\n".encode())
    page.goto(f"{server.base}/club/{SLUG}/dashboard")
    page.set_input_files("#statement", str(statement))
    page.click("form[action$='/bank/preview'] button[type=submit]")
    assert page.locator("#proposals tbody tr").count() == 2
    page.click("#confirm-bank")
    page.wait_for_selector("#done")
    with db.session_scope(server.engine, write=False) as s:
        after = cash_balance(s, get_club(s, SLUG).book_id, TODAY)
    # The statement's 30,00 of M01 in March is the saving recorded above: it is linked to it,
    # not booked twice (bank import rule); only the fee moves the cash.
    assert after == now - Money.parse("4.50")
    assert cash() == fmt.money(after, "fr")

    # A forged form (no CSRF token) is refused and writes nothing.
    page.evaluate("document.querySelector('#form-saving input[name=csrftoken]').remove()")
    page.fill("#saving-date", "2026-03-10")
    page.fill("#saving-amount", "30,00")
    page.click("#form-saving button[type=submit]")
    assert "Formulaire refusé" in page.text_content("h1")
    with db.session_scope(server.engine, write=False) as s:
        assert cash_balance(s, get_club(s, SLUG).book_id, TODAY) == after
    violations = axe_violations(browser, f"{server.base}/club/{SLUG}/dashboard",
                                context.cookies())
    assert violations == []
    context.close()


def test_region_totals_sign_in_accessibility_and_throttling(server, browser):
    context = browser.new_context()
    page = context.new_page()
    assert axe_violations(browser, f"{server.base}/sign-in", []) == []
    sign_in(page, server.base, "region@example.org", PASSWORD)
    page.goto(f"{server.base}/region/{REGION}?year={TODAY.year - 1}")
    assert re.match(r"1 \(", page.text_content("[data-field=clubs]").strip())
    assert page.locator("svg.chart").count() == 1
    assert page.goto(f"{server.base}/club/{SLUG}/member/M01").status == 404
    context.close()

    page = browser.new_context().new_page()
    for _ in range(5):
        sign_in(page, server.base, "tresorier@example.org", "not the password at all")
        assert "incorrect" in page.text_content("#sign-in-error")
    sign_in(page, server.base, "tresorier@example.org", PASSWORD)
    assert "Trop de connexions échouées" in page.text_content("#sign-in-error")
    assert page.url.endswith("/sign-in")

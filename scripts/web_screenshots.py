"""Screenshots of the web space for docs/img/: the sign-in page, a member's page and the
treasurer's dashboard of the demo club, taken in headless Chromium.

    python scripts/web_screenshots.py [--out docs/img] [--chromium /usr/bin/chromium]

Builds the first demo club (seed 1, today pinned to 2026-11-22 as in the tests) in a temporary
SQLite file, creates its demo accounts, starts `cigales serve` on a free port of 127.0.0.1 and
drives the system's Chromium with Playwright (never Playwright's own browser download).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from cigales import db, migrate
from cigales.services import web_accounts
from cigales.services.clubs import get_club
from cigales.services.demo import build_demo

TODAY = dt.date(2026, 11, 22)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        engine = db.make_engine(url)
        migrate.ensure_ready(engine)
        with db.session_scope(engine) as s:
            club = build_demo(s, seed=1, index=0, today=TODAY)
        with db.session_scope(engine) as s:
            made = web_accounts.demo_accounts(s, get_club(s, club.slug), TODAY)
        engine.dispose()
        accounts = {role.kind: (email, password, role) for email, password, role in made}
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "CIGALES_TODAY": TODAY.isoformat(),
               "CIGALES_WEB_SECRET": "screenshots"}
        server = subprocess.Popen([sys.executable, "-m", "cigales", "--db", url, "serve",
                                   "--port", str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/sign-in", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
                shots = [("sign-in", None, "/sign-in"),
                         ("member", "member",
                          f"/club/{club.slug}/member/{accounts['member'][2].member}"),
                         ("dashboard", "treasurer", f"/club/{club.slug}/dashboard")]
                for name, kind, path in shots:
                    page = browser.new_context(viewport={"width": 1200, "height": 900}
                                               ).new_page()
                    if kind is not None:
                        email, password, _role = accounts[kind]
                        page.goto(f"{base}/sign-in")
                        page.fill("#email", email)
                        page.fill("#password", password)
                        page.click("button[type=submit]")
                        page.wait_for_url(f"{base}/")
                    page.goto(base + path)
                    target = out / f"web-{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Web benchmark: response times of the member page and the treasurer dashboard, and 50
concurrent simulated users, against a real `cigales serve` on 127.0.0.1.

Uses the database named by ``--db`` (e.g. one filled by ``cigales demo --clubs 300
--no-reports``), or builds ``--clubs`` demo clubs into a temporary SQLite file first. The first
demo club gets a member and a treasurer account (``demo_accounts``), then:

1. ``--requests`` sequential GETs of the member page and of the dashboard each: p50, p95, max;
2. ``--users`` threads, each signed in (half members, half treasurers), requesting those
   pages in a loop for ``--seconds``: requests, errors (any status but 200, or a network
   error), throughput, p95 under load.

Targets (issue 11): p95 under 150 ms for each page, and no error under load.
Run ``python bench/web.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import httpx  # noqa: E402

from cigales import db, migrate  # noqa: E402
from cigales.services import web_accounts  # noqa: E402
from cigales.services.clubs import get_club, list_clubs  # noqa: E402
from cigales.services.demo import build_demo, demo_slug  # noqa: E402

TODAY = dt.date(2026, 11, 22)
TARGET_P95_MS = 150.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sign_in(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/sign-in").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"csrftoken": token, "email": email,
                                             "password": password})
    assert response.status_code == 303, response.text
    return client


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by the server process (Linux /proc; None
    elsewhere): on a shared machine the CPU per request is the figure to compare."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def timed(client: httpx.Client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    status = client.get(path).status_code
    return (time.perf_counter() - started) * 1000, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: build --clubs into a temp file)")
    parser.add_argument("--clubs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/bench.db"
    engine = db.make_engine(url)
    migrate.ensure_ready(engine)
    slug = demo_slug(args.seed, 0)
    if not args.db:
        started = time.perf_counter()
        for index in range(args.clubs):
            with db.session_scope(engine) as s:
                build_demo(s, seed=args.seed, index=index, today=TODAY)
        print(f"built {args.clubs} demo clubs in {time.perf_counter() - started:.0f} s")
    with db.session_scope(engine, write=False) as s:
        clubs = len(list_clubs(s))
    with db.session_scope(engine) as s:
        made = web_accounts.demo_accounts(s, get_club(s, slug), TODAY)
    engine.dispose()
    member_email, member_password, member_role = made[0]
    treasurer_email, treasurer_password, _ = made[1]
    pages = {"member page": f"/club/{slug}/member/{member_role.member}",
             "dashboard": f"/club/{slug}/dashboard"}

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CIGALES_TODAY": TODAY.isoformat(), "CIGALES_WEB_SECRET": "bench"}
    server = subprocess.Popen([sys.executable, "-m", "cigales", "--db", url, "serve",
                               "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    ok = True
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/sign-in", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        member = sign_in(base, member_email, member_password)
        treasurer = sign_in(base, treasurer_email, treasurer_password)
        print(f"database: {clubs} clubs; {args.requests} sequential requests per page; "
              f"load average {load_average()} on {os.cpu_count()} CPUs")
        for name, path in pages.items():
            client = member if name == "member page" else treasurer
            timed(client, path)  # warm-up
            times = []
            cpu_before = server_cpu(server.pid)
            for _ in range(args.requests):
                ms, status = timed(client, path)
                assert status == 200, (path, status)
                times.append(ms)
            cpu_after = server_cpu(server.pid)
            cpu = "" if cpu_before is None or cpu_after is None else \
                f"  server CPU {(cpu_after - cpu_before) * 1000 / args.requests:5.1f} ms/request"
            p95 = percentile(times, 0.95)
            met = p95 < TARGET_P95_MS
            ok &= met
            print(f"  {name:12} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
                  f"max {max(times):7.1f} ms{cpu}  target p95 < {TARGET_P95_MS:.0f} ms: "
                  f"{'met' if met else 'MISSED'}")

        # Concurrency: every simulated user signs in, then reads its page in a loop.
        users = []
        for i in range(args.users):
            if i % 2 == 0:
                users.append((sign_in(base, member_email, member_password),
                              pages["member page"]))
            else:
                users.append((sign_in(base, treasurer_email, treasurer_password),
                              pages["dashboard"]))
        deadline = time.perf_counter() + args.seconds
        lock = threading.Lock()
        results: list[float] = []
        errors: list[str] = []

        def run(client: httpx.Client, path: str) -> None:
            while time.perf_counter() < deadline:
                try:
                    ms, status = timed(client, path)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    continue
                with lock:
                    results.append(ms)
                    if status != 200:
                        errors.append(str(status))

        threads = [threading.Thread(target=run, args=u) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok &= not errors
        print(f"{args.users} concurrent users for {args.seconds:.0f} s: {len(results)} "
              f"requests, {len(results) / args.seconds:.1f}/s, p95 "
              f"{percentile(results, 0.95):.0f} ms, errors: {len(errors)} "
              f"({'met' if not errors else 'MISSED'}); load average {load_average()}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The dependency direction of design.md §1, checked on the source: ledger imports nothing of
ours, nothing imports the CLI, services and reports never import the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("ledger", "cigales", "reports")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in OURS}


def modules(package: str) -> dict[str, set[str]]:
    return {
        str(p.relative_to(ROOT)): imports_of(p)
        for p in (ROOT / package).rglob("*.py")
    }


def test_ledger_imports_nothing_of_ours():
    offenders = {m: i for m, i in modules("ledger").items()
                 if any(not name.startswith("ledger") for name in i)}
    assert offenders == {}


def test_nothing_imports_the_cli():
    offenders = {}
    for package in OURS:
        for module, imported in modules(package).items():
            if module.startswith(("cigales/cli/", "cigales/__main__")):
                continue
            bad = {name for name in imported if name.startswith("cigales.cli")}
            if bad:
                offenders[module] = bad
    assert offenders == {}


def test_reports_do_not_write():
    writers = ("ledger.post", "ledger.closing")
    offenders = {m: i for m, i in modules("reports").items()
                 if any(name.startswith(writers) for name in i)}
    assert offenders == {}


def test_the_walk_sees_real_imports():
    # Guard against a walker that finds nothing and so passes vacuously.
    assert "ledger.money" in modules("ledger")["ledger/post.py"]
    assert "cigales.services.clubs" in modules("cigales")["cigales/cli/clubs.py"] or \
        "cigales.services" in modules("cigales")["cigales/cli/clubs.py"]

"""Every message marked for translation can be extracted: a ``_()``, ``N_()`` or ``ngettext()``
call whose text is not a literal (an f-string, a variable, a concatenation computed at run
time), or a literal that Babel's extractor does not see (a call inside an f-string), never
reaches the catalogs and stays English in French mode."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_i18n import ROOT, extracted_msgids

PACKAGES = ("ledger", "cigales", "reports")
MARKERS = {"_": 1, "N_": 1, "ngettext": 2, "NP_": 2}
# Functions that translate a msgid marked elsewhere with N_() (a table of labels): their
# argument is a variable on purpose. Each entry: (file, function).
TRANSLATE_MARKED = {
    ("reports/labels.py", "label"), ("reports/labels.py", "phase"),
    ("reports/labels.py", "phase_name"), ("cigales/web/pages.py", "_dashboard_data"),
    ("cigales/i18n.py", "ngettext"), ("cigales/bank/rules.py", "rule_name"),
    ("cigales/cli/click_i18n.py", "_metavar"), ("cigales/cli/click_i18n.py", "_option_type"),
    ("cigales/cli/click_i18n.py", "_argument_name"), ("cigales/cli/clubs.py", "club_show"),
    ("ledger/errors.py", "render_params"),
}


def marked_calls(path: Path) -> list[tuple[ast.Call, str]]:
    """The calls of the marking functions in ``path``, with the enclosing function's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[ast.Call, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in MARKERS:
            found.append((node, function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def test_every_marked_message_is_extractable():
    extracted = extracted_msgids()
    wrong: list[str] = []
    count = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for call, function in marked_calls(path):
                count += 1
                where = f"{relative}:{call.lineno} ({function})"
                arity = MARKERS[call.func.id]  # type: ignore[attr-defined]
                texts = call.args[:arity]
                literal = len(texts) == arity and all(
                    isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts)
                if not literal:
                    if (relative, function) not in TRANSLATE_MARKED:
                        wrong.append(f"{where}: not a literal: {ast.unparse(call)[:70]}")
                    continue
                msgid = texts[0].value  # type: ignore[attr-defined]
                if msgid not in extracted:
                    wrong.append(f"{where}: not extracted by Babel: {msgid[:60]!r}")
    assert count > 1000  # the walk saw the code base
    assert not wrong, "\n".join(wrong)


def test_the_check_catches_what_babel_misses(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('name = "x"\nprint(f"({_(\'left\')} {name})")\nprint(_(f"{name}"))\n'
                      'print(_(name))\nprint(_("fine"))\n', encoding="utf-8")
    calls = marked_calls(sample)
    literal = [c for c, _f in calls if isinstance(c.args[0], ast.Constant)]
    assert [c.args[0].value for c in literal] == ["left", "fine"]  # type: ignore[attr-defined]
    assert len(calls) - len(literal) == 2


def test_no_message_writes_a_plural_with_brackets():
    """"fichier(s)", "1 parts": a count is written with ngettext or NP_, never with "(s)"."""
    bracketed = sorted(m for m in extracted_msgids() if "(s)" in m)
    assert not bracketed, bracketed


def test_plural_messages_agree_with_their_number():
    from cigales import i18n
    from cigales.errors import AuditFailed

    with i18n.using("fr"):
        assert AuditFailed(slug="x", club="X", count=1).render(i18n._).endswith(
            "échoue à 1 contrôle d’intégrité.")
        assert AuditFailed(slug="x", club="X", count=3).render(i18n._).endswith(
            "échoue à 3 contrôles d’intégrité.")
    with i18n.using("en"):
        assert AuditFailed(slug="x", club="X", count=1).render(i18n._).endswith(
            "fail 1 integrity check.")
    assert str(AuditFailed(slug="x", club="X", count=2)).endswith("fail 2 integrity checks.")

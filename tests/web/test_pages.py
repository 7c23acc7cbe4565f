"""The pages show the figures of the same services and report data as the command line, and
write only through the same services."""

from __future__ import annotations

import html
import re

from cigales import db
from cigales.services.clubs import cash_balance, get_club
from ledger.money import Money
from reports import fmt
from reports.data import build_member_statements
from tests.cli.conftest import snapshot
from tests.conftest import TODAY
from tests.web.conftest import REGION, SLUG, post


def field(page: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">(.*?)</', page, re.S)
    assert match, name
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def without_audit(snap: dict) -> dict:
    # A refusal is written to the audit log; everything else must be as it was.
    return {t: rows for t, rows in snap.items() if t != "web_audit"}


def test_member_page_shows_the_figures_of_member_list(as_role, cli):
    page = as_role("member").get(f"/club/{SLUG}/member/M01").text
    listed = {r["code"]: r for r in cli("member", "list", "--club", SLUG, "--format",
                                        "json").json()}
    mine = listed["M01"]
    for name in ("paid", "contributed", "book_capital", "value"):
        assert field(page, name) == fmt.money(Money.parse(mine[name]), "fr"), name
    assert "Bruno" not in page  # nobody else's name
    total = cli("report", "positions", "--club", SLUG, "--format", "json").json()
    assert field(page, "net_assets") == fmt.money(Money.parse(total["net_assets"]), "fr")


def test_member_page_shows_the_statement_data_and_the_chain_head(as_role, site):
    client = as_role("member")
    page = client.get(f"/club/{SLUG}/member/M01?year=2025").text
    with db.session_scope(site.engine, write=False) as s:
        statement = build_member_statements(s, get_club(s, SLUG), 2025, generated=TODAY,
                                            member="M01")[0]
    assert field(page, "paid_in_year") == fmt.amount(statement.paid_in_year, "fr")
    assert field(page, "chain") == f"{statement.chain[0]} · {statement.chain[1]}"
    pdf = client.get(f"/club/{SLUG}/member/M01/statement-2025.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert client.get(f"/club/{SLUG}/member/M01?year=1999").status_code == 404


def test_treasurer_records_a_saving_and_the_cash_changes(as_role, site):
    client = as_role("treasurer")
    before = field(client.get(f"/club/{SLUG}/dashboard").text, "cash")
    response = post(client, f"/club/{SLUG}/saving",
                    {"member": "M01", "date": "2026-03-10", "amount": "30,00"})
    assert response.status_code == 303
    after_page = client.get(response.headers["location"]).text
    with db.session_scope(site.engine, write=False) as s:
        cash = cash_balance(s, get_club(s, SLUG).book_id, TODAY)
    assert field(after_page, "cash") == fmt.money(cash, "fr")
    assert before != field(after_page, "cash")
    response = post(client, f"/club/{SLUG}/expense", {"kind": "bank_fees", "date": "2026-03-10",
                                                      "amount": "4,50", "label": "Frais"})
    assert response.status_code == 303


def test_a_refused_action_shows_the_rule_and_writes_nothing(as_role, database_url):
    client = as_role("treasurer")
    before = without_audit(snapshot(database_url))
    for form, data, code in (
        ("saving", {"member": "M99", "date": "2026-03-10", "amount": "30"}, "unknown_member"),
        ("saving", {"member": "M01", "date": "2026-11-20", "amount": "30"},
         "phase_does_not_allow"),
        ("saving", {"member": "M01", "date": "2026-03-10", "amount": "3,001"},
         "amount_too_precise"),
        ("saving", {"member": "M01", "date": "10/03/2026", "amount": "30"}, "invalid_date"),
        ("expense", {"kind": "bank_fees", "date": "2026-03-10", "amount": "-4",
                     "label": "x"}, "amount_must_be_positive"),
        ("expense", {"kind": "caviar", "date": "2026-03-10", "amount": "4", "label": "x"},
         "invalid_choice"),
    ):
        response = post(client, f"/club/{SLUG}/{form}", data)
        assert response.status_code == 400, (form, data)
        assert re.search(rf'id="error-{form}">[^<]*\[{code}\]', response.text), (data, code)
    assert without_audit(snapshot(database_url)) == before


def test_bank_statement_upload_preview_then_confirm(as_role, database_url, site):
    client = as_role("treasurer")
    csv = ("Date;Libellé;Montant\r\n"
           "05/03/2026;VIR CIG-M01 EPARGNE;30,00\r\n"
           "06/03/2026;FRAIS TENUE DE COMPTE;-4,50\r\n").encode()
    before = snapshot(database_url)
    preview = post(client, f"/club/{SLUG}/bank/preview", {},
                   files={"statement": ("mars.csv", csv)})
    assert preview.status_code == 200, preview.text[-2000:]
    assert 'id="proposals"' in preview.text
    assert snapshot(database_url) == before  # a preview writes nothing
    file_field = re.search(r'name="file" value="([^"]+)"', preview.text).group(1)
    confirm = post(client, f"/club/{SLUG}/bank/confirm", {"name": "mars.csv",
                                                          "file": file_field})
    assert confirm.status_code == 303
    assert confirm.headers["location"].endswith("done=bank-2")
    with db.session_scope(site.engine, write=False) as s:
        cash = cash_balance(s, get_club(s, SLUG).book_id, TODAY)
    page = client.get(confirm.headers["location"]).text
    assert field(page, "cash") == fmt.money(cash, "fr")
    # The same file again books nothing.
    again = post(client, f"/club/{SLUG}/bank/confirm", {"name": "mars.csv",
                                                        "file": file_field})
    assert again.headers["location"].endswith("done=bank-0")
    broken = post(client, f"/club/{SLUG}/bank/preview", {},
                  files={"statement": ("x.csv", b"not;a;statement\n1;2;3\n")})
    assert broken.status_code == 400
    assert 'id="error-bank"' in broken.text


def test_journal_and_ledger_with_filters(as_role):
    client = as_role("treasurer")
    page = client.get(f"/club/{SLUG}/journal?journal=BQ&from=2021-04-01&to=2021-04-30")
    assert page.status_code == 200
    assert "<td>OD</td>" not in page.text
    assert client.get(f"/club/{SLUG}/journal?from=bad").status_code == 400
    ledger = client.get(f"/club/{SLUG}/ledger?account=5121")
    assert ledger.status_code == 200
    assert "5121" in ledger.text


def test_region_sees_the_figures_of_federation_report(as_role, cli):
    year = TODAY.year - 1
    page = as_role("region").get(f"/region/{REGION}?year={year}").text
    report = cli("federation", "report", "--year", str(year), "--region", REGION,
                 "--format", "json").json()
    totals = report["totals"]
    assert totals["clubs"] == 1
    assert Money.parse(totals["net_assets"]).cents > 0
    assert field(page, "clubs").startswith(f'{totals["clubs"]} (')
    assert field(page, "members").startswith(f'{totals["members_active"]} (')
    assert field(page, "savings").startswith(
        fmt.amount(Money.parse(totals["savings_collected"]), "fr") + " (")
    assert field(page, "net_assets") == fmt.amount(Money.parse(totals["net_assets"]), "fr")


def test_region_imports_a_return_with_the_cli_checks(as_role, cli, tmp_path):
    year = TODAY.year - 1
    out = tmp_path / "return.json"
    # The demo-like club of the web tests has not closed that year: a provisional return.
    assert cli("federation", "return", "--club", SLUG, "--year", str(year), "--provisional",
               "-o", str(out)).exit_code == 0
    # The site's database is the region too: it registers its hosted club's key.
    assert cli("federation", "keys", "register", "--club", SLUG).exit_code == 0
    client = as_role("federation")
    ok = post(client, "/federation/returns", {}, files={"return": ("r.json", out.read_bytes())})
    assert ok.status_code == 200
    assert 'class="done"' in ok.text
    bad = post(client, "/federation/returns", {}, files={"return": ("r.json", b"{}")})
    assert bad.status_code == 400
    assert 'class="error"' in bad.text
    other = as_role("other_region")
    refused = post(other, "/region/Bretagne/returns", {},
                   files={"return": ("r.json", out.read_bytes())})
    assert refused.status_code == 400
    assert "return_outside_region" in refused.text


def test_language_is_remembered(as_role):
    client = as_role("member")
    assert 'lang="fr"' in client.get("/").text
    response = post(client, "/language", {"lang": "en", "next": "/"})
    assert response.status_code == 303
    page = client.get(f"/club/{SLUG}/member/M01").text
    assert 'lang="en"' in page
    assert "My position on" in page
    assert post(client, "/language", {"lang": "en", "next": "https://evil.example/"}
                ).headers["location"] == "/"


def test_member_of_a_switched_over_club_sees_the_opening_and_the_tax_warning(site):
    """Issue 12: the year the club moved in, the member page says what they had paid in up to
    D; a subscription whose keys were computed at D carries the tax sheet's warning."""
    import shutil
    import tempfile
    from pathlib import Path

    from cigales.services import switchover, web_accounts
    from tests.switchover import club_story as story
    from tests.switchover.test_two_ways import POSITION
    from tests.web.conftest import PASSWORD

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "position"
        shutil.copytree(POSITION, folder)
        (folder / "cles.csv").unlink()  # no keys kept: computed at D
        with db.session_scope(site.engine) as s:
            switchover.switchover(s, "reprise", story.D, folder, today=story.TODAY)
    with db.session_scope(site.engine) as s:
        invitation = web_accounts.invite(
            s, web_accounts.Role("member", club="reprise", member="M01"),
            email="m01@example.org")
        web_accounts.accept_invitation(s, invitation.token, PASSWORD, PASSWORD)
    client = site.client()
    assert post(client, "/sign-in", {"email": "m01@example.org",
                                     "password": PASSWORD}).status_code == 303
    page = client.get("/club/reprise/member/M01?year=2024").text
    assert "30/06/2024" in field(page, "brought_in")
    assert "870,00" in field(page, "brought_in")
    page = client.get("/club/reprise/member/M01?year=2023").text
    assert 'data-field="brought_in"' not in page  # not the year the club moved in
    assert "calculée à la date de reprise" in html.unescape(page)

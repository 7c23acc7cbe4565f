"""`cigales investee|equity|loan|portfolio|tax`: what the club finances, through the CLI.

Happy paths check exact JSON values computed by hand; every refusal checks the exit code, the
stable error code, an empty stdout, and that nothing at all was written (snapshot of every table).
Set-ups (club, members, savings) are built with the services; the behaviour under test goes
through the command line.

The main club, les-fourmis, is founded on 2023-01-10 (investment phase until 2028-01-09, life
until 2033-01-09): five members save 100.00 at the end of every month of 2023 (BQ 1–60), so
the bank holds 500.00 more at each month end, 6000.00 from 2023-12-31.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from cigales import db
from cigales.services import clubs, members, savings
from ledger.money import Money
from tests import scratch
from tests.cli.conftest import snapshot
from tests.helpers import TODAY

CLUB = ("--club", "les-fourmis")
OLD = ("--club", "les-anciens")
T0 = dt.date(2023, 1, 10)
OLD_T0 = dt.date(2017, 3, 1)  # investment phase until 2022-02-28, life until 2027-02-28


def build_club(engine, *, slug="les-fourmis", founded=T0, months=12, monthly="100",
               **settings):
    """Members M01..M05 saving ``monthly`` at the end of the first ``months`` months."""
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, slug, "Club " + slug, founded, today=TODAY, **settings)
        for i in range(1, 6):
            members.add_member(s, club, code=f"M{i:02d}", name=f"Membre {i}", joined=founded,
                               monthly=Money.parse(monthly), today=TODAY)
        for k in range(months):
            year, month = divmod(founded.year * 12 + founded.month - 1 + k, 12)
            savings.collect_month(s, club, year, month + 1, today=TODAY)


@pytest.fixture
def fourmis(engine, cli, database_url):
    scratch.fill(database_url, build_club)  # built once per process, then copied
    return cli


@pytest.fixture
def small(engine, cli, database_url):
    """The same five members, but 1000.00 each at the end of January and February 2023 only
    (10 entries): for tests where the cash timeline does not matter."""
    scratch.fill(database_url, functools.partial(build_club, months=2, monthly="1000"))
    return cli


@pytest.fixture
def anciens(engine, cli, database_url):
    """Founded 2017-03-01, 500.00 a member in March and April 2017 (5000.00), no prorogation."""
    scratch.fill(database_url, functools.partial(build_club, slug="les-anciens",
                                                 founded=OLD_T0, months=2, monthly="500"))
    return cli


def ok(result):
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def balances(cli, club=CLUB, *extra):
    data = ok(cli("report", "balance", *club, "--format", "json", *extra)).json()
    assert data["total_debit"] == data["total_credit"]
    return {a["code"]: a["balance"] for a in data["accounts"]}


def show(cli, *extra, club=CLUB):
    return ok(cli("club", "show", *club, "--format", "json", *extra)).json()


def alert_codes(cli, *extra, club=CLUB):
    return [a["code"] for a in show(cli, *extra, club=club)["alerts"]]


def portfolio(cli, *extra, club=CLUB):
    return {row["number"]: row for row in
            ok(cli("portfolio", *club, "--format", "json", *extra)).json()}


def schedule(cli, loan, *extra, club=CLUB):
    return ok(cli("loan", "schedule", *club, "--loan", str(loan), "--format", "json",
                  *extra)).json()


def arrears(cli, as_of, club=CLUB):
    return ok(cli("loan", "arrears", *club, "--as-of", as_of, "--format", "json")).json()


def tax(cli, year, *extra, club=CLUB):
    return ok(cli("tax", "sheet", *club, "--year", str(year), "--format", "json",
                  *extra)).json()


def assert_refused(cli, database_url, cases):
    """Each case: (argv, error code, exit code). Nothing may be written by any of them.

    Writes only add up, so one snapshot after all the cases proves that none wrote anything.
    Returns the results by argv, to check what the messages say.
    """
    before = snapshot(database_url)
    results = {}
    for args, code, exit_code in cases:
        r = cli(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), (args, r.stderr)
        assert r.stdout == "", args
        assert r.stderr.strip(), args
        assert "Traceback" not in r.stderr, args
        results[args] = r
    assert snapshot(database_url) == before, [args for args, _, _ in cases]
    return results


def investee(slug, legal_form, *extra, name=None, club=CLUB):
    return ("investee", "add", *club, "--slug", slug, "--name", name or slug.title(),
            "--legal-form", legal_form, *extra)


def subscribe(slug, date, shares, unit_price, *extra, club=CLUB):
    return ("equity", "subscribe", *club, "--investee", slug, "--date", date,
            "--shares", str(shares), "--unit-price", unit_price, *extra)


def equity(command, slug, date, *extra, club=CLUB):
    return ("equity", command, *club, "--investee", slug, "--date", date, *extra)


def grant(slug, date, principal, *extra, club=CLUB):
    return ("loan", "grant", *club, "--investee", slug, "--date", date,
            "--principal", principal, *extra)


def repay(loan, date, amount, *extra, club=CLUB):
    return ("loan", "repay", *club, "--loan", str(loan), "--date", date, "--amount", amount,
            *extra)


def rows(data, *keys):
    return [tuple(row[k] for k in keys) for row in data["instalments"]]




def fifths(amount, income="0.00", gain="0.00"):
    """Member keys of an investment financed by the five equal members."""
    return [{"member": f"M0{i}", "share": "0.200000", "amount": amount, "income": income,
             "gain": gain} for i in range(1, 6)]


# -- investees --------------------------------------------------------------------------------

def test_investee_add_and_bad_input_writes_nothing(small, database_url):
    r = ok(small(*investee("la-fabrique", "SCOP", "--siren", "732 829 320", "--capital",
                           "20 000,00", "--sector", "industrie", "--esus",
                             name="La Fabrique")))
    assert "la-fabrique" in r.stdout
    res = assert_refused(small, database_url, [
        (investee("la-fabrique", "SCOP"), "investee_exists", 1),
        (investee("autre", "SCOP", "--siren", "123456789"), "invalid_siren", 2),
        (investee("autre", "SCOP", "--siren", "73282932"), "invalid_siren", 2),
        (investee("autre", "GmbH"), "invalid_choice", 2),
        (investee("autre", "scop"), "invalid_choice", 2),
        (investee("Autre Nom", "SCOP"), "invalid_investee_slug", 2),
        (investee("autre", "SCOP", "--capital", "abc"), "invalid_amount", 2),
        (investee("autre", "SCOP", "--capital", "10.001"), "amount_too_precise", 2),
        (investee("autre", "SCOP", "--capital", "0"), "value_must_be_positive", 1),
        (investee("autre", "SCOP", name="   "), "name_required", 1),
        (investee("autre", "SCOP", club=("--club", "nope")), "unknown_club", 1),
    ])
    assert "123456789" in res[investee("autre", "SCOP", "--siren", "123456789")].stderr
    r = res[investee("autre", "GmbH")]
    assert "GmbH" in r.stderr
    assert "SARL" in r.stderr
    # The SIREN is stored normalised (no spaces): it shows on the tax sheet.
    ok(small(*subscribe("la-fabrique", "2023-06-01", 20, "100.00")))
    line = tax(small, 2023, "--member", "M01")[0]["subscriptions"][0]
    assert (line["investee"], line["siren"]) == ("La Fabrique", "732829320")
    assert portfolio(small)[1]["sector"] == "industrie"


# -- equity -----------------------------------------------------------------------------------

def test_subscription_books_the_stake_and_freezes_member_keys(fourmis):
    ok(fourmis(*investee("la-fabrique", "SCOP", "--capital", "20000", name="La Fabrique")))
    assert balances(fourmis)["5121"] == "6000.00"
    r = ok(fourmis(*subscribe("la-fabrique", "2023-06-01", 20, "100.00")))
    assert (r.stdout.strip(), r.stderr) == ("1", "")  # 10 % of the capital: no warning
    b = balances(fourmis)
    assert (b["261-la-fabrique"], b["5121"]) == ("2000.00", "4000.00")
    assert balances(fourmis, CLUB, "--as-of", "2023-06-01")["5121"] == "500.00"  # 2500 − 2000
    assert portfolio(fourmis) == {1: {
        "number": 1, "investee": "la-fabrique", "legal_form": "SCOP", "sector": None,
        "kind": "equity", "instrument": "equity", "instrument_label": "Prise de participation",
        "date": "2023-06-01", "cost": "2000.00", "repaid": "0.00",
        "proceeds": "0.00", "income": "0.00", "written_off": "0.00", "impairment": "0.00",
        "outstanding": "2000.00", "status": "held", "shares_held": 20, "keys": fifths("400.00")}}
    # Before the payment the portfolio is empty; JSON output gives the entry too.
    assert portfolio(fourmis, "--as-of", "2023-05-31") == {}
    r = ok(fourmis(*subscribe("la-fabrique", "2023-07-01", 5, "100,00", "--format", "json")))
    assert r.json() == {"number": 2, "entry": "BQ 62"}
    assert portfolio(fourmis)[2]["keys"] == fifths("100.00")


def test_dividend_sale_impairment_and_write_off(fourmis, database_url):
    ok(fourmis(*investee("la-fabrique", "SCOP", "--capital", "20000", name="La Fabrique")))
    ok(fourmis(*subscribe("la-fabrique", "2023-06-01", 20, "100.00")))

    r = ok(fourmis(*equity("dividend", "la-fabrique", "2024-03-01", "--amount", "120")))
    # What was booked, not a bare number: entry, date, lines with their side, the meaning.
    out = r.stdout.splitlines()
    assert out[0] == "Écriture BQ 62 du 01/03/2024 : Dividende La Fabrique"
    assert out[1].split() == ["5121", "Banque", "–", "compte", "courant", "débit", "120,00"]
    assert out[2].split()[0] == "7610"
    assert out[2].split()[-2:] == ["crédit", "120,00"]
    assert out[3] == "Montant : 120,00"
    b = balances(fourmis)
    assert (b["5121"], b["7610"]) == ("4120.00", "-120.00")

    # A SCOP's parts are repaid at nominal: 5 parts (nominal 500.00) sold for 600.00 is
    # refused unless confirmed with --above-nominal, and then it is recorded with a warning.
    res = assert_refused(fourmis, database_url, [
        (equity("sell", "la-fabrique", "2024-06-01", "--shares", "5", "--price", "600"),
         "cooperative_parts_at_nominal", 1),
        (equity("redeem", "la-fabrique", "2024-06-01", "--shares", "5", "--above-nominal"),
         "invalid_choice", 2),
    ])
    for part in ("SCOP", "500,00", "600,00", "--above-nominal"):
        assert part in res[equity("sell", "la-fabrique", "2024-06-01", "--shares", "5",
                                  "--price", "600")].stderr, part
    # Five shares costing 500.00 sold for 600.00: 5121/7750 600 and 6750/261 500.
    r = ok(fourmis(*equity("sell", "la-fabrique", "2024-06-01", "--shares", "5",
                           "--price", "600", "--above-nominal")))
    out = r.stdout.splitlines()
    assert out[0] == "Écriture BQ 63 du 01/06/2024 : Cession de 5 parts La Fabrique"
    assert [ln.split()[0] for ln in out[1:5]] == ["5121", "7750", "6750", "261-la-fabrique"]
    assert [ln.split()[-2:] for ln in out[1:5]] == [
        ["débit", "600,00"], ["crédit", "600,00"], ["débit", "500,00"], ["crédit", "500,00"]]
    assert out[5] == ("Produit : 600,00 · Coût des titres cédés : 500,00 · "
                      "Plus-value : 100,00")
    assert "[sold_above_nominal]" not in r.stderr
    assert "100,00" in r.stderr
    # Sold before the IR-PME lock-up ends (31/12/2028): the clawback warning names the sale,
    # its date and the reduction at stake: 2,000 paid on 2023-06-01 at 25 % = 500.00 for the
    # 20 parts (100.00 a member), 5 of them sold: 125.00.
    warning = [ln for ln in r.stderr.splitlines() if "31/12/2028" in ln]
    assert len(warning) == 1
    for part in ("01/06/2024", "5", "01/06/2023", "125,00"):
        assert part in warning[0], part
    r = ok(fourmis(*equity("dividend", "la-fabrique", "2024-06-02", "--amount", "1",
                           "--format", "json")))
    assert r.json() == {
        "number": 1, "entry": "BQ 64", "date": "2024-06-02", "label": "Dividende La Fabrique",
        "lines": [{"account": "5121", "label": "Banque – compte courant", "debit": "1.00",
                   "credit": "0.00"},
                  {"account": "7610", "label": "Produits de participations", "debit": "0.00",
                   "credit": "1.00"}],
        "booked": {"amount": "1.00"}}
    b = balances(fourmis)
    assert (b["5121"], b["7610"], b["7750"], b["6750"], b["261-la-fabrique"]) == (
        "4721.00", "-121.00", "-600.00", "500.00", "1500.00")

    ok(fourmis(*equity("impair", "la-fabrique", "2024-12-31", "--amount", "300")))
    b = balances(fourmis)
    assert (b["6866"], b["2961"]) == ("300.00", "-300.00")
    ok(fourmis(*equity("reverse-impairment", "la-fabrique", "2025-06-30", "--amount", "100")))
    b = balances(fourmis)
    assert (b["2961"], b["7866"]) == ("-200.00", "-100.00")
    line = portfolio(fourmis)[1]
    assert {k: line[k] for k in ("cost", "repaid", "proceeds", "income", "written_off",
                                 "impairment", "outstanding", "status", "shares_held")} == {
        "cost": "2000.00", "repaid": "500.00", "proceeds": "600.00", "income": "121.00",
        "written_off": "0.00", "impairment": "200.00", "outstanding": "1500.00",
        "status": "held", "shares_held": 15}
    # Each member's part of the dividends and of the realised gain (600 − 500), by the key.
    assert line["keys"] == fifths("400.00", income="24.20", gain="20.00")
    assert portfolio(fourmis, "--as-of", "2024-12-30")[1]["impairment"] == "0.00"

    # A valuation is a memo for the units method: no entry.
    before = balances(fourmis)
    ok(fourmis(*equity("value", "la-fabrique", "2025-07-01", "--value", "1400")))
    assert balances(fourmis) == before

    res = assert_refused(fourmis, database_url, [
        (equity("impair", "la-fabrique", "2025-07-01", "--amount", "1300.01"),
         "impairment_exceeds_value", 1),
        (equity("reverse-impairment", "la-fabrique", "2025-07-01", "--amount", "200.01"),
         "reversal_exceeds_impairment", 1),
        (equity("sell", "la-fabrique", "2025-07-01", "--shares", "16", "--price", "1"),
         "not_enough_shares", 1),
    ])
    assert "1300.00" in res[equity("impair", "la-fabrique", "2025-07-01", "--amount",
                                   "1300.01")].stderr

    # The company is liquidated: remaining cost 1500 to 6750, remaining impairment reversed.
    ok(fourmis(*equity("write-off", "la-fabrique", "2025-09-01")))
    b = balances(fourmis)
    assert (b["261-la-fabrique"], b["6750"], b["2961"], b["7866"], b["5121"]) == (
        "0.00", "2000.00", "0.00", "-300.00", "4721.00")
    line = portfolio(fourmis)[1]
    assert (line["written_off"], line["impairment"], line["outstanding"], line["status"],
            line["shares_held"]) == ("1500.00", "0.00", "0.00", "written_off", 0)
    assert line["keys"] == fifths("400.00", income="24.20", gain="-280.00")  # 600 − 2000
    assert_refused(fourmis, database_url, [
        (equity("dividend", "la-fabrique", "2025-10-01", "--amount", "10"), "no_stake_held", 1),
        (equity("sell", "la-fabrique", "2025-10-01", "--shares", "1", "--price", "1"),
         "not_enough_shares", 1),
        (equity("write-off", "la-fabrique", "2025-10-01"), "no_stake_held", 1),
        (equity("impair", "la-fabrique", "2025-10-01", "--amount", "1"), "no_stake_held", 1),
    ])


def test_redemption_at_nominal_and_full_sale_close_the_stake(fourmis):
    ok(fourmis(*investee("coop", "SCIC", "--capital", "10000")))
    ok(fourmis(*subscribe("coop", "2023-06-01", 10, "100.00")))
    ok(fourmis(*subscribe("coop", "2023-08-01", 10, "50.00")))
    # Redeeming 12 shares takes the first subscription's 10, then 2 of the second (FIFO),
    # at nominal: 10 × 100 + 2 × 50 = 1100 received, for a cost of 1100.
    r = ok(fourmis(*equity("redeem", "coop", "2024-01-15", "--shares", "12")))
    assert r.stdout.splitlines()[-1] == ("Produit : 1\u202f100,00 · "
                                         "Coût des titres cédés : 1\u202f100,00 · "
                                         "Plus-value : 0,00")
    # A repayment of capital claws back until 31 December of year + 7 (2030-12-31), one
    # warning per subscription, with the reduction at stake: 1,000 paid on 2023-06-01 at 25 %
    # = 250.00, all 10 parts redeemed; 500 paid on 2023-08-01 at 25 % = 125.00, 2 of 10 parts
    # redeemed: 25.00.
    warnings = [ln for ln in r.stderr.splitlines() if "31/12/2030" in ln]
    assert len(warnings) == 2
    assert "15/01/2024" in warnings[0]
    assert "250,00" in warnings[0]
    assert "01/08/2023" in warnings[1]
    assert "25,00" in warnings[1]
    assert "31/12/2028" not in r.stderr
    b = balances(fourmis)
    assert (b["261-coop"], b["7750"], b["6750"], b["5121"]) == (
        "400.00", "-1100.00", "1100.00", "5600.00")
    lines = portfolio(fourmis)
    assert [(n, ln["repaid"], ln["outstanding"], ln["status"], ln["shares_held"])
            for n, ln in lines.items()] == [
        (1, "1000.00", "0.00", "exited", 0), (2, "100.00", "400.00", "held", 8)]
    # (What each subscription received is checked in a regression test below.)
    # The rest sold at a loss: 8 shares costing 400 for 300.
    ok(fourmis(*equity("sell", "coop", "2024-02-01", "--shares", "8", "--price", "300")))
    b = balances(fourmis)
    assert (b["261-coop"], b["7750"], b["6750"], b["5121"]) == (
        "0.00", "-1400.00", "1500.00", "5900.00")
    assert portfolio(fourmis)[2]["status"] == "exited"


def test_equity_caps_per_legal_form(small, database_url):
    ok(small(*investee("sarl", "SARL", "--capital", "8000")))  # 25 %: 2000.00
    ok(small(*investee("sas", "SAS", "--capital", "6000")))  # 33 %: 1980.00
    ok(small(*investee("sa", "SA", "--capital", "3000")))  # 33 %: 990.00
    ok(small(*investee("scop", "SCOP", "--capital", "3000")))  # 50 %: 1500.00
    res = assert_refused(small, database_url, [
        (subscribe("sarl", "2023-12-31", 21, "100"), "equity_cap_exceeded", 1),
        (subscribe("sarl", "2023-12-31", 1, "2000.01"), "equity_cap_exceeded", 1),
        (subscribe("sas", "2023-12-31", 20, "100"), "equity_cap_exceeded", 1),
        (subscribe("sa", "2023-12-31", 10, "100"), "equity_cap_exceeded", 1),
        (subscribe("scop", "2023-12-31", 16, "100"), "equity_cap_exceeded", 1),
    ])
    # Amounts in the reader's format, the percentage with two decimals: 2,100 / 8,000 =
    # 26.25 %; 2,000 / 6,000 = 33.333… % → 33,33 %.
    r = res[subscribe("sarl", "2023-12-31", 21, "100")]
    for part in ("2\u202f100,00", "8\u202f000,00", "(26,25\xa0%)", "25\xa0%", "SARL",
                 "2\u202f000,00"):
        assert part in r.stderr, part
    r = res[subscribe("sas", "2023-12-31", 20, "100")]
    for part in ("(33,33\xa0%)", "33\xa0%", "1\u202f980,00"):
        assert part in r.stderr, part
    # Exactly at the cap is allowed; what is already held counts.
    ok(small(*subscribe("sarl", "2023-12-31", 20, "100")))
    ok(small(*subscribe("sas", "2023-12-31", 19, "100")))
    ok(small(*subscribe("sas", "2023-12-31", 1, "80")))
    ok(small(*subscribe("scop", "2023-12-31", 10, "100")))
    res = assert_refused(small, database_url, [
        (subscribe("sarl", "2023-12-31", 1, "0.01"), "equity_cap_exceeded", 1),
        (subscribe("sas", "2023-12-31", 1, "0.01"), "equity_cap_exceeded", 1),
        (subscribe("scop", "2023-12-31", 6, "100"), "equity_cap_exceeded", 1),
    ])
    assert "500,00" in res[subscribe("scop", "2023-12-31", 6, "100")].stderr
    # Shares sold free room under the cap.
    ok(small(*equity("sell", "scop", "2024-01-02", "--shares", "4", "--price", "400")))
    ok(small(*subscribe("scop", "2024-01-03", 9, "100")))
    # Capital unknown: the cap cannot be checked, which is said, and the stake is recorded.
    ok(small(*investee("sans-capital", "SARL")))
    r = ok(small(*subscribe("sans-capital", "2024-01-03", 1, "10")))
    assert r.stdout.strip() == "6"
    assert "25" in r.stderr
    assert r.error_code is None
    # Forms without a cap (other) take any amount.
    ok(small(*investee("autre", "other", "--capital", "100")))
    ok(small(*subscribe("autre", "2024-01-03", 1, "100")))


def test_equity_bad_input_writes_nothing(fourmis, database_url):
    ok(fourmis(*investee("asso", "association")))
    ok(fourmis(*investee("solo", "EI")))
    ok(fourmis(*investee("sas", "SAS", "--capital", "100000")))
    ok(fourmis(*subscribe("sas", "2023-06-01", 10, "100")))
    res = assert_refused(fourmis, database_url, [
        (subscribe("asso", "2023-12-31", 1, "100"), "no_share_capital", 1),
        (subscribe("solo", "2023-12-31", 1, "100"), "no_share_capital", 1),
        (subscribe("sas", "2023-12-31", 51, "100"), "not_enough_cash", 1),
        (subscribe("sas", "2023-06-29", 16, "100"), "not_enough_cash", 1),
        (subscribe("nope", "2023-12-31", 1, "100"), "unknown_investee", 1),
        (subscribe("sas", "2023-12-31", 1, "100", club=("--club", "nope")), "unknown_club", 1),
        (subscribe("sas", "2023-02-30", 1, "100"), "invalid_date", 2),
        (subscribe("sas", "31/13/2023", 1, "100"), "invalid_date", 2),
        (subscribe("sas", "2026-11-23", 1, "100"), "date_in_future", 1),
        (subscribe("sas", "2023-01-09", 1, "100"), "date_outside_club_life", 1),
        (subscribe("sas", "2023-12-31", "abc", "100"), "invalid_choice", 2),
        (subscribe("sas", "2023-12-31", "2.5", "100"), "invalid_choice", 2),
        (subscribe("sas", "2023-12-31", 0, "100"), "value_must_be_positive", 1),
        (subscribe("sas", "2023-12-31", -3, "100"), "value_must_be_positive", 1),
        (subscribe("sas", "2023-12-31", 1, "abc"), "invalid_amount", 2),
        (subscribe("sas", "2023-12-31", 1, "1.234"), "amount_too_precise", 2),
        (subscribe("sas", "2023-12-31", 1, "0"), "value_must_be_positive", 1),
        (subscribe("sas", "2023-12-31", 1, "100", "--format", "xml"), "invalid_choice", 2),
        (("equity", "subscribe", *CLUB, "--investee", "sas", "--date", "2023-12-31",
          "--shares", "1"), "missing_value", 2),
        (equity("sell", "sas", "2023-12-31", "--shares", "11", "--price", "1100"),
         "not_enough_shares", 1),
        (equity("sell", "sas", "2023-05-31", "--shares", "1", "--price", "100"),
         "not_enough_shares", 1),
        (equity("sell", "sas", "2023-12-31", "--shares", "1"), "missing_value", 2),
        (equity("sell", "sas", "2023-12-31", "--shares", "1", "--price", "-1"),
         "value_must_be_positive", 1),
        (equity("redeem", "sas", "2023-12-31", "--shares", "11"), "not_enough_shares", 1),
        (equity("sell", "solo", "2023-12-31", "--shares", "1", "--price", "1"),
         "not_enough_shares", 1),
        (equity("dividend", "solo", "2023-12-31", "--amount", "10"), "no_stake_held", 1),
        (equity("dividend", "sas", "2023-05-31", "--amount", "10"), "no_stake_held", 1),
        (equity("dividend", "sas", "2023-12-31", "--amount", "0"), "value_must_be_positive", 1),
        (equity("dividend", "sas", "2023-12-31", "--amount", "dix"), "invalid_amount", 2),
        (equity("impair", "sas", "2023-12-31", "--amount", "1000.01"),
         "impairment_exceeds_value", 1),
        (equity("reverse-impairment", "sas", "2023-12-31", "--amount", "1"),
         "reversal_exceeds_impairment", 1),
        (equity("write-off", "solo", "2023-12-31"), "no_stake_held", 1),
        (equity("value", "sas", "2023-12-31", "--value", "-1"), "value_must_be_positive", 1),
    ])
    r = res[subscribe("sas", "2023-12-31", 51, "100")]
    assert "5000.00" in r.stderr  # 6000 saved − 1000 already invested
    assert "5100.00" in r.stderr
    assert "sas" in res[subscribe("nope", "2023-12-31", 1, "100")].stderr  # names the known
    r = res[equity("sell", "sas", "2023-12-31", "--shares", "11", "--price", "1100")]
    assert "10" in r.stderr
    assert "11" in r.stderr


# -- phases -----------------------------------------------------------------------------------

def test_no_new_investments_after_phase_one_without_prorogation(anciens, database_url):
    ok(anciens(*investee("coop", "SCIC", "--capital", "10000", club=OLD)))
    ok(anciens(*investee("velo", "EI", club=OLD)))
    ok(anciens(*subscribe("coop", "2017-06-01", 10, "100", club=OLD)))
    res = assert_refused(anciens, database_url, [
        (subscribe("coop", "2022-03-01", 1, "100", club=OLD), "phase_does_not_allow", 1),
        (grant("velo", "2022-06-01", "100", club=OLD), "phase_does_not_allow", 1),
        (grant("coop", "2023-01-02", "100", "--kind", "shareholder", club=OLD),
         "phase_does_not_allow", 1),
        (subscribe("coop", "2017-02-28", 1, "100", club=OLD), "date_outside_club_life", 1),
    ])
    assert "01/03/2022" in res[subscribe("coop", "2022-03-01", 1, "100", club=OLD)].stderr
    # The last day of phase 1 still allows it; managing what is held stays allowed after.
    ok(anciens(*subscribe("coop", "2022-02-28", 1, "100", club=OLD)))
    ok(anciens(*equity("dividend", "coop", "2023-05-01", "--amount", "55", club=OLD)))
    # Redemption after the lock-up (2022-12-31) but before 31 December of year + 7: the
    # capital-repayment clawback warning.
    r = ok(anciens(*equity("redeem", "coop", "2023-06-01", "--shares", "10", club=OLD)))
    assert "31/12/2024" in r.stderr
    sheet = tax(anciens, 2023, "--member", "M02", club=OLD)[0]
    assert [w["code"] for w in sheet["warnings"]] == ["ir_pme_clawback"]
    assert "31/12/2024" in sheet["warnings"][0]["message"]
    # The dividend is split over the two subscriptions by shares (50 + 5), then by their keys.
    assert sheet["income"] == [
        {"source": "Coop", "kind": "dividend", "club_amount": "50.00", "member_amount": "10.00"},
        {"source": "Coop", "kind": "dividend", "club_amount": "5.00", "member_amount": "1.00"}]


def test_management_phase_allows_new_investments_only_by_setting(cli, engine, database_url):
    build_club(engine, slug="les-anciens", founded=OLD_T0, months=2, monthly="500")
    build_club(engine, slug="les-audacieux", founded=OLD_T0, months=2, monthly="500",
               phase2_investments=True)
    bold = ("--club", "les-audacieux")
    for club in (OLD, bold):
        ok(cli("club", "extend", *club, "--date", "2021-06-01"))
        ok(cli(*investee("coop", "SCOP", "--capital", "10000", club=club)))
        ok(cli(*investee("velo", "EI", club=club)))
    assert show(cli, club=OLD)["phase"] == "management"
    assert_refused(cli, database_url, [
        (subscribe("coop", "2022-06-01", 1, "100", club=OLD), "phase_does_not_allow", 1),
        (grant("velo", "2022-06-01", "100", club=OLD), "phase_does_not_allow", 1),
    ])
    assert ok(cli(*subscribe("coop", "2022-06-01", 1, "100", club=bold))).stdout.strip() == "1"
    assert ok(cli(*grant("velo", "2022-06-01", "100", club=bold))).stdout.strip() == "2"


# -- loans ------------------------------------------------------------------------------------

def honour_rows():
    """1200.00 over 12 monthly instalments at 0 %, 2 months of deferral, granted 2025-01-15."""
    dues = [f"{2025 + (3 + k) // 12}-{(3 + k) % 12 + 1:02d}-15" for k in range(12)]
    return [(k + 1, due, "100.00", "0.00", "100.00", f"{1100 - 100 * k}.00")
            for k, due in enumerate(dues)]


def test_honour_loan_schedule_repayments_and_arrears(fourmis):
    ok(fourmis(*investee("atelier", "EI", name="Atelier Vélo")))
    r = ok(fourmis(*grant("atelier", "2025-01-15", "1 200,00", "--instalments", "12",
                          "--deferral", "2", "--rate", "0", "--format", "json")))
    assert (r.json(), r.stderr) == ({"loan": 1, "entry": "BQ 61"}, "")
    b = balances(fourmis)
    assert (b["274-atelier"], b["5121"]) == ("1200.00", "4800.00")

    data = schedule(fourmis, 1, "--as-of", "2025-03-01")
    assert {k: data[k] for k in ("loan", "investee", "kind", "principal", "version",
                                 "outstanding")} == {
        "loan": 1, "investee": "atelier", "kind": "honour", "principal": "1200.00",
        "version": 1, "outstanding": "1200.00"}
    # At 0 % the deferral months owe nothing: the first row is due at grant + 3 months.
    assert rows(data, "n", "due", "principal", "interest", "total",
                "outstanding_after") == honour_rows()
    assert rows(data, "due")[0] == ("2025-04-15",)
    assert rows(data, "due")[-1] == ("2026-03-15",)
    assert set(rows(data, "paid", "status")) == {("0.00", "due")}

    ok(fourmis(*repay(1, "2025-04-15", "100")))
    r = ok(fourmis(*repay(1, "2025-05-20", "150")))
    out = r.stdout.splitlines()
    assert out[0] == "Écriture BQ 63 du 20/05/2025 : Remboursement prêt 1 Atelier Vélo"
    assert out[-1] == ("Montant : 150,00 · Capital : 150,00 · Intérêts : 0,00 · "
                       "Capital restant dû après : 950,00")
    b = balances(fourmis)
    assert (b["274-atelier"], b["5121"]) == ("950.00", "5050.00")
    # Oldest first: row 2 paid (late by 5 days when paid), row 3 half paid.
    data = schedule(fourmis, 1, "--as-of", "2025-06-10")
    assert rows(data, "paid", "status")[:4] == [
        ("100.00", "paid"), ("100.00", "paid"), ("50.00", "partial"), ("0.00", "due")]
    assert data["outstanding"] == "950.00"
    data = schedule(fourmis, 1, "--as-of", "2025-07-20")
    assert rows(data, "paid", "status")[:5] == [
        ("100.00", "paid"), ("100.00", "paid"), ("50.00", "late"), ("0.00", "late"),
        ("0.00", "due")]

    # 2025-07-15: row 3 is exactly 30 days late (not yet at risk), row 4 due that day.
    report = arrears(fourmis, "2025-07-15")
    assert (report["par30"], report["buckets"], report["loans"][0]["days_late"]) == (
        "0.0000", {"1-30": "50.00", "31-90": "0.00", "91-180": "0.00", "180+": "0.00"}, 30)
    assert arrears(fourmis, "2025-07-20") == {
        "as_of": "2025-07-20", "outstanding": "950.00", "par30": "1.0000",
        "buckets": {"1-30": "100.00", "31-90": "50.00", "91-180": "0.00", "180+": "0.00"},
        "loans": [{"loan": 1, "investee": "atelier", "outstanding": "950.00",
                   "overdue": "150.00", "days_late": 35, "1-30": "100.00", "31-90": "50.00",
                   "91-180": "0.00", "180+": "0.00", "par30": True}]}
    # A second loan with the same outstanding and nothing late halves PAR30.
    ok(fourmis(*grant("atelier", "2025-07-01", "950", "--instalments", "10")))
    report = arrears(fourmis, "2025-07-20")
    assert (report["outstanding"], report["par30"], report["buckets"]["31-90"]) == (
        "1900.00", "0.5000", "50.00")
    assert [(ln["loan"], ln["par30"], ln["days_late"]) for ln in report["loans"]] == [
        (1, True, 35), (2, False, 0)]
    # Today (2026-11-22) everything of loan 1 is late; the oldest unpaid row 3 (2025-06-15)
    # is 525 days late, and loan 2 (first due 2025-08-01) is late too.
    report = arrears(fourmis, "2026-11-22")
    assert report["par30"] == "1.0000"
    assert report["loans"][0]["days_late"] == 525
    assert report["buckets"]["180+"] == "1900.00"  # loan 2's last row (2026-05-01) too
    lines = portfolio(fourmis, "--as-of", "2025-07-20")
    assert [(n, ln["kind"], ln["cost"], ln["repaid"], ln["outstanding"], ln["status"],
             ln["shares_held"]) for n, ln in lines.items()] == [
        (1, "honour", "1200.00", "250.00", "950.00", "late", None),
        (2, "honour", "950.00", "0.00", "950.00", "current", None)]
    assert lines[1]["keys"] == fifths("240.00")
    assert "instalment_late" in alert_codes(fourmis, "--as-of", "2025-07-20")
    assert "instalment_late" not in alert_codes(fourmis, "--as-of", "2025-07-15")

    # Paying off the rest closes the loan; nothing more is taken.
    ok(fourmis(*repay(1, "2025-08-01", "950")))
    data = schedule(fourmis, 1)
    assert (data["outstanding"], set(rows(data, "status"))) == ("0.00", {("paid",)})
    assert portfolio(fourmis)[1]["status"] == "repaid"
    assert balances(fourmis)["274-atelier"] == "950.00"  # loan 2 only
    r = fourmis(*repay(1, "2025-08-02", "1"))
    assert (r.exit_code, r.error_code) == (1, "loan_settled")


def test_annuity_loan_with_interest_books_interest_to_7620(fourmis):
    ok(fourmis(*investee("atelier", "EI")))
    # 1000.00 at 12 % a year, 3 monthly instalments, constant instalment: r = 1 % a month,
    # payment = 1000 × 0.01 × 1.01³ / (1.01³ − 1) = 340.0221… → 340.02; the last row takes
    # the remaining principal 336.66 + interest 3.37 = 340.03.
    ok(fourmis(*grant("atelier", "2025-01-31", "1000", "--instalments", "3", "--rate",
                      "0,12", "--method", "annuity")))
    data = schedule(fourmis, 1, "--as-of", "2025-02-01")
    assert rows(data, "n", "due", "principal", "interest", "total", "outstanding_after") == [
        (1, "2025-02-28", "330.02", "10.00", "340.02", "669.98"),
        (2, "2025-03-31", "333.32", "6.70", "340.02", "336.66"),
        (3, "2025-04-30", "336.66", "3.37", "340.03", "0.00")]
    # A payment goes to the interest first: 5.00 on the first row is all interest.
    ok(fourmis(*repay(1, "2025-02-28", "5")))
    b = balances(fourmis)
    assert (b["274-atelier"], b["7620"]) == ("1000.00", "-5.00")
    ok(fourmis(*repay(1, "2025-03-05", "335.02")))
    b = balances(fourmis)
    assert (b["274-atelier"], b["7620"], b["5121"]) == ("669.98", "-10.00", "5340.02")
    data = schedule(fourmis, 1, "--as-of", "2025-03-05")
    assert rows(data, "paid", "status") == [("340.02", "paid"), ("0.00", "due"),
                                           ("0.00", "due")]
    # Linear with an interest-bearing deferral: the deferral rows carry interest only.
    ok(fourmis(*grant("atelier", "2025-01-31", "1200", "--instalments", "2", "--deferral",
                      "1", "--rate", "0.12")))
    assert rows(schedule(fourmis, 2, "--as-of", "2025-02-01"), "due", "principal",
                "interest", "outstanding_after") == [
        ("2025-02-28", "0.00", "12.00", "1200.00"),
        ("2025-03-31", "600.00", "12.00", "600.00"),
        ("2025-04-30", "600.00", "6.00", "0.00")]
    # Quarterly and yearly periods count from the grant date.
    ok(fourmis(*grant("atelier", "2025-01-31", "300", "--instalments", "3", "--frequency",
                      "quarterly")))
    assert rows(schedule(fourmis, 3), "due", "principal") == [
        ("2025-04-30", "100.00"), ("2025-07-31", "100.00"), ("2025-10-31", "100.00")]
    ok(fourmis(*grant("atelier", "2024-02-29", "100", "--instalments", "2", "--frequency",
                      "yearly")))
    assert rows(schedule(fourmis, 4), "due", "principal") == [
        ("2025-02-28", "50.00"), ("2026-02-28", "50.00")]
    # Interest received is the members' income by the loan's key.
    income = tax(fourmis, 2025, "--member", "M03")[0]["income"]
    assert income == [{"source": "Atelier", "kind": "interest", "club_amount": "10.00",
                       "member_amount": "2.00"}]


def test_shareholder_loan_contribution_and_participating_titles(fourmis, database_url):
    ok(fourmis(*investee("sas", "SAS", "--capital", "100000")))
    ok(fourmis(*investee("asso", "association")))
    ok(fourmis(*investee("coop", "SCOP", "--capital", "100000")))
    res = assert_refused(fourmis, database_url, [
        (grant("sas", "2024-07-01", "500", "--kind", "shareholder"),
         "shareholder_loan_needs_stake", 1),
        (grant("asso", "2024-07-01", "500", "--kind", "association"), "term_required", 1),
        (grant("coop", "2024-07-01", "500", "--kind", "participating"), "term_required", 1),
        (grant("coop", "2024-07-01", "500", "--kind", "participating", "--term",
               "2031-06-30"), "term_too_early", 1),
        (grant("asso", "2024-07-01", "500", "--kind", "association", "--term", "2024-07-01"),
         "invalid_loan_terms", 1),
        (grant("asso", "2024-07-01", "500", "--kind", "association", "--term", "2029-02-30"),
         "invalid_date", 2),
    ])
    assert "01/07/2031" in res[grant("coop", "2024-07-01", "500", "--kind", "participating",
                                     "--term", "2031-06-30")].stderr
    ok(fourmis(*subscribe("sas", "2024-07-01", 10, "100")))
    # A CCA needs at least 5 % of the capital (Code monétaire et financier L. 312-2):
    # 10 × 100 = 1,000 of 100,000 is 1 %.
    res = assert_refused(fourmis, database_url, [
        (grant("sas", "2024-07-01", "500", "--kind", "shareholder"), "cca_stake_too_small", 1),
        (("investee", "set", *CLUB, "--investee", "sas", "--capital", "0"),
         "value_must_be_positive", 1),
        (("investee", "set", *CLUB, "--investee", "sas", "--siren", "123456789"),
         "invalid_siren", 2),
        (("investee", "set", *CLUB, "--investee", "sas"), "missing_value", 2),
    ])
    msg = res[grant("sas", "2024-07-01", "500", "--kind", "shareholder")].stderr
    for part in ("1\u202f000,00", "100\u202f000,00", "(1,00\xa0%)", "5\xa0%",
                 "5\u202f000,00"):
        assert part in msg, part
    # 1,000 of 20,001 is 4.9998 %: still refused; of 20,000 exactly 5 %: allowed.
    ok(fourmis("investee", "set", *CLUB, "--investee", "sas", "--capital", "20001"))
    assert_refused(fourmis, database_url, [
        (grant("sas", "2024-07-01", "500", "--kind", "shareholder"), "cca_stake_too_small", 1)])
    ok(fourmis("investee", "set", *CLUB, "--investee", "sas", "--capital", "20000"))
    assert ok(fourmis(*grant("sas", "2024-07-01", "500", "--kind", "shareholder",
                             "--instalments", "2", "--frequency", "yearly", "--rate",
                             "0.02"))).stdout.strip() == "2"
    assert ok(fourmis(*grant("asso", "2024-07-01", "400", "--kind", "association",
                             "--term", "2029-07-01"))).stdout.strip() == "3"
    assert ok(fourmis(*grant("coop", "2024-07-01", "700", "--kind", "participating",
                             "--term", "2031-07-01"))).stdout.strip() == "4"
    b = balances(fourmis)
    assert (b["261-sas"], b["2671-sas"], b["2768-asso"], b["2718-coop"], b["5121"]) == (
        "1000.00", "500.00", "400.00", "700.00", "3400.00")
    assert rows(schedule(fourmis, 2), "due", "principal", "interest", "total") == [
        ("2025-07-01", "250.00", "10.00", "260.00"), ("2026-07-01", "250.00", "5.00", "255.00")]
    assert rows(schedule(fourmis, 3), "n", "due", "principal", "interest", "status") == [
        (1, "2029-07-01", "400.00", "0.00", "due")]
    assert rows(schedule(fourmis, 4), "due", "principal") == [("2031-07-01", "700.00")]
    kinds = {n: (ln["kind"], ln["status"]) for n, ln in portfolio(fourmis).items()}
    assert kinds == {1: ("equity", "held"), 2: ("shareholder", "late"),
                     3: ("association", "current"), 4: ("participating", "current")}
    # None of them is a subscription to share capital: only the equity is on the tax sheet.
    assert [s["investment"] for s in tax(fourmis, 2024, "--member", "M01")[0]["subscriptions"]
            ] == [1]
    # A contribution is repaid at its term, and may be repaid early.
    ok(fourmis(*repay(3, "2026-01-05", "400")))
    assert balances(fourmis)["2768-asso"] == "0.00"
    # With the capital unknown the 5 % cannot be checked: refused, saying to record it.
    ok(fourmis(*investee("sarl", "SARL")))
    ok(fourmis(*subscribe("sarl", "2024-07-01", 1, "100")))
    res = assert_refused(fourmis, database_url, [
        (grant("sarl", "2024-07-01", "500", "--kind", "shareholder"),
         "investee_capital_unknown", 1)])
    assert "investee set --investee sarl --capital" in res[
        grant("sarl", "2024-07-01", "500", "--kind", "shareholder")].stderr


def test_loan_after_the_club_life_is_a_warning_not_a_refusal(fourmis):
    ok(fourmis(*investee("atelier", "EI")))
    # Life ends 2033-01-09: a last instalment on that day is fine, one day later is not.
    r = ok(fourmis(*grant("atelier", "2026-01-09", "84", "--instalments", "84")))
    assert (r.stdout.strip(), r.stderr) == ("1", "")
    r = ok(fourmis(*grant("atelier", "2026-01-10", "84", "--instalments", "84")))
    assert r.stdout.strip() == "2"
    assert r.error_code is None
    assert "10/01/2033" in r.stderr
    assert "09/01/2033" in r.stderr
    r = ok(fourmis(*grant("atelier", "2026-01-10", "100", "--instalments", "10",
                          "--frequency", "yearly", "--format", "json")))
    assert r.json() == {"loan": 3, "entry": "BQ 63"}
    assert "10/01/2036" in r.stderr
    assert set(portfolio(fourmis)) == {1, 2, 3}
    alerts = show(fourmis, "--as-of", "2026-01-10")["alerts"]
    late = [a["message"] for a in alerts if a["code"] == "loan_ends_after_life"]
    assert len(late) == 2
    assert "10/01/2033" in late[0]
    assert "10/01/2036" in late[1]


def test_club_show_alerts_on_an_old_club(anciens):
    ok(anciens(*investee("coop", "SCIC", "--capital", "10000", club=OLD)))
    ok(anciens(*investee("velo", "EI", club=OLD)))
    ok(anciens(*subscribe("coop", "2017-06-01", 10, "100", club=OLD)))
    assert alert_codes(anciens, "--as-of", "2021-06-01", club=OLD) == []
    # Paid in 2022: the lock-up runs to 2027-12-31, after the life ends on 2027-02-28.
    r = ok(anciens(*subscribe("coop", "2022-02-01", 10, "100", club=OLD)))
    assert "31/12/2027" in r.stderr
    assert "28/02/2027" in r.stderr
    r = ok(anciens(*grant("velo", "2022-02-01", "610", "--instalments", "61", club=OLD)))
    assert "01/03/2027" in r.stderr
    r = ok(anciens(*grant("velo", "2022-02-01", "600", "--instalments", "60", club=OLD)))
    assert r.stderr == ""
    alerts = show(anciens, "--as-of", "2022-02-15", club=OLD)["alerts"]
    assert [a["code"] for a in alerts] == ["phase_ends_soon", "lock_up_after_life",
                                           "loan_ends_after_life"]
    assert "31/12/2027" in alerts[1]["message"]
    assert "01/03/2027" in alerts[2]["message"]
    # Nothing repaid: on 2022-04-15 the first instalments (due 2022-03-01) are 45 days late.
    codes = alert_codes(anciens, "--as-of", "2022-04-15", club=OLD)
    assert codes.count("instalment_late") == 2
    assert "lock_up_after_life" in codes
    assert "loan_ends_after_life" in codes
    # Once the stake is sold and the long loan written off, those alerts go.
    ok(anciens(*equity("sell", "coop", "2022-05-01", "--shares", "20", "--price", "1900",
                       club=OLD)))
    ok(anciens("loan", "write-off", *OLD, "--loan", "3", "--date", "2022-05-01"))
    codes = alert_codes(anciens, "--as-of", "2022-05-02", club=OLD)
    assert "lock_up_after_life" not in codes
    assert "loan_ends_after_life" not in codes
    assert codes.count("instalment_late") == 1


def test_reschedule_keeps_the_old_schedule(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "1200", "--instalments", "12")))
    ok(small(*repay(1, "2025-02-15", "100")))
    ok(small(*repay(1, "2025-03-15", "100")))
    assert_refused(small, database_url, [
        (("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-03-14",
          "--instalments", "4"), "payments_after_date", 1),
        (("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-05-01",
          "--instalments", "0"), "invalid_loan_terms", 1),
        (("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-05-01",
          "--instalments", "4", "--rate", "abc"), "invalid_rate", 2),
        (("loan", "reschedule", *CLUB, "--loan", "9", "--date", "2025-05-01",
          "--instalments", "4"), "unknown_loan", 1),
        (("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2026-11-23",
          "--instalments", "4"), "date_in_future", 1),
    ])
    r = ok(small("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-05-01",
                 "--instalments", "4", "--deferral", "1"))
    # The message is for people: the amount the French way (JSON below keeps "1000.00").
    assert "1\u202f000,00\u00a0€ en 4 échéances" in r.stdout
    data = schedule(small, 1, "--as-of", "2025-07-01")
    assert (data["version"], data["outstanding"]) == (2, "1000.00")
    # The new schedule lends the outstanding 1000.00 again, first due after one period.
    assert rows(data, "n", "due", "principal", "outstanding_after", "status") == [
        (1, "2025-07-01", "250.00", "750.00", "due"),
        (2, "2025-08-01", "250.00", "500.00", "due"),
        (3, "2025-09-01", "250.00", "250.00", "due"),
        (4, "2025-10-01", "250.00", "0.00", "due")]
    assert sum(Money.parse(p).cents for (p,) in rows(data, "principal")) == 100000
    # The old version is still there for dates before the reschedule.
    old = schedule(small, 1, "--as-of", "2025-04-30")
    assert (old["version"], len(old["instalments"])) == (1, 12)
    assert rows(old, "status")[:4] == [("paid",), ("paid",), ("late",), ("due",)]
    # Nothing is late any more on 2025-06-01; the portfolio follows the new schedule.
    assert arrears(small, "2025-06-01")["buckets"]["1-30"] == "0.00"
    assert arrears(small, "2025-04-30")["buckets"]["1-30"] == "100.00"
    ok(small(*repay(1, "2025-07-01", "250")))
    assert rows(schedule(small, 1, "--as-of", "2025-07-02"), "status")[:2] == [
        ("paid",), ("due",)]
    line = portfolio(small, "--as-of", "2025-07-02")[1]
    assert (line["repaid"], line["outstanding"], line["status"]) == (
        "450.00", "750.00", "current")
    ok(small(*repay(1, "2025-07-10", "750")))
    assert portfolio(small)[1]["status"] == "repaid"
    r = small("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-08-01",
              "--instalments", "2")
    assert (r.exit_code, r.error_code) == (1, "loan_settled")


def test_write_off_then_recover(fourmis, database_url):
    ok(fourmis(*investee("atelier", "EI")))
    ok(fourmis(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(fourmis(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(fourmis(*repay(1, "2025-02-15", "100")))
    assert_refused(fourmis, database_url, [
        (("loan", "write-off", *CLUB, "--loan", "1", "--date", "2025-02-14"),
         "payments_after_date", 1),
        (("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-07-01", "--amount", "10"),
         "loan_not_written_off", 1),
    ])
    ok(fourmis("loan", "write-off", *CLUB, "--loan", "1", "--date", "2025-06-01"))
    b = balances(fourmis)
    assert (b["6750"], b["274-atelier"]) == ("500.00", "600.00")  # loan 2 still on the books
    line = portfolio(fourmis)[1]
    assert (line["repaid"], line["written_off"], line["outstanding"], line["status"]) == (
        "100.00", "500.00", "0.00", "written_off")
    report = arrears(fourmis, "2025-07-20")
    assert ([ln["loan"] for ln in report["loans"]], report["outstanding"]) == ([2], "600.00")
    res = assert_refused(fourmis, database_url, [
        (repay(1, "2025-07-01", "50"), "loan_written_off", 1),
        (repay(1, "2025-07-01", "50", "--key", "late-1"), "loan_written_off", 1),
        (("loan", "write-off", *CLUB, "--loan", "1", "--date", "2025-07-01"),
         "loan_written_off", 1),
        (("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-07-01",
          "--instalments", "3"), "loan_written_off", 1),
        (("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-09-01", "--amount",
          "500.01"), "recovery_exceeds_loss", 1),
        (("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-09-01", "--amount", "0"),
         "value_must_be_positive", 1),
        (("loan", "recover", *CLUB, "--loan", "7", "--date", "2025-09-01", "--amount", "1"),
         "unknown_loan", 1),
    ])
    assert "01/06/2025" in res[repay(1, "2025-07-01", "50")].stderr
    ok(fourmis("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-09-01",
               "--amount", "200"))
    b = balances(fourmis)
    assert (b["7718"], b["5121"], b["6750"]) == ("-200.00", "5100.00", "500.00")
    ok(fourmis("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-10-01",
               "--amount", "300"))
    r = fourmis("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-11-01",
                "--amount", "0.01")
    assert (r.exit_code, r.error_code) == (1, "recovery_exceeds_loss")
    assert "500.00" in r.stderr
    assert balances(fourmis)["7718"] == "-500.00"
    assert portfolio(fourmis, "--as-of", "2025-09-30")[1]["keys"] == fifths(
        "120.00", gain="-60.00")  # 200 recovered of the 500 lost
    assert portfolio(fourmis)[1]["keys"] == fifths("120.00")  # all recovered


def test_repayment_idempotency_key(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    r = ok(small(*repay(1, "2025-02-15", "100", "--key", "bank:0215")))
    assert (r.stdout.splitlines()[0], r.stderr) == (
        "Écriture BQ 12 du 15/02/2025 : Remboursement prêt 1 Atelier", "")
    after_first = snapshot(database_url)
    again = ok(small(*repay(1, "2025-02-15", "100,00", "--key", "bank:0215")))
    assert again.stdout.splitlines()[0] == r.stdout.splitlines()[0]  # the same entry
    assert again.stderr.strip() != ""  # says nothing new was written
    assert snapshot(database_url) == after_first
    for args in (repay(1, "2025-02-15", "100.01", "--key", "bank:0215"),
                 repay(1, "2025-02-16", "100", "--key", "bank:0215")):
        conflict = small(*args)
        assert (conflict.exit_code, conflict.error_code) == (3, "idempotency_conflict"), args
        assert conflict.stdout == ""
        assert snapshot(database_url) == after_first
    assert balances(small)["274-atelier"] == "500.00"
    assert schedule(small, 1)["outstanding"] == "500.00"


def test_loan_bad_input_writes_nothing(fourmis, database_url):
    ok(fourmis(*investee("atelier", "EI")))
    ok(fourmis(*investee("sas", "SAS", "--capital", "100000")))
    ok(fourmis(*subscribe("sas", "2023-06-01", 5, "100")))
    ok(fourmis(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    res = assert_refused(fourmis, database_url, [
        (grant("atelier", "2025-01-15", "100", "--instalments", "0"), "invalid_loan_terms", 1),
        (grant("atelier", "2025-01-15", "100", "--deferral", "-1"), "invalid_loan_terms", 1),
        (grant("atelier", "2025-01-15", "100", "--rate", "-0.01"), "invalid_rate", 2),
        (grant("atelier", "2025-01-15", "100", "--rate", "abc"), "invalid_rate", 2),
        (grant("atelier", "2025-01-15", "100", "--rate", "0.6"), "invalid_rate", 2),
        (grant("atelier", "2025-01-15", "100", "--rate", "NaN"), "invalid_rate", 2),
        (grant("atelier", "2025-01-15", "4900.01"), "not_enough_cash", 1),
        (grant("atelier", "2023-03-01", "1000.01"), "not_enough_cash", 1),
        (grant("atelier", "2025-01-15", "0"), "value_must_be_positive", 1),
        (grant("atelier", "2025-01-15", "-100"), "value_must_be_positive", 1),
        (grant("atelier", "2025-01-15", "abc"), "invalid_amount", 2),
        (grant("atelier", "2025-01-15", "10.005"), "amount_too_precise", 2),
        (grant("atelier", "2025-13-01", "100"), "invalid_date", 2),
        (grant("atelier", "2026-11-23", "100"), "date_in_future", 1),
        (grant("atelier", "2023-01-09", "100"), "date_outside_club_life", 1),
        (grant("atelier", "2025-01-15", "100", "--method", "bullet"), "invalid_choice", 2),
        (grant("atelier", "2025-01-15", "100", "--frequency", "weekly"), "invalid_choice", 2),
        (grant("atelier", "2025-01-15", "100", "--kind", "gift"), "invalid_choice", 2),
        (grant("atelier", "2025-01-15", "100", "--format", "yaml"), "invalid_choice", 2),
        (grant("atelier", "2025-01-15", "100", "--kind", "shareholder"),
         "shareholder_loan_needs_stake", 1),
        (grant("sas", "2023-05-31", "100", "--kind", "shareholder"),
         "shareholder_loan_needs_stake", 1),
        (grant("nope", "2025-01-15", "100"), "unknown_investee", 1),
        (grant("atelier", "2025-01-15", "100", club=("--club", "nope")), "unknown_club", 1),
        (repay(9, "2025-02-15", "100"), "unknown_loan", 1),
        (repay(1, "2025-02-15", "100"), "unknown_loan", 1),  # number 1 is the equity stake
        (repay(2, "2025-02-15", "600.01"), "overpayment", 1),
        (repay(2, "2025-01-14", "100"), "payment_before_grant", 1),
        (repay(2, "2025-02-15", "0"), "value_must_be_positive", 1),
        (repay(2, "2025-02-15", "abc"), "invalid_amount", 2),
        (repay(2, "2025-02-30", "100"), "invalid_date", 2),
        (repay(2, "2026-11-23", "100"), "date_in_future", 1),
        (repay(2, "2025-02-15", "100", club=("--club", "nope")), "unknown_club", 1),
    ])
    assert "600.00" in res[repay(2, "2025-02-15", "600.01")].stderr
    assert "2" in res[repay(9, "2025-02-15", "100")].stderr  # lists the loans that exist
    assert "4900.00" in res[grant("atelier", "2025-01-15", "4900.01")].stderr
    # Values Typer itself cannot read are usage errors too, with nothing written.
    before = snapshot(database_url)
    for args in (grant("atelier", "2025-01-15", "100", "--instalments", "abc"),
                 grant("atelier", "2025-01-15", "100", "--deferral", "1.5"),
                 ("loan", "repay", *CLUB, "--loan", "deux", "--date", "2025-02-15",
                  "--amount", "1")):
        r = fourmis(*args)
        assert (r.exit_code, r.stdout) == (2, ""), args
        assert "Traceback" not in r.stderr
    assert snapshot(database_url) == before
    # Read-only commands refuse the same way.
    for args, code, exit_code in (
        (("loan", "schedule", *CLUB, "--loan", "9"), "unknown_loan", 1),
        (("loan", "schedule", *CLUB, "--loan", "2", "--format", "pdf"), "invalid_choice", 2),
        (("loan", "arrears", *CLUB, "--as-of", "2025-02-30"), "invalid_date", 2),
        (("loan", "arrears", "--club", "nope"), "unknown_club", 1),
        (("portfolio", *CLUB, "--as-of", "yesterday"), "invalid_date", 2),
        (("portfolio", "--club", "nope"), "unknown_club", 1),
        (("tax", "sheet", *CLUB, "--year", "2025", "--member", "M99"), "unknown_member", 1),
        (("tax", "sheet", "--club", "nope", "--year", "2025"), "unknown_club", 1),
    ):
        r = fourmis(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), (args, r.stderr)


# -- tax sheets -------------------------------------------------------------------------------

def test_tax_sheet_rates_bases_and_lock_up(fourmis, database_url):
    # M01 paid 50.00 more in February 2023: on 2023-06-01 the keys are 550/2550 = 11/51 for
    # M01 and 10/51 for the others; from 2024 they are 1250/6050 = 25/121 and 24/121.
    ok(fourmis("saving", "add", *CLUB, "--member", "M01", "--date", "2023-02-15",
               "--amount", "50"))
    ok(fourmis(*investee("la-fabrique", "SCOP", "--siren", "732829320", "--capital", "20000",
                         name="La Fabrique")))
    ok(fourmis(*investee("verte", "SAS", "--esus", name="SAS Verte")))
    ok(fourmis(*investee("grise", "SAS", name="SAS Grise")))
    ok(fourmis(*investee("atelier", "EI")))
    ok(fourmis(*subscribe("la-fabrique", "2023-06-01", 20, "100")))
    ok(fourmis(*subscribe("grise", "2024-02-01", 1, "10.89")))
    ok(fourmis(*subscribe("verte", "2024-06-27", 1, "121")))
    ok(fourmis(*subscribe("verte", "2024-07-01", 1, "121")))
    ok(fourmis(*subscribe("grise", "2024-07-01", 1, "121")))
    ok(fourmis(*grant("atelier", "2024-07-01", "121", "--instalments", "1")))

    sheets = tax(fourmis, 2023)
    assert [s["member"] for s in sheets] == ["M01", "M02", "M03", "M04", "M05"]
    # 2000 × 11/51 = 431.37…, 2000 × 10/51 = 392.156…: largest remainders give the three
    # cents left to M02–M04 (ties by code). The 2023-03-12 → 2023-12-31 window: 25 %.
    expected = [("M01", "0.215686", "431.37", "107.84"), ("M02", "0.196078", "392.16", "98.04"),
                ("M03", "0.196078", "392.16", "98.04"), ("M04", "0.196078", "392.16", "98.04"),
                ("M05", "0.196078", "392.15", "98.04")]
    assert [(s["member"], s["subscriptions"][0]["key"], s["subscriptions"][0]["base"],
             s["subscriptions"][0]["reduction"]) for s in sheets] == expected
    assert sum(Money.parse(s["total_base"]).cents for s in sheets) == 200000
    assert sheets[0] == {
        "member": "M01", "year": 2023,
        "subscriptions": [{"investment": 1, "investee": "La Fabrique", "siren": "732829320",
                           "paid_on": "2023-06-01", "club_amount": "2000.00",
                           "key": "0.215686", "base": "431.37", "rate": "0.25",
                           "reduction": "107.84", "lock_up_end": "2028-12-31"}],
        "total_base": "431.37", "total_reduction": "107.84", "income": [], "warnings": []}

    sheet = tax(fourmis, 2024, "--member", "M01")
    assert len(sheet) == 1
    # 2.25 × 18 % = 0.405 → 0.41 (half up); ESUS 25 % only from 2024-06-28.
    assert [(s["investment"], s["paid_on"], s["club_amount"], s["key"], s["base"], s["rate"],
             s["reduction"], s["lock_up_end"]) for s in sheet[0]["subscriptions"]] == [
        (2, "2024-02-01", "10.89", "0.206612", "2.25", "0.18", "0.41", "2029-12-31"),
        (3, "2024-06-27", "121.00", "0.206612", "25.00", "0.18", "4.50", "2029-12-31"),
        (4, "2024-07-01", "121.00", "0.206612", "25.00", "0.25", "6.25", "2029-12-31"),
        (5, "2024-07-01", "121.00", "0.206612", "25.00", "0.18", "4.50", "2029-12-31")]
    assert (sheet[0]["total_base"], sheet[0]["total_reduction"]) == ("77.25", "15.66")
    m02 = tax(fourmis, 2024, "--member", "M02")[0]
    assert [(s["key"], s["base"], s["reduction"]) for s in m02["subscriptions"]] == [
        ("0.198347", "2.16", "0.39"), ("0.198347", "24.00", "4.32"),
        ("0.198347", "24.00", "6.00"), ("0.198347", "24.00", "4.32")]
    # The table lists every member's lines.
    assert "SAS Verte" in ok(fourmis("tax", "sheet", *CLUB, "--year", "2024")).stdout

    # A sale in 2025, inside the lock-up: every member who financed it is warned that year.
    ok(fourmis(*equity("dividend", "la-fabrique", "2025-03-01", "--amount", "51")))
    ok(fourmis(*equity("sell", "la-fabrique", "2025-04-01", "--shares", "2", "--price",
                       "200")))
    sheets = tax(fourmis, 2025)
    for s in sheets:
        assert s["subscriptions"] == []
        assert [w["code"] for w in s["warnings"]] == ["ir_pme_clawback"], s["member"]
        assert "31/12/2028" in s["warnings"][0]["message"]
    assert [s["income"][0]["member_amount"] for s in sheets] == [
        "11.00", "10.00", "10.00", "10.00", "10.00"]
    r = ok(fourmis("tax", "sheet", *CLUB, "--year", "2025", "--member", "M03"))
    assert "M03" in r.stderr
    assert "31/12/2028" in r.stderr
    assert all(s["warnings"] == [] for s in tax(fourmis, 2026))
    assert tax(fourmis, 2022) == []  # nobody was a member yet


# -- regressions: operations on an investment are recorded in date order ------------------------

def test_backdated_repayment_cannot_overpay(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "1200", "--instalments", "12")))
    ok(small(*repay(1, "2025-06-01", "1100")))
    assert_refused(small, database_url, [
        (repay(1, "2025-05-01", "200"), "investment_has_later_operations", 1)])


def test_backdated_sale_cannot_sell_more_than_held(small, database_url):
    ok(small(*investee("la-fabrique", "SCOP", "--capital", "20000")))
    ok(small(*subscribe("la-fabrique", "2023-06-01", 20, "100")))
    ok(small(*equity("sell", "la-fabrique", "2024-06-01", "--shares", "15", "--price",
                     "1500")))
    assert_refused(small, database_url, [
        (equity("sell", "la-fabrique", "2024-03-01", "--shares", "10", "--price", "1000"),
         "investment_has_later_operations", 1)])


def test_backdated_subscription_respects_the_cap(small, database_url):
    ok(small(*investee("scop", "SCOP", "--capital", "4000")))  # 50 %: 2000.00
    ok(small(*subscribe("scop", "2023-12-01", 10, "100")))
    assert_refused(small, database_url, [
        (subscribe("scop", "2023-10-01", 15, "100"), "equity_cap_exceeded", 1)])


def test_repayment_dated_before_a_write_off_is_refused(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(small("loan", "write-off", *CLUB, "--loan", "1", "--date", "2025-12-01"))
    assert_refused(small, database_url, [
        (repay(1, "2025-11-01", "100"), "loan_written_off", 1)])


def test_recovery_dated_before_the_write_off_is_refused(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(small("loan", "write-off", *CLUB, "--loan", "1", "--date", "2025-12-01"))
    before = snapshot(database_url)
    r = small("loan", "recover", *CLUB, "--loan", "1", "--date", "2025-10-01",
              "--amount", "50")
    assert r.exit_code == 1, r.stderr
    assert snapshot(database_url) == before


def test_repayment_on_the_reschedule_day_is_not_counted_twice(small, database_url):
    # Regression: a repayment of the reschedule day, recorded before it, was deducted from the
    # new principal and then counted again against the new schedule.
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "1200", "--instalments", "12")))
    ok(small(*repay(1, "2025-02-15", "100")))
    ok(small(*repay(1, "2025-05-01", "100")))
    ok(small("loan", "reschedule", *CLUB, "--loan", "1", "--date", "2025-05-01",
             "--instalments", "5"))
    data = schedule(small, 1, "--as-of", "2025-05-02")
    assert data["outstanding"] == "1000.00"
    assert set(rows(data, "paid")) == {("0.00",)}  # nothing paid yet on the new schedule
    # Repayments under the new schedule come after its start day.
    assert_refused(small, database_url, [
        (repay(1, "2025-05-01", "10"), "repayment_before_schedule", 1)])
    ok(small(*repay(1, "2025-06-01", "1000")))  # settling the 1000.00 outstanding
    assert portfolio(small)[1]["status"] == "repaid"


def test_redemption_proceeds_follow_each_subscription_nominal(small):
    ok(small(*investee("coop", "SCIC", "--capital", "10000")))
    ok(small(*subscribe("coop", "2023-06-01", 10, "100.00")))
    ok(small(*subscribe("coop", "2023-08-01", 10, "50.00")))
    ok(small(*equity("redeem", "coop", "2024-01-15", "--shares", "12")))
    lines = portfolio(small)
    # 10 shares of the first at 100.00 and 2 of the second at 50.00: each at its cost.
    assert [(n, ln["repaid"], ln["proceeds"]) for n, ln in lines.items()] == [
        (1, "1000.00", "1000.00"), (2, "100.00", "100.00")]
    assert lines[1]["keys"] == fifths("200.00")  # no gain, no loss
    assert lines[2]["keys"] == fifths("100.00")


def test_key_of_another_loan_is_a_conflict(small, database_url):
    ok(small(*investee("atelier", "EI")))
    ok(small(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(small(*grant("atelier", "2025-01-15", "600", "--instalments", "6")))
    ok(small(*repay(1, "2025-02-15", "100", "--key", "bank:0215")))
    assert_refused(small, database_url, [
        (repay(2, "2025-02-15", "100", "--key", "bank:0215"), "idempotency_conflict", 3)])


# -- early repayment (payoff) ---------------------------------------------------------------------

def payoff(loan, date, *extra, club=CLUB):
    return ("loan", "payoff", *club, "--loan", str(loan), "--date", date, *extra)


def test_payoff_settles_a_loan_with_interest_accrued_to_the_day(fourmis, database_url):
    """1,200.00 at 3 % a year, annuity over 12 months from 2024-01-10 (monthly rate 0.25 %):
    instalment 101.63; row 1 = 98.63 + 3.00, row 2 = 98.88 + 2.75 (on 1,101.37), due 10 Mar.
    Row 1 paid on 10 Feb. On 1 Mar, 20 of row 2's 29 days have run: 2.75 × 20/29 = 1.897 →
    1.90 accrued; payoff 1,101.37 + 1.90 = 1,103.27 (not 1,101.37 + all 11 rows' interest)."""
    ok(fourmis(*investee("atelier", "SARL", "--capital", "50000")))
    ok(fourmis(*grant("atelier", "2024-01-10", "1200", "--instalments", "12", "--rate", "0.03",
                      "--method", "annuity")))
    ok(fourmis(*repay(1, "2024-02-10", "101.63")))
    before = snapshot(database_url)
    quote = ok(fourmis(*payoff(1, "2024-03-01", "--format", "json"))).json()
    assert quote == {"loan": 1, "investee": "atelier", "date": "2024-03-01",
                     "principal": "1101.37", "overdue_interest": "0.00",
                     "accrued_interest": "1.90", "interest": "1.90", "overdue_instalments": 0,
                     "payoff": "1103.27"}
    text = ok(fourmis(*payoff(1, "2024-03-01"))).stdout
    for part in ("1\u202f103,27", "1\u202f101,37", "1,90", "01/03/2024",
                 "--amount 1103.27"):
        assert part in text, part
    # On the due date of row 2 the whole row is due and nothing of row 3 has accrued.
    assert ok(fourmis(*payoff(1, "2024-03-10", "--format", "json"))).json()["payoff"] == (
        "1104.12")
    assert snapshot(database_url) == before  # a quote writes nothing
    assert_refused(fourmis, database_url, [
        (payoff(1, "2024-01-09"), "payment_before_grant", 1),
        (payoff(9, "2024-03-01"), "unknown_loan", 1),
        (payoff(1, "2026-11-23"), "date_in_future", 1),
        (payoff(1, "2024-02-09"), "investment_has_later_operations", 1),
        (payoff(1, "2024-03-32"), "invalid_date", 2),
    ])
    r = ok(fourmis(*repay(1, "2024-03-01", "1103.27", "--format", "json"))).json()
    assert r["booked"] == {"amount": "1103.27", "principal": "1101.37", "interest": "1.90",
                           "outstanding_after": "0.00"}
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in r["lines"]] == [
        ("5121", "1103.27", "0.00"), ("274-atelier", "0.00", "1101.37"),
        ("7620", "0.00", "1.90")]
    # The schedule is closed: every row paid, row 2 charged only its accrued 1.90, later rows
    # no interest; the loan shows repaid, owes nothing, and is neither late nor at risk.
    data = schedule(fourmis, 1, "--as-of", "2025-06-30")
    assert data["outstanding"] == "0.00"
    assert {row["status"] for row in data["instalments"]} == {"paid"}
    assert [row["interest"] for row in data["instalments"][:3]] == ["3.00", "1.90", "0.00"]
    assert portfolio(fourmis, "--as-of", "2025-06-30")[1]["status"] == "repaid"
    late = arrears(fourmis, "2025-06-30")
    assert (late["outstanding"], late["par30"], late["loans"]) == ("0.00", "0.0000", [])
    assert balances(fourmis)["7620"] == "-4.90"  # 3.00 + 1.90: no future interest
    assert_refused(fourmis, database_url, [
        (payoff(1, "2024-03-02"), "loan_settled", 1),
        (repay(1, "2024-03-02", "0.01"), "loan_settled", 1),
    ])


def test_payoff_of_an_interest_free_loan_in_arrears_clears_par30(fourmis, database_url):
    # 600.00 at 0 % over 6 months from 2024-01-15; nothing paid. On 2024-04-20 rows 1–3
    # (300.00) are late, the oldest by 66 days: the whole 600.00 is at risk (PAR30 = 1).
    ok(fourmis(*investee("velo", "EI")))
    ok(fourmis(*grant("velo", "2024-01-15", "600", "--instalments", "6")))
    assert arrears(fourmis, "2024-04-20")["par30"] == "1.0000"
    quote = ok(fourmis(*payoff(1, "2024-04-20", "--format", "json"))).json()
    assert (quote["principal"], quote["interest"], quote["overdue_instalments"],
            quote["payoff"]) == ("600.00", "0.00", 3, "600.00")
    r = ok(fourmis(*repay(1, "2024-04-20", "600")))
    assert r.stdout.splitlines()[-1] == ("Montant : 600,00 · Capital : 600,00 · "
                                         "Intérêts : 0,00 · Capital restant dû après : 0,00")
    after = arrears(fourmis, "2024-09-01")
    assert (after["outstanding"], after["par30"], after["loans"]) == ("0.00", "0.0000", [])
    assert portfolio(fourmis)[1]["status"] == "repaid"


def test_write_off_prints_the_loss_booked(fourmis):
    ok(fourmis(*investee("velo", "EI")))
    ok(fourmis(*grant("velo", "2024-01-15", "600", "--instalments", "6")))
    ok(fourmis(*repay(1, "2024-02-15", "100")))
    r = ok(fourmis("loan", "write-off", *CLUB, "--loan", "1", "--date", "2024-09-01"))
    out = r.stdout.splitlines()
    assert out[0] == "Écriture OD 1 du 01/09/2024 : Perte sur prêt 1 Velo"
    assert [ln.split()[0] for ln in out[1:3]] == ["6750", "274-velo"]
    assert [ln.split()[-2:] for ln in out[1:3]] == [["débit", "500,00"], ["crédit", "500,00"]]
    assert out[3] == "Perte passée en charge : 500,00 · Capital restant dû après : 0,00"


def test_a_loan_to_a_company_is_not_labelled_an_honour_loan(fourmis):
    """kind honour is a prêt d'honneur only to a person (EI) at 0–2 %; to a company, or at
    3 %, it is labelled a loan ("Prêt", the chart's 274 label) everywhere people read it."""
    ok(fourmis(*investee("atelier", "EI")))
    ok(fourmis(*investee("sarl", "SARL", "--capital", "50000")))
    ok(fourmis(*grant("atelier", "2024-01-10", "300", "--rate", "0.02", "--instalments", "3")))
    ok(fourmis(*grant("atelier", "2024-01-10", "300", "--rate", "0.03", "--instalments", "3")))
    ok(fourmis(*grant("sarl", "2024-01-10", "300", "--rate", "0.03", "--instalments", "3")))
    ok(fourmis(*grant("sarl", "2024-01-10", "300", "--instalments", "3")))
    lines = portfolio(fourmis)
    assert {n: (ln["kind"], ln["instrument"], ln["instrument_label"])
            for n, ln in lines.items()} == {
        1: ("honour", "honour", "Prêt d’honneur"), 2: ("honour", "loan", "Prêt"),
        3: ("honour", "loan", "Prêt"), 4: ("honour", "loan", "Prêt")}
    journal = ok(fourmis("report", "journal", *CLUB, "--format", "json")).json()
    labels = [e["label"] for e in journal["entries"] if e["date"] == "2024-01-10"]
    assert labels == ["Prêt d'honneur Atelier", "Prêt Atelier", "Prêt Sarl", "Prêt Sarl"]
    accounts = balances_labels(fourmis)
    assert (accounts["274-atelier"], accounts["274-sarl"]) == ("Prêts – Atelier", "Prêts – Sarl")
    table = ok(fourmis("portfolio", *CLUB)).stdout
    assert "Prêt d’honneur" in table
    assert "Prêt " in table
    assert "honour" not in table


def balances_labels(cli, club=CLUB):
    data = ok(cli("report", "balance", *club, "--format", "json")).json()
    return {a["code"]: a["label"] for a in data["accounts"]}

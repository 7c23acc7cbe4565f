"""`cigales member|saving|expense|income`: the share table, leavers, savings and routine flows.

Happy paths check exact JSON values computed by hand; every refusal checks the exit code, the
stable error code, an empty stdout, and that nothing at all was written (snapshot of every table).
Large set-ups are built with the services directly; the behaviour under test goes through the CLI.
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
T0 = dt.date(2024, 1, 10)  # today (2026-11-22) is well inside the investment phase
SHARE_KEYS = ("code", "left", "paid", "contributed", "share", "value")


def build_club(engine, *, slug="les-fourmis", count=5, monthly="30", months=(), **settings):
    """A club founded on T0 with members M01..M{count} saving ``monthly`` and collected months."""
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, slug, "Les Fourmis", T0, today=TODAY, **settings)
        for i in range(1, count + 1):
            members.add_member(s, club, code=f"M{i:02d}", name=f"Membre {i}", joined=T0,
                               monthly=Money.parse(monthly), today=TODAY)
        for year, month in months:
            savings.collect_month(s, club, year, month, today=TODAY)


@pytest.fixture
def fourmis(engine, cli, database_url):
    """Five members who each saved 30.00 at the end of January and February 2024 (BQ 1–10)."""
    scratch.fill(database_url, functools.partial(build_club, months=((2024, 1), (2024, 2))))
    return cli


def ok(result):
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def table(cli, *extra, club=CLUB):
    """The share table as {code: (left, paid, contributed, share, value)}."""
    data = ok(cli("member", "list", *club, "--format", "json", *extra)).json()
    return {row["code"]: tuple(row[k] for k in SHARE_KEYS[1:]) for row in data}


def balances(cli, club=CLUB):
    data = ok(cli("report", "balance", *club, "--format", "json")).json()
    assert data["total_debit"] == data["total_credit"]
    return {a["code"]: a["balance"] for a in data["accounts"]}


def show(cli, *extra, club=CLUB):
    return ok(cli("club", "show", *club, "--format", "json", *extra)).json()


def assert_refused(cli, database_url, cases):
    """Each case: (argv, error code, exit code). Nothing may be written by any of them."""
    before = snapshot(database_url)
    for args, code, exit_code in cases:
        r = cli(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), (args, r.stderr)
        assert r.stdout == "", args
        assert "Traceback" not in r.stderr, args
        assert snapshot(database_url) == before, args


def saving(*args, member="M01", date="2024-03-01", amount="30"):
    return ("saving", "add", *CLUB, "--member", member, "--date", date, "--amount", amount,
            *args)


def leave(member, date, settlement, *args):
    return ("member", "leave", *CLUB, "--member", member, "--date", date, "--settlement",
            settlement, *args)


# -- member add / list ------------------------------------------------------------------------

def test_member_add_opens_accounts_and_lists_an_empty_share_table(cli):
    ok(cli("club", "create", "les-fourmis", "--name", "Les Fourmis", "--founded", "2024-01-10"))
    names = ["Anne Martin", "Bruno Petit", "Chloé Durand", "David Leroy", "Emma Roux"]
    for i, name in enumerate(names, start=1):
        r = ok(cli("member", "add", *CLUB, "--code", f"M0{i}", "--name", name,
                   "--joined", "2024-01-10", "--monthly", "30,00"))
        assert f"M0{i}" in r.stdout
    ok(cli("member", "add", *CLUB, "--code", "M06", "--name", "Fanny Blanc", "--joined",
           "2024-02-01", "--email", "fanny@example.org"))
    data = ok(cli("member", "list", *CLUB, "--format", "json")).json()
    assert [(r["code"], r["name"], r["joined"], r["left"], r["monthly"], r["contributed"],
             r["share"], r["value"]) for r in data] == [
        ("M01", "Anne Martin", "2024-01-10", None, "30.00", "0.00", "0.000000", "0.00"),
        ("M02", "Bruno Petit", "2024-01-10", None, "30.00", "0.00", "0.000000", "0.00"),
        ("M03", "Chloé Durand", "2024-01-10", None, "30.00", "0.00", "0.000000", "0.00"),
        ("M04", "David Leroy", "2024-01-10", None, "30.00", "0.00", "0.000000", "0.00"),
        ("M05", "Emma Roux", "2024-01-10", None, "30.00", "0.00", "0.000000", "0.00"),
        ("M06", "Fanny Blanc", "2024-02-01", None, "0.00", "0.00", "0.000000", "0.00"),
    ]
    # Before M06 joined, the table has five rows.
    assert list(table(cli, "--as-of", "2024-01-31")) == ["M01", "M02", "M03", "M04", "M05"]
    accounts = ok(cli("account", "list", *CLUB, "--account", "4567", "--format", "json")).json()
    assert [a["code"] for a in accounts] == ["4567"] + [f"4567-M0{i}" for i in range(1, 7)]
    listed = ok(cli("account", "list", *CLUB, "--format", "json")).stdout
    assert "Anne Martin" not in listed  # names stay out of the books
    status = show(cli)
    assert (status["members_active"], status["alerts"]) == (6, [])


def test_five_members_two_months_each_own_a_fifth(fourmis):
    assert table(fourmis) == {
        f"M0{i}": (None, "60.00", "60.00", "0.200000", "60.00") for i in range(1, 6)}
    assert table(fourmis, "--as-of", "2024-01-31") == {
        f"M0{i}": (None, "30.00", "30.00", "0.200000", "30.00") for i in range(1, 6)}
    # 299.97 / 5 = 59.994 each: the two cents left go to the first codes (largest remainder).
    ok(fourmis("expense", "add", *CLUB, "--date", "2024-03-01", "--amount", "0,03",
               "--kind", "bank_fees", "--label", "Frais"))
    values = {code: row[4] for code, row in table(fourmis).items()}
    assert values == {"M01": "60.00", "M02": "60.00", "M03": "59.99", "M04": "59.99",
                      "M05": "59.99"}
    status = show(fourmis)
    assert (status["cash"], status["net_assets"], status["members_active"]) == (
        "299.97", "299.97", 5)
    csv_text = ok(fourmis("member", "list", *CLUB, "--format", "csv")).stdout
    assert "M03,Membre 3,2024-01-10,,60.00,60.00,60.00,0.200000,59.99" in csv_text


def test_units_method_buys_units_at_the_club_value(cli, engine):
    build_club(engine, slug="les-parts", count=2, monthly="0", share_method="units")
    club = ("--club", "les-parts")
    ok(cli("saving", "add", *club, "--member", "M01", "--date", "2024-02-01", "--amount", "100"))
    ok(cli("income", "add", *club, "--date", "2024-02-10", "--amount", "100", "--kind", "other",
           "--label", "Plus-value"))
    # Net assets 200 for 10 units: M02's 100 buys 5 units at 20.00.
    ok(cli("saving", "add", *club, "--member", "M02", "--date", "2024-03-01", "--amount", "100"))
    data = ok(cli("member", "list", *club, "--format", "json")).json()
    assert [(r["code"], r["contributed"], r["units"], r["share"], r["value"]) for r in data] == [
        ("M01", "100.00", "10.0000", "0.666667", "200.00"),
        ("M02", "100.00", "5.0000", "0.333333", "100.00"),
    ]


def test_member_add_bad_input_writes_nothing(fourmis, database_url):
    def add(code="M06", name="Zoé", joined="2024-03-01", *extra):
        return ("member", "add", *CLUB, "--code", code, "--name", name, "--joined", joined,
                *extra)

    assert_refused(fourmis, database_url, [
        (add("M01"), "member_exists", 1),
        (add("m 6"), "invalid_member_code", 2),
        (add("M-06"), "invalid_member_code", 2),
        (add(name="  "), "name_required", 1),
        (add(joined="2024-13-01"), "invalid_date", 2),
        (add(joined="30/02/2024"), "invalid_date", 2),  # JJ/MM/AAAA, but no such day
        (add(joined="2024-01-09"), "date_outside_club_life", 1),
        (add(joined="2026-11-23"), "date_in_future", 1),
        (add("M06", "Zoé", "2024-03-01", "--monthly", "abc"), "invalid_amount", 2),
        (add("M06", "Zoé", "2024-03-01", "--monthly", "12.345"), "amount_too_precise", 2),
        (add("M06", "Zoé", "2024-03-01", "--monthly", "-5"), "monthly_saving_negative", 1),
        (("member", "add", "--club", "nope", "--code", "M06", "--name", "Zoé", "--joined",
          "2024-03-01"), "unknown_club", 1),
    ])
    r = fourmis(*add("M01"))
    assert "M01" in r.stderr


def test_twenty_first_member_is_refused(cli, engine, database_url):
    build_club(engine, count=20, monthly="0")

    def add(code, joined, club=CLUB):
        return ("member", "add", *club, "--code", code, "--name", "Nouveau", "--joined", joined)

    assert_refused(cli, database_url, [
        (add("M21", "2024-05-01"), "member_limit_reached", 1),
        (add("M21", "2024-01-10"), "member_limit_reached", 1),
    ])
    assert "20" in cli(*add("M21", "2024-05-01")).stderr
    assert show(cli)["members_active"] == 20
    # Once M20 has left, there is room again from the day of leaving, not before.
    ok(cli(*leave("M20", "2024-06-01", "deferred")))
    assert_refused(cli, database_url, [(add("M21", "2024-05-31"), "member_limit_reached", 1)])
    ok(cli(*add("M21", "2024-06-01")))
    assert_refused(cli, database_url, [(add("M22", "2024-07-01"), "member_limit_reached", 1)])
    assert show(cli)["members_active"] == 20

    # A backdated join must not push a later date over 20 either: 19 members, M20 joins in
    # June, so M21 cannot join in March (they would be 21 in June).
    build_club(engine, slug="les-abeilles", count=19, monthly="0")
    abeilles = ("--club", "les-abeilles")
    ok(cli(*add("M20", "2024-06-01", abeilles)))
    assert_refused(cli, database_url, [(add("M21", "2024-03-01", abeilles),
                                        "member_limit_reached", 1)])


# -- member leave -----------------------------------------------------------------------------

def test_leave_with_payout_then_deferred(fourmis):
    r = ok(fourmis(*leave("M01", "2024-03-05", "payout", "--format", "json")))
    assert r.json() == {"member": "M01", "date": "2024-03-05", "settlement": "payout",
                        "value": "60.00", "entries": ["OD 1", "BQ 11"]}
    assert table(fourmis) == {
        "M01": ("2024-03-05", "60.00", "0.00", "0.000000", "0.00"),
        **{f"M0{i}": (None, "60.00", "60.00", "0.250000", "60.00") for i in range(2, 6)}}
    b = balances(fourmis)
    assert (b["1011-M01"], b["4567-M01"], b["5121"]) == ("0.00", "0.00", "240.00")

    # Below five members after having had five, a voluntary departure is refused
    # (too_few_members): a newcomer joins first, and brings no capital (share unchanged).
    ok(fourmis("member", "add", *CLUB, "--code", "M06", "--name", "Fanny Blanc",
               "--joined", "2024-03-06"))
    r = ok(fourmis(*leave("M02", "2024-03-06", "deferred", "--format", "json")))
    assert r.json() == {"member": "M02", "date": "2024-03-06", "settlement": "deferred",
                        "value": "60.00", "entries": ["OD 2"]}
    shares = table(fourmis)
    assert shares["M02"] == ("2024-03-06", "60.00", "0.00", "0.000000", "0.00")
    assert {shares[f"M0{i}"] for i in range(3, 6)} == {
        (None, "60.00", "60.00", "0.333333", "60.00")}
    b = balances(fourmis)
    # Deferred: still owed on 4567-M02, the money stays in the bank until liquidation.
    assert (b["1011-M02"], b["4567-M02"], b["5121"]) == ("0.00", "-60.00", "240.00")
    status = show(fourmis)
    assert (status["members_active"], status["cash"], status["net_assets"]) == (
        4, "240.00", "180.00")
    assert [a["code"] for a in status["alerts"]] == ["too_few_members"]
    # On the eve of the departures, the table is unchanged.
    assert table(fourmis, "--as-of", "2024-03-04")["M01"] == (
        None, "60.00", "60.00", "0.200000", "60.00")


def test_below_five_after_five_only_joins_and_unavoidable_facts_are_recorded(fourmis,
                                                                             database_url):
    # The club had 5 members; M01 leaves on 5 March 2024: 4 remain.
    ok(fourmis(*leave("M01", "2024-03-05", "payout")))
    ok(fourmis("investee", "add", *CLUB, "--slug", "velo", "--name", "Vélo",
               "--legal-form", "EI"))
    ok(fourmis("investee", "add", *CLUB, "--slug", "coop", "--name", "Coop",
               "--legal-form", "SCOP", "--capital", "1000"))
    assert_refused(fourmis, database_url, [
        (saving(member="M03", date="2024-03-10"), "too_few_members", 1),
        (("saving", "collect", *CLUB, "--month", "2024-03"), "too_few_members", 1),
        (("equity", "subscribe", *CLUB, "--investee", "coop", "--date", "2024-03-10",
          "--shares", "1", "--unit-price", "10"), "too_few_members", 1),
        (("loan", "grant", *CLUB, "--investee", "velo", "--date", "2024-03-10",
          "--principal", "10"), "too_few_members", 1),
        (leave("M02", "2024-03-10", "deferred"), "too_few_members", 1),
        (leave("M03", "2024-03-10", "transfer", "--to", "M04"), "too_few_members", 1),
    ])
    r = fourmis(*saving(member="M03", date="2024-03-10"))
    for part in ("4", "5", "member add", "club liquidate"):
        assert part in r.stderr, part
    # What the club cannot refuse stays recordable: a bank fee, a death.
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-12", "--label", "Frais",
               "--journal", "BQ", "--line", "6270=2", "--line", "5121=-2"))
    ok(fourmis(*leave("M05", "2024-03-12", "transfer", "--to", "M04", "--deceased")))
    # Members joining bring it back: from 5 active members again, savings are accepted.
    for code, name in (("M06", "Fanny Blanc"), ("M07", "Gaston Roy")):
        ok(fourmis("member", "add", *CLUB, "--code", code, "--name", name,
                   "--joined", "2024-03-15"))
    assert show(fourmis)["members_active"] == 5
    ok(fourmis(*saving(member="M06", date="2024-03-15")))
    # Before the departures the same operations were allowed (the floor applies by date).
    ok(fourmis(*saving(member="M03", date="2024-03-04")))


def test_a_club_in_formation_below_five_only_gets_a_warning(engine, cli):
    build_club(engine, slug="les-graines", count=3)
    r = ok(cli("saving", "add", "--club", "les-graines", "--member", "M01", "--date",
               "2024-02-01", "--amount", "30"))
    assert r.error_code is None
    codes = [a["code"] for a in show(cli, club=("--club", "les-graines"))["alerts"]]
    assert codes == ["too_few_members"]
    ok(cli("member", "leave", "--club", "les-graines", "--member", "M03", "--date",
           "2024-02-02", "--settlement", "payout"))


def test_leave_with_transfer_to_a_member_and_to_a_newcomer(fourmis):
    r = ok(fourmis(*leave("M03", "2024-03-05", "transfer", "--to", "M04", "--deceased",
                          "--format", "json")))
    assert r.json() == {"member": "M03", "date": "2024-03-05", "settlement": "transfer",
                        "value": "60.00", "entries": ["OD 1"]}
    ok(fourmis("member", "add", *CLUB, "--code", "M06", "--name", "Nouvelle",
               "--joined", "2024-03-08"))
    r = ok(fourmis(*leave("M05", "2024-03-10", "transfer", "--to", "M06")))
    assert "M05" in r.stdout
    assert table(fourmis) == {
        "M01": (None, "60.00", "60.00", "0.200000", "60.00"),
        "M02": (None, "60.00", "60.00", "0.200000", "60.00"),
        "M03": ("2024-03-05", "60.00", "0.00", "0.000000", "0.00"),
        "M04": (None, "60.00", "120.00", "0.400000", "120.00"),
        "M05": ("2024-03-10", "60.00", "0.00", "0.000000", "0.00"),
        "M06": (None, "0.00", "60.00", "0.200000", "60.00"),
    }
    deceased = {r["code"]: r["deceased"] for r in
                ok(fourmis("member", "list", *CLUB, "--format", "json")).json()}
    assert deceased == {"M01": False, "M02": False, "M03": True, "M04": False, "M05": False,
                        "M06": False}
    b = balances(fourmis)
    assert (b["1011-M03"], b["1011-M04"], b["1011-M05"], b["1011-M06"], b["5121"]) == (
        "0.00", "-120.00", "0.00", "-60.00", "300.00")
    assert not any(code.startswith("4567-") for code in b)  # no money owed, none moved


def test_leave_bad_input_writes_nothing(fourmis, database_url):
    ok(fourmis("member", "add", *CLUB, "--code", "M06", "--name", "Nouvelle",
               "--joined", "2024-03-01"))
    ok(fourmis(*leave("M05", "2024-03-05", "deferred")))
    # 250 of the cash sits on the suspense account: the bank holds 50, M01 is worth 60.
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-02", "--label", "Inconnu",
               "--line", "471=250", "--line", "5121=-250"))
    assert_refused(fourmis, database_url, [
        (leave("M99", "2024-03-10", "payout"), "unknown_member", 1),
        (leave("M01", "2024-03-10", "refund"), "invalid_choice", 2),
        (leave("M01", "2024-03-10", "transfer"), "transfer_target_required", 1),
        (leave("M01", "2024-03-10", "transfer", "--to", "M99"), "unknown_member", 1),
        (leave("M01", "2024-03-10", "transfer", "--to", "M01"), "transfer_to_self", 1),
        (leave("M01", "2024-03-10", "payout", "--to", "M02"), "transfer_target_unexpected", 1),
        (leave("M01", "2024-03-10", "transfer", "--to", "M05"), "member_not_active", 1),
        (leave("M01", "2024-02-29", "transfer", "--to", "M06"), "member_not_active", 1),
        (leave("M01", "2024-02-20", "deferred"), "member_has_later_operations", 1),
        (leave("M06", "2024-02-01", "deferred"), "member_not_active", 1),
        (leave("M05", "2024-03-10", "deferred"), "member_already_left", 1),
        (leave("M01", "2024-03-10", "payout"), "not_enough_cash", 1),
        (leave("M01", "2024-03-32", "payout"), "invalid_date", 2),
        (leave("M01", "2026-11-23", "payout"), "date_in_future", 1),
        (leave("M01", "2024-01-09", "deferred"), "date_outside_club_life", 1),
        (("member", "leave", "--club", "nope", "--member", "M01", "--date", "2024-03-10",
          "--settlement", "payout"), "unknown_club", 1),
    ])
    r = fourmis(*leave("M99", "2024-03-10", "payout"))
    assert "M01" in r.stderr  # names the members that exist
    r = fourmis(*leave("M01", "2024-03-10", "payout"))
    assert "60.00" in r.stderr
    assert "50.00" in r.stderr


def test_payout_never_overdraws_the_current_account(fourmis, database_url):
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-01", "--label", "Vers le livret",
               "--line", "5122=280", "--line", "5121=-280"))
    before = snapshot(database_url)
    r = fourmis(*leave("M01", "2024-03-05", "payout"))
    if r.exit_code == 0:
        assert Money.parse(balances(fourmis)["5121"]).cents >= 0
    else:
        assert (r.exit_code, r.error_code) == (1, "not_enough_cash")
        assert snapshot(database_url) == before


# -- savings ----------------------------------------------------------------------------------

def test_saving_add_reference_and_idempotency_key(fourmis, database_url):
    r = ok(fourmis(*saving("--reference", "VIR 0301", "--key", "bank:0301:1", amount="25")))
    assert (r.stdout.strip(), r.stderr) == ("BQ 11", "")
    after_first = snapshot(database_url)
    again = ok(fourmis(*saving("--reference", "VIR 0301", "--key", "bank:0301:1",
                               amount="25")))
    assert again.stdout.strip() == "BQ 11"
    assert again.stderr.strip() != ""  # says nothing new was written
    assert snapshot(database_url) == after_first
    conflict = fourmis(*saving("--reference", "VIR 0301", "--key", "bank:0301:1", amount="26"))
    assert (conflict.exit_code, conflict.error_code) == (3, "idempotency_conflict")
    assert snapshot(database_url) == after_first
    journal = ok(fourmis("report", "journal", *CLUB, "--journal", "BQ", "--format",
                         "json")).json()
    last = journal["entries"][-1]
    assert (last["number"], last["date"], last["label"]) == (11, "2024-03-01",
                                                            "Versement M01 – VIR 0301")
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in last["lines"]] == [
        ("5121", "25.00", "0.00"), ("1011-M01", "0.00", "25.00")]
    assert table(fourmis)["M01"] == (None, "85.00", "85.00", "0.261538", "85.00")  # 85/325


def test_yearly_cap_warning_keeps_the_saving(fourmis):
    r = ok(fourmis(*saving(date="2024-06-01", amount="5 440,00")))  # 60 + 5440 = 5500: at cap
    assert (r.stdout.strip(), r.stderr) == ("BQ 11", "")
    r = ok(fourmis(*saving(date="2024-06-02", amount="0,01")))
    assert r.stdout.strip() == "BQ 12"
    assert r.error_code is None
    # Amounts in the reader's format, two decimals (French by default).
    for part in ("M01", "5\u202f500,01", "2024", "5\u202f500,00"):
        assert part in r.stderr
    assert table(fourmis)["M01"][1] == "5500.01"  # recorded all the same
    r = ok(fourmis(*saving(date="2025-01-05", amount="100")))
    assert r.stderr == ""  # a new year starts from zero
    # The monthly collection warns too, for the member above the cap only.
    ok(fourmis(*saving(member="M02", date="2024-06-01", amount="5440")))
    r = ok(fourmis("saving", "collect", *CLUB, "--month", "2024-07", "--format", "json"))
    assert [m["status"] for m in r.json()["members"]] == ["recorded"] * 5
    assert "M02" in r.stderr
    assert "5\u202f530,00" in r.stderr
    assert "M03" not in r.stderr


def test_saving_bad_input_writes_nothing(fourmis, database_url):
    ok(fourmis("member", "add", *CLUB, "--code", "M06", "--name", "Nouvelle", "--joined",
               "2024-03-01", "--monthly", "30"))
    ok(fourmis(*leave("M05", "2024-03-05", "deferred")))
    assert_refused(fourmis, database_url, [
        (saving(amount="0"), "saving_must_be_positive", 1),
        (saving(amount="-5"), "saving_must_be_positive", 1),
        (saving(amount="abc"), "invalid_amount", 2),
        (saving(amount="12.345"), "amount_too_precise", 2),
        (saving(date="2021-02-30"), "invalid_date", 2),
        (saving(date="2024-01-09"), "date_outside_club_life", 1),
        (saving(date="2026-11-23"), "date_in_future", 1),
        (saving(member="M99"), "unknown_member", 1),
        (saving(member="M06", date="2024-02-29"), "member_not_active", 1),
        (saving(member="M05", date="2024-03-05"), "member_already_left", 1),
        (saving(member="M05", date="2024-04-01"), "member_already_left", 1),
        (saving(member="M05", date="2024-03-01"), "member_already_left", 1),
        (("saving", "add", "--club", "nope", "--member", "M01", "--date", "2024-03-01",
          "--amount", "30"), "unknown_club", 1),
    ])
    assert "01/03/2024" in fourmis(*saving(member="M06", date="2024-02-29")).stderr


def test_collect_records_each_month_once(cli, engine, database_url):
    build_club(engine)
    ok(cli("member", "add", *CLUB, "--code", "M06", "--name", "Sans plan", "--joined",
           "2024-02-10"))
    ok(cli("member", "add", *CLUB, "--code", "M07", "--name", "Tardive", "--joined",
           "2024-03-01", "--monthly", "15"))
    r = ok(cli("saving", "collect", *CLUB, "--month", "2024-02", "--format", "json"))
    expected = {"date": "2024-02-29", "members": [
        *({"member": f"M0{i}", "entry": f"BQ {i}", "status": "recorded"} for i in range(1, 6)),
        {"member": "M06", "entry": None, "status": "skipped"}]}
    assert r.json() == expected
    after_first = snapshot(database_url)
    r = ok(cli("saving", "collect", *CLUB, "--month", "2024-02", "--format", "json"))
    assert r.json() == {"date": "2024-02-29", "members": [
        *({"member": f"M0{i}", "entry": None, "status": "already_recorded"}
          for i in range(1, 6)),
        {"member": "M06", "entry": None, "status": "skipped"}]}
    assert snapshot(database_url) == after_first

    r = ok(cli("saving", "collect", *CLUB, "--month", "2024-03", "--date", "2024-03-05",
               "--format", "json"))
    assert r.json() == {"date": "2024-03-05", "members": [
        *({"member": f"M0{i}", "entry": f"BQ {i + 5}", "status": "recorded"}
          for i in range(1, 6)),
        {"member": "M06", "entry": None, "status": "skipped"},
        {"member": "M07", "entry": "BQ 11", "status": "recorded"}]}
    shares = table(cli)
    assert (shares["M01"][1], shares["M06"][1], shares["M07"][1]) == ("60.00", "0.00", "15.00")
    assert balances(cli)["5121"] == "315.00"

    assert_refused(cli, database_url, [
        (("saving", "collect", *CLUB, "--month", "2024-13"), "invalid_month", 2),
        (("saving", "collect", *CLUB, "--month", "2024-3"), "invalid_month", 2),
        (("saving", "collect", *CLUB, "--month", "mars"), "invalid_month", 2),
        (("saving", "collect", *CLUB, "--month", "2024-04", "--date", "2024-05-01"),
         "date_not_in_month", 1),
        (("saving", "collect", *CLUB, "--month", "2024-04", "--date", "2024-04-31"),
         "invalid_date", 2),
        (("saving", "collect", *CLUB, "--month", "2023-12"), "date_outside_club_life", 1),
        (("saving", "collect", *CLUB, "--month", "2024-04", "--format", "xml"),
         "invalid_choice", 2),
        (("saving", "collect", "--club", "nope", "--month", "2024-04"), "unknown_club", 1),
    ])


def test_collect_again_later_in_the_month_records_only_newcomers(cli, engine):
    build_club(engine, count=5)
    ok(cli("saving", "collect", *CLUB, "--month", "2026-11", "--date", "2026-11-10"))
    ok(cli("member", "add", *CLUB, "--code", "M06", "--name", "Nouvelle", "--joined",
           "2026-11-15", "--monthly", "20"))
    r = cli("saving", "collect", *CLUB, "--month", "2026-11", "--format", "json")  # today
    assert r.exit_code == 0, r.stderr
    assert {m["member"]: m["status"] for m in r.json()["members"]} == {
        **{f"M0{i}": "already_recorded" for i in range(1, 6)}, "M06": "recorded"}


def test_arrears(fourmis, database_url):
    ok(fourmis(*saving(member="M02", date="2024-03-01", amount="30")))
    ok(fourmis(*saving(member="M03", date="2024-03-01", amount="100")))
    ok(fourmis(*saving(member="M05", date="2024-03-02", amount="20")))
    ok(fourmis("member", "add", *CLUB, "--code", "M06", "--name", "Nouvelle", "--joined",
               "2024-03-10", "--monthly", "45"))
    ok(fourmis(*leave("M04", "2024-04-10", "deferred")))
    r = ok(fourmis("saving", "arrears", *CLUB, "--as-of", "2024-05-20", "--format", "json"))
    keys = ("member", "monthly", "months", "expected", "paid", "behind", "months_behind")
    assert r.json()["as_of"] == "2024-05-20"
    assert [tuple(row[k] for k in keys) for row in r.json()["members"]] == [
        ("M01", "30.00", 5, "150.00", "60.00", "90.00", 3),
        ("M02", "30.00", 5, "150.00", "90.00", "60.00", 2),
        ("M03", "30.00", 5, "150.00", "160.00", "0.00", 0),  # paid ahead: never negative
        ("M04", "30.00", 4, "120.00", "60.00", "60.00", 2),  # left in April
        ("M05", "30.00", 5, "150.00", "80.00", "70.00", 2),  # 70 / 30: two whole months
        ("M06", "45.00", 3, "135.00", "0.00", "135.00", 3),  # joined in March
    ]
    r = ok(fourmis("saving", "arrears", *CLUB, "--as-of", "2024-02-29", "--format", "json"))
    assert [(row["member"], row["months"], row["behind"]) for row in r.json()["members"]] == [
        (f"M0{i}", 2, "0.00") for i in range(1, 6)]
    assert "M01" in ok(fourmis("saving", "arrears", *CLUB)).stdout
    for args, code in ((("--as-of", "2024-02-30"), "invalid_date"),
                       (("--format", "pdf"), "invalid_choice")):
        r = fourmis("saving", "arrears", *CLUB, *args)
        assert (r.exit_code, r.error_code) == (2, code)
    r = fourmis("saving", "arrears", "--club", "nope")
    assert (r.exit_code, r.error_code) == (1, "unknown_club")


# -- expenses and income ----------------------------------------------------------------------

def test_expenses_and_income_hit_their_accounts(fourmis):
    flows = [
        ("expense", "bank_fees", "4,50", "Frais de tenue de compte"),
        ("expense", "dues", "150", "Cotisation régionale"),
        ("expense", "insurance", "80.00", "Assurance"),
        ("expense", "other", "12,30", "Timbres"),
        ("income", "bank_interest", "1,25", "Intérêts"),
        ("income", "other", "10", "Don"),
    ]
    for number, (command, kind, amount, label) in enumerate(flows, start=11):
        r = ok(fourmis(command, "add", *CLUB, "--date", "2024-03-01", "--amount", amount,
                       "--kind", kind, "--label", label))
        assert r.stdout.strip() == f"BQ {number}"
    data = ok(fourmis("report", "balance", *CLUB, "--format", "json")).json()
    moves = {a["code"]: (a["debit"], a["credit"]) for a in data["accounts"]}
    assert {code: moves[code] for code in ("6270", "6281", "6160", "6180", "7680", "7580")} == {
        "6270": ("4.50", "0.00"), "6281": ("150.00", "0.00"), "6160": ("80.00", "0.00"),
        "6180": ("12.30", "0.00"), "7680": ("0.00", "1.25"), "7580": ("0.00", "10.00")}
    # 300 − 246.80 + 11.25
    assert moves["5121"] == ("311.25", "246.80")
    assert balances(fourmis)["5121"] == "64.45"
    # Charges and income never change the shares, only the value: 64.45 / 5 = 12.89.
    assert set(table(fourmis).values()) == {(None, "60.00", "60.00", "0.200000", "12.89")}


def test_expense_and_income_bad_input_writes_nothing(fourmis, database_url):
    def flow(command="expense", kind="bank_fees", amount="4", date="2024-03-01", label="Frais"):
        return (command, "add", *CLUB, "--date", date, "--amount", amount, "--kind", kind,
                "--label", label)

    assert_refused(fourmis, database_url, [
        (flow(kind="food"), "invalid_choice", 2),
        (flow(kind="bank_interest"), "invalid_choice", 2),
        (flow("income", kind="dues"), "invalid_choice", 2),
        (flow(amount="0"), "amount_must_be_positive", 1),
        (flow("income", "other", amount="-3"), "amount_must_be_positive", 1),
        (flow(amount="abc"), "invalid_amount", 2),
        (flow(amount="12.345"), "amount_too_precise", 2),
        (flow(label="   "), "label_required", 1),
        (flow(date="2024-02-30"), "invalid_date", 2),
        (flow(date="2024-01-09"), "date_outside_club_life", 1),
        (flow("income", "other", date="2026-11-23"), "date_in_future", 1),
        (("expense", "add", "--club", "nope", "--date", "2024-03-01", "--amount", "4",
          "--kind", "dues", "--label", "x"), "unknown_club", 1),
    ])


def test_member_list_bad_input(fourmis):
    for args, code, exit_code in (
        (("member", "list", "--club", "nope"), "unknown_club", 1),
        (("member", "list", *CLUB, "--as-of", "2024-02-30"), "invalid_date", 2),
        (("member", "list", *CLUB, "--format", "yaml"), "invalid_choice", 2),
    ):
        r = fourmis(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), args

"""`cigales club create|show|extend|liquidate`: settings, phases, alerts, prorogation, liquidation.

Today is pinned to 2026-11-22. Clubs founded on 2024-01-10 are in their investment phase; clubs
founded on 2021-03-15 have reached the end of phase 1 (2026-03-14), so prorogation and lapse
rules can be tried on real dates; a club founded on 2016-03-01 is past the end of its life.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from cigales import db
from cigales.services import clubs, lifecycle, members, savings
from ledger.money import Money
from tests import scratch
from tests.cli.conftest import snapshot
from tests.helpers import TODAY

CLUB = ("--club", "les-fourmis")


def build_club(engine, slug, founded, *, count=5, monthly="30", months=(), extend=None,
               **settings):
    """A club with members M01..M{count} joined at T0, collected months, optional prorogation."""
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, slug, f"Club {slug}", founded, today=TODAY, **settings)
        for i in range(1, count + 1):
            members.add_member(s, club, code=f"M{i:02d}", name=f"Membre {i}", joined=founded,
                               monthly=Money.parse(monthly), today=TODAY)
        for year, month in months:
            savings.collect_month(s, club, year, month, today=TODAY)
        if extend is not None:
            lifecycle.extend(s, club, extend, late=False, today=TODAY)


@pytest.fixture
def fourmis(engine, cli, database_url):
    """Founded 2024-01-10; five members saved 30.00 at the end of January and February 2024."""
    scratch.fill(database_url, functools.partial(
        build_club, slug="les-fourmis", founded=dt.date(2024, 1, 10),
        months=((2024, 1), (2024, 2))))
    return cli


def ok(result):
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def show(cli, slug="les-fourmis", *extra):
    return ok(cli("club", "show", "--club", slug, "--format", "json", *extra)).json()


def alert_codes(status):
    return [a["code"] for a in status["alerts"]]


def balances(cli, club=CLUB):
    data = ok(cli("report", "balance", *club, "--format", "json")).json()
    assert data["total_debit"] == data["total_credit"]
    return {a["code"]: a["balance"] for a in data["accounts"]}


def assert_refused(cli, database_url, cases):
    """Each case: (argv, error code, exit code). Nothing may be written by any of them."""
    before = snapshot(database_url)
    for args, code, exit_code in cases:
        r = cli(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), (args, r.stderr)
        assert r.stdout == "", args
        assert "Traceback" not in r.stderr, args
        assert snapshot(database_url) == before, args


def extend(slug, date, *extra):
    return ("club", "extend", "--club", slug, "--date", date, *extra)


def liquidate(date, *extra, club=CLUB):
    return ("club", "liquidate", *club, "--date", date, *extra)


# -- club create / show -----------------------------------------------------------------------

def test_create_with_settings_and_show(cli):
    r = ok(cli("club", "create", "les-cigales", "--name", "Les Cigales du Marais",
               "--founded", "2024-01-10", "--region", "Pays de la Loire", "--department", "2A",
               "--share-method", "units", "--phase2-savings", "--phase2-investments",
               "--result-allocation", "members", "--retention-years", "12", "--format", "json"))
    assert r.json() == {
        "slug": "les-cigales", "name": "Les Cigales du Marais", "founded": "2024-01-10",
        "region": "Pays de la Loire", "department": "2A", "share_method": "units",
        "phase2_savings": True, "phase2_investments": True, "result_allocation": "members",
        "retention_years": 12, "siren": None}
    r = ok(cli("club", "create", "les-fourmis", "--name", "Les Fourmis", "--founded",
               "2024-01-10", "--department", "974", "--no-phase2-savings", "--format", "json"))
    assert r.json() == {
        "slug": "les-fourmis", "name": "Les Fourmis", "founded": "2024-01-10", "region": None,
        "department": "974", "share_method": "prorata", "phase2_savings": False,
        "phase2_investments": False, "result_allocation": "carry_forward",
        "retention_years": 10, "siren": None}

    status = show(cli, "les-cigales")
    assert {k: status[k] for k in ("slug", "name", "founded", "as_of", "phase", "phase_ends",
                                    "life_ends", "prorogation", "share_method",
                                    "phase2_savings", "members_active", "cash",
                                    "net_assets")} == {
        "slug": "les-cigales", "name": "Les Cigales du Marais", "founded": "2024-01-10",
        "as_of": "2026-11-22", "phase": "investment", "phase_ends": "2029-01-09",
        "life_ends": "2034-01-09", "prorogation": None, "share_method": "units",
        "phase2_savings": True, "members_active": 0, "cash": "0.00", "net_assets": "0.00"}
    (alert,) = status["alerts"]
    assert alert["code"] == "too_few_members"
    assert "0" in alert["message"]
    assert "Les Cigales du Marais" in ok(cli("club", "show", "--club", "les-cigales")).stdout


def test_create_bad_values_write_nothing(fourmis, database_url):
    def create(*extra):
        return ("club", "create", "nouveau", "--name", "Nouveau", "--founded", "2024-01-10",
                *extra)

    assert_refused(fourmis, database_url, [
        (create("--share-method", "shares"), "invalid_choice", 2),
        (create("--result-allocation", "split"), "invalid_choice", 2),
        (create("--department", "96"), "invalid_department", 2),
        (create("--department", "2C"), "invalid_department", 2),
        (create("--department", "977"), "invalid_department", 2),
        (create("--department", "4"), "invalid_department", 2),
        (create("--format", "xml"), "invalid_choice", 2),
        (create("--retention-years", "-1"), "invalid_retention", 2),
        (create("--retention-years", "101"), "invalid_retention", 2),
        (("club", "create", "nouveau", "--name", "Nouveau", "--founded", "2021-02-30"),
         "invalid_date", 2),
    ])
    assert "units" in fourmis(*create("--share-method", "shares")).stderr


def test_show_phases_and_alerts(cli, engine):
    build_club(engine, "jeune", dt.date(2024, 1, 10))
    build_club(engine, "fin-proche", dt.date(2022, 1, 1))
    build_club(engine, "ancienne", dt.date(2021, 3, 15), count=3)

    jeune = show(cli, "jeune")
    assert (jeune["phase"], jeune["phase_ends"], jeune["life_ends"], jeune["members_active"],
            jeune["alerts"]) == ("investment", "2029-01-09", "2034-01-09", 5, [])
    # The "phase ends soon" alert starts six months before the last day of the phase.
    assert alert_codes(show(cli, "jeune", "--as-of", "2028-07-09")) == []
    soon = show(cli, "jeune", "--as-of", "2028-07-10")["alerts"]
    assert [a["code"] for a in soon] == ["phase_ends_soon"]
    assert "09/01/2029" in soon[0]["message"]

    proche = show(cli, "fin-proche")
    assert (proche["phase"], proche["phase_ends"], proche["life_ends"]) == (
        "investment", "2026-12-31", "2031-12-31")
    assert alert_codes(proche) == ["phase_ends_soon"]

    # T0 + 5 years passed with neither prorogation nor liquidation: reported as lapsed (legal
    # indivision), not as the investment phase; the day before it was still P1.
    ancienne = show(cli, "ancienne")
    assert (ancienne["phase"], ancienne["phase_label"], ancienne["phase_ends"],
            ancienne["life_ends"]) == (
        "lapsed", "échue (indivision légale)", "2026-03-14", "2031-03-14")
    assert show(cli, "ancienne", "--as-of", "2026-03-14")["phase_label"] == (
        "P1 – phase d’investissement")
    table = ok(cli("club", "show", "--club", "ancienne")).stdout
    assert "échue (indivision légale)" in table
    # The phase-2 settings are shown, in words (JSON keeps phase2_savings/_investments).
    assert "Épargne en phase de gestion" in table
    assert "Nouveaux investissements en phase de gestion" in table
    assert "phase2_savings" not in table
    english = ok(cli("--lang", "en", "club", "list", "--format", "json")).json()
    assert {c["slug"]: (c["phase"], c["phase_label"]) for c in english} == {
        "ancienne": ("lapsed", "lapsed (legal indivision)"),
        "fin-proche": ("investment", "P1 – investment phase"),
        "jeune": ("investment", "P1 – investment phase")}
    assert "P1 – phase d’investissement" in ok(cli("club", "list")).stdout
    # The federation return keeps its own status values (investment for a lapsed club).
    assert alert_codes(ancienne) == ["legal_indivision", "too_few_members"]
    assert "14/03/2026" in ancienne["alerts"][0]["message"]
    assert "3" in ancienne["alerts"][1]["message"]
    assert alert_codes(show(cli, "ancienne", "--as-of", "2026-03-14")) == [
        "phase_ends_soon", "too_few_members"]

    for args, code, exit_code in (
        (("club", "show", "--club", "nope"), "unknown_club", 1),
        (("club", "show", "--club", "jeune", "--as-of", "2026-02-29"), "invalid_date", 2),
        (("club", "show", "--club", "jeune", "--format", "xml"), "invalid_choice", 2),
    ):
        r = cli(*args)
        assert (r.exit_code, r.error_code) == (exit_code, code), args


# -- prorogation ------------------------------------------------------------------------------

def test_extend_in_the_window_once(cli, engine, database_url):
    build_club(engine, "ancienne", dt.date(2021, 3, 15))
    assert alert_codes(show(cli, "ancienne")) == ["legal_indivision"]
    assert_refused(cli, database_url, [
        (extend("ancienne", "2025-03-14"), "prorogation_too_early", 1),
        (extend("ancienne", "2026-03-15"), "prorogation_after_phase_end", 1),
        (extend("ancienne", "2026-11-23"), "date_in_future", 1),
        (extend("ancienne", "2021-03-14"), "date_outside_club_life", 1),
        (extend("ancienne", "2025-02-29"), "invalid_date", 2),
        (extend("nope", "2025-06-01"), "unknown_club", 1),
    ])
    early = cli(*extend("ancienne", "2025-03-14"))
    assert "15/03/2025" in early.stderr
    assert "14/03/2026" in early.stderr
    assert "--late" in cli(*extend("ancienne", "2026-03-15")).stderr

    r = ok(cli(*extend("ancienne", "2025-03-15")))  # first day of the 12-month window
    assert "15/03/2025" in r.stdout  # a date for people, the French way
    status = show(cli, "ancienne")
    assert (status["phase"], status["phase_ends"], status["life_ends"], status["prorogation"],
            status["alerts"]) == ("management", "2031-03-14", "2031-03-14", "2025-03-15", [])
    before_end = show(cli, "ancienne", "--as-of", "2026-03-14")
    assert (before_end["phase"], alert_codes(before_end)) == ("investment", ["phase_ends_soon"])
    assert show(cli, "ancienne", "--as-of", "2026-03-15")["phase"] == "management"
    assert show(cli, "ancienne", "--as-of", "2026-03-15")["phase_label"] == (
        "P2 – phase de gestion (après prorogation)")

    assert_refused(cli, database_url, [
        (extend("ancienne", "2025-06-01"), "prorogation_already_decided", 1),
        (extend("ancienne", "2026-04-01", "--late"), "prorogation_already_decided", 1),
    ])
    assert "15/03/2025" in cli(*extend("ancienne", "2025-06-01")).stderr


def test_late_prorogation_stays_visible(cli, engine):
    build_club(engine, "ancienne", dt.date(2021, 3, 15))
    r = ok(cli(*extend("ancienne", "2026-04-01", "--late")))
    assert "01/04/2026" in r.stdout
    status = show(cli, "ancienne")
    assert (status["phase"], status["phase_ends"], status["prorogation"]) == (
        "management", "2031-03-14", "2026-04-01")
    (late,) = status["alerts"]  # the legal indivision alert is gone, the lapse is not hidden
    assert late["code"] == "late_prorogation"
    assert "01/04/2026" in late["message"]
    assert "14/03/2026" in late["message"]


def test_savings_in_the_management_phase_follow_the_setting(cli, engine, database_url):
    t0 = dt.date(2021, 3, 15)
    build_club(engine, "sans", t0, extend=dt.date(2025, 6, 1))
    build_club(engine, "avec", t0, extend=dt.date(2025, 6, 1), phase2_savings=True)
    build_club(engine, "ancienne", t0)  # lapsed: no prorogation, no liquidation

    def saving(slug, date):
        return ("saving", "add", "--club", slug, "--member", "M01", "--date", date,
                "--amount", "30")

    assert ok(cli(*saving("sans", "2026-03-14"))).stdout.strip() == "BQ 1"  # last day of phase 1
    assert_refused(cli, database_url, [
        (saving("sans", "2026-03-15"), "phase_does_not_allow", 1),
        (("saving", "collect", "--club", "sans", "--month", "2026-04"),
         "phase_does_not_allow", 1),
        (saving("ancienne", "2026-04-01"), "phase_does_not_allow", 1),
        (("saving", "collect", "--club", "ancienne", "--month", "2026-11"),
         "phase_does_not_allow", 1),
    ])
    assert "15/03/2026" in cli(*saving("sans", "2026-03-15")).stderr
    ok(cli(*saving("avec", "2026-03-15")))
    r = ok(cli("saving", "collect", "--club", "avec", "--month", "2026-04", "--format", "json"))
    assert [m["status"] for m in r.json()["members"]] == ["recorded"] * 5

    # Arrears only count the months of the savings plan: 60 for a 60-month phase (March 2021
    # to February 2026; March 2026 ends after the phase, and `collect` refuses it), not the 61
    # calendar months the phase touches (issue 17).
    keys = ("months", "expected", "paid", "behind", "months_behind")
    sans = ok(cli("saving", "arrears", "--club", "sans", "--format", "json")).json()
    assert tuple(sans["members"][0][k] for k in keys) == (60, "1800.00", "30.00", "1770.00", 59)
    avec = ok(cli("saving", "arrears", "--club", "avec", "--format", "json")).json()
    assert tuple(avec["members"][0][k] for k in keys) == (69, "2070.00", "60.00", "2010.00", 67)


def test_dates_outside_the_club_life_are_refused(cli, engine, database_url):
    # Founded 2016-03-01: the last day of its life is 2026-02-28, before today.
    build_club(engine, "doyenne", dt.date(2016, 3, 1), extend=dt.date(2020, 6, 1),
               phase2_savings=True)
    club = ("--club", "doyenne")

    def saving(date):
        return ("saving", "add", *club, "--member", "M01", "--date", date, "--amount", "30")

    ok(cli(*saving("2026-02-28")))
    assert show(cli, "doyenne")["life_ends"] == "2026-02-28"
    assert_refused(cli, database_url, [
        (saving("2026-03-01"), "date_outside_club_life", 1),
        (saving("2016-02-29"), "date_outside_club_life", 1),
        (("saving", "collect", *club, "--month", "2026-03"), "date_outside_club_life", 1),
        (("expense", "add", *club, "--date", "2026-03-01", "--amount", "4", "--kind",
          "bank_fees", "--label", "Frais"), "date_outside_club_life", 1),
        (("income", "add", *club, "--date", "2016-02-29", "--amount", "4", "--kind",
          "bank_interest", "--label", "Intérêts"), "date_outside_club_life", 1),
        (("entry", "add", *club, "--date", "2026-03-01", "--label", "x", "--line", "5121=1",
          "--line", "7680=-1"), "date_outside_club_life", 1),
        (("member", "add", *club, "--code", "M06", "--name", "Trop tard", "--joined",
          "2026-03-01"), "date_outside_club_life", 1),
        (("member", "leave", *club, "--member", "M01", "--date", "2026-03-01",
          "--settlement", "deferred"), "date_outside_club_life", 1),
        (liquidate("2026-03-01", "--yes", club=club), "date_outside_club_life", 1),
    ])
    r = cli(*saving("2026-03-01"))
    assert "01/03/2016" in r.stderr
    assert "28/02/2026" in r.stderr


def test_arrears_stop_at_the_end_of_the_club_life(cli, engine):
    build_club(engine, "doyenne", dt.date(2016, 3, 1), extend=dt.date(2020, 6, 1),
               phase2_savings=True)
    data = ok(cli("saving", "arrears", "--club", "doyenne", "--format", "json")).json()
    row = data["members"][0]
    # 2016-03 … 2026-02: 120 months of 30.00, nothing paid.
    assert (row["months"], row["expected"], row["behind"]) == (120, "3600.00", "3600.00")


# -- liquidation ------------------------------------------------------------------------------

def test_liquidate_needs_yes_without_a_terminal(fourmis, database_url):
    assert_refused(fourmis, database_url, [
        (liquidate("2024-04-01"), "confirmation_required", 1),
        (liquidate("2024-04-01", "--format", "json"), "confirmation_required", 1),
    ])


def test_liquidate_refuses_while_holdings_remain(fourmis, database_url):
    ok(fourmis("account", "add", *CLUB, "--code", "261-x", "--label", "x"))
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-01", "--label", "Souscription",
               "--line", "261-x=100", "--line", "5121=-100"))
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-02", "--label", "Virement inconnu",
               "--line", "5121=10", "--line", "471=-10"))
    assert_refused(fourmis, database_url, [
        (liquidate("2024-04-01", "--yes"), "holdings_remain", 1),
        (liquidate("2024-04-01", "--dry-run", "--format", "json"), "holdings_remain", 1),
    ])
    r = fourmis(*liquidate("2024-04-01", "--yes"))
    for part in ("261-x", "100.00", "471", "-10.00"):
        assert part in r.stderr
    # Once the suspense line is identified (a gift), only the stake is left to list.
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-03", "--label", "Don identifié",
               "--line", "471=10", "--line", "7580=-10"))
    r = fourmis(*liquidate("2024-04-01", "--dry-run"))
    assert (r.exit_code, r.error_code) == (1, "holdings_remain")
    assert "261-x" in r.stderr
    assert "471" not in r.stderr


def test_liquidate_dry_run_then_pay_everyone_and_close(fourmis, database_url):
    ok(fourmis("member", "leave", *CLUB, "--member", "M05", "--date", "2024-03-05",
               "--settlement", "deferred"))
    ok(fourmis("expense", "add", *CLUB, "--date", "2024-03-10", "--amount", "0,03",
               "--kind", "bank_fees", "--label", "Frais"))
    # Cash 299.97; M05 is owed 60.00; 239.97 / 4 = 59.9925: the leftover cent goes to M01.
    plan = {
        "date": "2024-04-01", "cash": "299.97", "owed_to_leavers": "60.00",
        "distributable": "239.97", "distribution": [
            {"member": "M01", "share": "0.250000", "amount": "60.00", "owed_before": "0.00"},
            {"member": "M02", "share": "0.250000", "amount": "59.99", "owed_before": "0.00"},
            {"member": "M03", "share": "0.250000", "amount": "59.99", "owed_before": "0.00"},
            {"member": "M04", "share": "0.250000", "amount": "59.99", "owed_before": "0.00"},
            {"member": "M05", "share": "0.000000", "amount": "0.00", "owed_before": "60.00"},
        ]}
    before = snapshot(database_url)
    r = ok(fourmis(*liquidate("2024-04-01", "--dry-run", "--format", "json")))
    assert r.json() == {**plan, "dry_run": True}
    assert snapshot(database_url) == before
    assert "59,99" in ok(fourmis(*liquidate("2024-04-01", "--dry-run"))).stdout

    r = ok(fourmis(*liquidate("2024-04-01", "--yes", "--format", "json")))
    assert r.json() == {**plan, "dry_run": False}
    b = balances(fourmis)
    assert b["5121"] == "0.00"
    assert {code for code in b if code.startswith("4567-")} == {
        "4567-M01", "4567-M02", "4567-M03", "4567-M04", "4567-M05"}
    assert set(b.values()) == {"0.00"}  # every account, equity and charges included
    ledger = ok(fourmis("report", "ledger", *CLUB, "--account", "4567-M05", "--format",
                        "json")).json()
    assert ledger["accounts"][0]["closing"] == "0.00"
    status = show(fourmis)
    assert (status["phase"], status["phase_ends"], status["cash"], status["net_assets"],
            status["alerts"]) == ("closed", None, "0.00", "0.00", [])
    assert ok(fourmis("check", *CLUB, "--format", "json")).json()["ok"] is True

    # The books are read-only from the closure on.
    assert_refused(fourmis, database_url, [
        (("saving", "add", *CLUB, "--member", "M01", "--date", "2024-04-01", "--amount", "10"),
         "club_closed", 1),
        (("saving", "add", *CLUB, "--member", "M01", "--date", "2024-05-01", "--amount", "10"),
         "club_closed", 1),
        (("saving", "collect", *CLUB, "--month", "2024-05"), "club_closed", 1),
        (("expense", "add", *CLUB, "--date", "2024-04-02", "--amount", "4", "--kind", "dues",
          "--label", "Cotisation"), "club_closed", 1),
        (("income", "add", *CLUB, "--date", "2024-06-01", "--amount", "1", "--kind",
          "bank_interest", "--label", "Intérêts"), "club_closed", 1),
        (("entry", "add", *CLUB, "--date", "2024-04-01", "--label", "x", "--line", "5121=1",
          "--line", "7680=-1"), "club_closed", 1),
        (("member", "add", *CLUB, "--code", "M06", "--name", "Trop tard", "--joined",
          "2024-04-15"), "club_closed", 1),
        (("member", "leave", *CLUB, "--member", "M01", "--date", "2024-04-15",
          "--settlement", "payout"), "club_closed", 1),
        (extend("les-fourmis", "2024-05-01"), "club_closed", 1),
        (liquidate("2024-04-01", "--yes"), "club_closed", 1),
        (liquidate("2024-05-01", "--dry-run"), "club_closed", 1),
    ])
    assert "01/04/2024" in fourmis("saving", "add", *CLUB, "--member", "M01", "--date",
                                   "2024-05-01", "--amount", "10").stderr


def test_liquidate_bad_input_writes_nothing(fourmis, database_url):
    assert_refused(fourmis, database_url, [
        (liquidate("2024-04-31", "--yes"), "invalid_date", 2),
        (liquidate("2024-04-01", "--yes", "--format", "xml"), "invalid_choice", 2),
        (liquidate("2026-11-23", "--yes"), "date_in_future", 1),
        (liquidate("2024-01-09", "--yes"), "date_outside_club_life", 1),
        (liquidate("2024-04-01", "--yes", club=("--club", "nope")), "unknown_club", 1),
    ])


def test_backdated_writes_after_closure_are_refused(fourmis, database_url):
    ok(fourmis(*liquidate("2024-04-01", "--yes")))
    assert_refused(fourmis, database_url, [
        (("saving", "add", *CLUB, "--member", "M01", "--date", "2024-03-20", "--amount", "10"),
         "club_closed", 1),
        (("expense", "add", *CLUB, "--date", "2024-03-20", "--amount", "4", "--kind", "dues",
          "--label", "Cotisation"), "club_closed", 1),
        (("entry", "add", *CLUB, "--date", "2024-03-20", "--label", "x", "--line", "5121=1",
          "--line", "7680=-1"), "club_closed", 1),
    ])


def test_second_liquidation_dated_earlier_is_refused(fourmis, database_url):
    ok(fourmis(*liquidate("2024-04-01", "--yes")))
    before = snapshot(database_url)
    r = fourmis(*liquidate("2024-03-20", "--yes"))
    assert r.exit_code == 1
    assert r.error_code in {"club_closed", "liquidation_already_decided"}
    assert snapshot(database_url) == before


def test_liquidation_dated_before_later_entries_is_refused(fourmis, database_url):
    before = snapshot(database_url)
    r = fourmis(*liquidate("2024-02-15", "--yes"))  # February savings are dated 2024-02-29
    assert r.exit_code == 1, balances(fourmis)
    assert snapshot(database_url) == before


def test_liquidation_with_cash_on_the_livret_leaves_no_bank_balance(fourmis, database_url):
    ok(fourmis("entry", "add", *CLUB, "--date", "2024-03-01", "--label", "Vers le livret",
               "--line", "5122=200", "--line", "5121=-200"))
    before = snapshot(database_url)
    r = fourmis(*liquidate("2024-04-01", "--yes"))
    if r.exit_code == 0:
        b = balances(fourmis)
        assert (b.get("5121", "0.00"), b.get("5122", "0.00")) == ("0.00", "0.00")
    else:
        assert r.exit_code == 1
        assert r.error_code is not None
        assert snapshot(database_url) == before

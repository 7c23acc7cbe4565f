"""`cigales member edit`: identity changes, and a savings plan that changes from a month on."""

from __future__ import annotations

from tests.cli.test_members_cli import CLUB, assert_refused, build_club, ok


def arrears(cli, as_of):
    data = ok(cli("saving", "arrears", *CLUB, "--as-of", as_of, "--format", "json")).json()
    return {r["member"]: r for r in data["members"]}


def test_identity_is_replaced_and_an_empty_value_removes_it(engine, cli):
    build_club(engine, count=2)
    r = ok(cli("member", "edit", *CLUB, "--member", "M01", "--name", "Élise Durand",
               "--email", "elise@example.org", "--address", "3 rue des Lilas"))
    assert "M01" in r.stdout
    exported = ok(cli("member", "export", *CLUB, "--member", "M01")).json()
    identity = exported["identity"]
    assert (identity["name"], identity["email"], identity["address"]) == (
        "Élise Durand", "elise@example.org", "3 rue des Lilas")
    ok(cli("member", "edit", *CLUB, "--member", "M01", "--email", ""))
    assert ok(cli("member", "export", *CLUB, "--member", "M01")).json()["identity"]["email"] \
        is None
    # The same values again change nothing.
    r = ok(cli("--lang", "en", "member", "edit", *CLUB, "--member", "M01", "--name",
               "Élise Durand"))
    assert "nothing changed" in r.stdout


def test_plan_changes_from_a_month_and_arrears_use_each_months_plan(engine, cli):
    # Joined 2024-01-10 at 30.00 a month; from April 2024 the plan is 50.00.
    build_club(engine, count=2, months=[(2024, 1), (2024, 2)])
    before = arrears(cli, "2024-06-30")["M01"]
    assert (before["expected"], before["paid"], before["behind"]) == ("180.00", "60.00",
                                                                      "120.00")
    r = ok(cli("--lang", "en", "member", "edit", *CLUB, "--member", "M01", "--monthly", "50",
               "--from", "2024-04"))
    assert "April 2024" in r.stdout
    assert "January 2024" in r.stdout
    after = arrears(cli, "2024-06-30")["M01"]
    # January–March at 30.00, April–June at 50.00.
    assert (after["monthly"], after["months"], after["expected"], after["behind"]) == (
        "50.00", 6, "240.00", "180.00")
    assert after["months_behind"] == 3  # 180.00 behind at today's 50.00 a month
    # A date before the change still sees the old plan, M02 never changed.
    assert arrears(cli, "2024-03-31")["M01"]["expected"] == "90.00"
    assert arrears(cli, "2024-06-30")["M02"]["expected"] == "180.00"
    # `saving collect` uses the plan of the month collected.
    collected = ok(cli("saving", "collect", *CLUB, "--month", "2024-03", "--format", "json"))
    assert collected.json()["members"][0]["status"] == "recorded"
    ok(cli("saving", "collect", *CLUB, "--month", "2024-04", "--format", "json"))
    assert arrears(cli, "2024-03-31")["M01"]["paid"] == "90.00"
    assert arrears(cli, "2024-04-30")["M01"]["paid"] == "140.00"  # + 50.00 for April
    # An earlier change replaces the later ones: from March on, 40.00.
    ok(cli("member", "edit", *CLUB, "--member", "M01", "--monthly", "40", "--from", "2024-03"))
    assert arrears(cli, "2024-06-30")["M01"]["expected"] == "220.00"  # 2×30 + 4×40


def test_bad_edits_are_refused_and_write_nothing(engine, cli, database_url):
    build_club(engine, count=2)
    assert_refused(cli, database_url, [
        (("member", "edit", *CLUB, "--member", "M01"), "nothing_to_edit", 2),
        (("member", "edit", *CLUB, "--member", "M01", "--monthly", "40"),
         "plan_month_required", 2),
        (("member", "edit", *CLUB, "--member", "M01", "--monthly", "40", "--from", "2023-12"),
         "plan_before_joining", 1),
        (("member", "edit", *CLUB, "--member", "M01", "--monthly", "-5", "--from", "2024-03"),
         "monthly_saving_negative", 1),
        (("member", "edit", *CLUB, "--member", "M01", "--monthly", "40", "--from", "2024-13"),
         "invalid_month", 2),
        (("member", "edit", *CLUB, "--member", "M09", "--name", "X"), "unknown_member", 1),
        (("member", "edit", *CLUB, "--member", "M01", "--name", "  "), "name_required", 1),
    ])

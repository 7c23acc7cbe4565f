"""`cigales web invite|users|revoke`: the same accounts as the web pages."""

from __future__ import annotations

import re

from cigales import db
from cigales.services import web_accounts
from cigales.services.example import build_example
from tests.cli.conftest import snapshot
from tests.conftest import TODAY
from tests.web.conftest import PASSWORD

SLUG = "les-fourmis"


def _club(database_url):
    engine = db.make_engine(database_url)
    from cigales import migrate

    migrate.ensure_ready(engine)
    with db.session_scope(engine) as s:
        build_example(s, today=TODAY)
    return engine


def test_invite_accept_list_revoke(cli, database_url):
    engine = _club(database_url)
    out = cli("web", "invite", "--club", SLUG, "--member", "M01", "--email", "Anne@Example.org",
              "--base-url", "https://cigales.example.org/")
    assert out.exit_code == 0, out.stderr
    link = out.stdout.strip()
    token = re.fullmatch(r"https://cigales\.example\.org/invitation/([\w-]{40,})", link).group(1)
    assert cli("web", "invite", "--club", SLUG, "--treasurer", "--email",
               "anne@example.org").exit_code == 0  # one person, two roles
    users = cli("web", "users", "--club", SLUG, "--format", "json").json()
    assert users == [{"email": "anne@example.org", "roles":
                      "member:les-fourmis:M01 treasurer:les-fourmis", "status": "invited",
                      "created": users[0]["created"]}]
    # The second invitation replaced the first link (and the token is never stored).
    with db.session_scope(engine) as s:
        try:
            web_accounts.accept_invitation(s, token, PASSWORD, PASSWORD)
            raise AssertionError("an older link must not work")
        except web_accounts.InvitationInvalid:
            pass
    snap = snapshot(database_url)
    assert token not in repr(snap)
    assert PASSWORD not in repr(snap)
    assert cli("web", "revoke", "--email", "anne@example.org", "--club", SLUG).exit_code == 0
    assert cli("web", "users", "--format", "json").json()[0]["roles"] == ""
    assert cli("web", "revoke", "--email", "anne@example.org").exit_code == 0
    assert cli("web", "users", "--format", "json").json()[0]["status"] == "revoked"
    engine.dispose()


def test_invitation_sets_an_argon2id_hash(cli, database_url):
    engine = _club(database_url)
    link = cli("web", "invite", "--federation", "--email", "fed@example.org").stdout.strip()
    with db.session_scope(engine) as s:
        account = web_accounts.accept_invitation(s, link.rsplit("/", 1)[1], PASSWORD,
                                                 PASSWORD)
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
    with db.session_scope(engine) as s:
        assert web_accounts.sign_in(s, "FED@example.org", PASSWORD, address="x").email == \
            "fed@example.org"
    engine.dispose()


def test_bad_invitations_are_refused_and_write_nothing(cli, database_url):
    engine = _club(database_url)
    before = snapshot(database_url)
    for args, code in (
        (("--club", SLUG), "role_required"),
        (("--club", SLUG, "--member", "M01", "--treasurer"), "role_required"),
        (("--member", "M01"), "role_required"),
        (("--club", SLUG, "--member", "M99", "--email", "x@example.org"), "unknown_member"),
        (("--club", "nope", "--treasurer", "--email", "x@example.org"), "unknown_club"),
        (("--club", SLUG, "--treasurer", "--email", "not-an-address"), "invalid_email"),
        (("--club", SLUG, "--treasurer"), "email_required"),
        (("--region", "Bretagne"), "email_required"),
    ):
        out = cli("web", "invite", *args)
        assert (out.exit_code, out.error_code) == (1, code), (args, out.stderr)
    assert cli("web", "revoke", "--email", "nobody@example.org").error_code == "unknown_account"
    assert cli("web", "users", "--club", "nope").error_code == "unknown_club"
    assert snapshot(database_url) == before
    engine.dispose()


def test_demo_accounts_sign_in_with_the_printed_passwords(database_url):
    engine = _club(database_url)
    with db.session_scope(engine) as s:
        from cigales.services.clubs import get_club

        made = web_accounts.demo_accounts(s, get_club(s, SLUG), TODAY)
    assert [role.kind for _e, _p, role in made] == ["member", "treasurer"]
    for email, password, role in made:
        with db.session_scope(engine) as s:
            account = web_accounts.sign_in(s, email, password, address="demo")
            assert role in web_accounts.roles_of(s, account.id)
    engine.dispose()

"""Security of the web space: one authorization rule per route walked as every role, CSRF,
throttled sign-in, cookies, headers, audit log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.routing import Mount, Route

from cigales import db
from cigales.services import web_accounts
from cigales.web.access import Access
from cigales.web.app import ROUTES, create_app
from cigales.webmodels import WebAudit
from tests.web.conftest import PASSWORD, PEOPLE, REGION, SECRET, SLUG, post

VISITORS = ("anonymous", *PEOPLE)
# Written out here, independently of cigales.web.access.RULES: who may open what.
EXPECTED = {
    Access.PUBLIC: set(VISITORS),
    Access.SIGNED_IN: set(PEOPLE),
    Access.MEMBER_SELF: {"member"},
    Access.CLUB_MEMBER: {"member", "other_member", "treasurer"},
    Access.TREASURER: {"treasurer"},
    Access.REGION: {"region", "federation"},
    Access.FEDERATION: {"federation"},
}


def _url(path: str, token: str) -> str:
    values = {"slug": SLUG, "code": "M01", "year:int": "2025", "region": REGION,
              "token": token}
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


def test_every_route_is_declared_with_a_rule(site):
    app_routes = site.app.site.routes
    declared = {(p.path, m) for p in ROUTES for m in p.methods}
    served = set()
    for route in app_routes:
        if isinstance(route, Mount):
            assert route.path == "/static"
            continue
        assert isinstance(route, Route)
        served |= {(route.path, m) for m in route.methods or () if m != "HEAD"}
    assert served == declared
    assert {p.access for p in ROUTES} == set(Access)


def test_every_route_as_every_role(site):
    """Allowed: the handler answers (any status but the refusal). Refused: an anonymous
    visitor is sent to the sign-in page, a signed-in one gets 404 as if nothing were there."""
    outcomes = {}
    # One address per visitor: the walk's failed sign-ins must not throttle the others.
    clients = {who: site.signed_in(who, f"10.0.0.{i}") for i, who in enumerate(PEOPLE)}
    clients["anonymous"] = site.client("10.0.1.1")
    for page in ROUTES:
        for method in page.methods:
            for who in VISITORS:
                client = clients[who]
                # A fresh invitation, so that its page has something to show.
                with db.session_scope(site.engine) as s:
                    token = web_accounts.invite(
                        s, web_accounts.Role("region", region="Walk"),
                        email="walk@example.org").token
                url = _url(page.path, token)
                response = client.get(url) if method == "GET" else post(client, url, {})
                if who == "anonymous":
                    refused = response.status_code == 303 and \
                        response.headers["location"].startswith("/sign-in")
                else:
                    refused = response.status_code == 404
                assert response.status_code < 500, (method, url, who)
                outcomes[(page.path, method, who)] = not refused
                if method == "POST" and page.path == "/sign-out" and not refused:
                    # Sign in again for the next routes.
                    clients[who] = site.signed_in(who, f"10.0.2.{len(outcomes)}")
    wrong = {key: allowed for key, allowed in outcomes.items()
             if allowed != (key[2] in EXPECTED[next(
                 p.access for p in ROUTES if p.path == key[0] and key[1] in p.methods)])}
    assert wrong == {}
    assert len(outcomes) == sum(len(p.methods) for p in ROUTES) * len(VISITORS)


def test_another_members_page_is_404_not_403(as_role):
    member = as_role("member")
    assert member.get(f"/club/{SLUG}/member/M01").status_code == 200
    for url in (f"/club/{SLUG}/member/M02", f"/club/{SLUG}/member/M02/statement-2025.pdf",
                f"/club/{SLUG}/member/M99", "/club/other-club/member/M01",
                f"/club/{SLUG}/dashboard"):
        response = member.get(url)
        assert response.status_code == 404, url
        assert "Anne" not in response.text or url.endswith("M01")


def test_region_and_federation_cannot_reach_personal_data(as_role, site):
    for who in ("region", "federation"):
        client = as_role(who)
        for url in (f"/club/{SLUG}/member/M01", f"/club/{SLUG}/dashboard",
                    f"/club/{SLUG}/journal", f"/club/{SLUG}/statements/M01-2025.pdf"):
            assert client.get(url).status_code == 404
        page = client.get(f"/region/{REGION}" if who == "region" else "/federation")
        assert page.status_code == 200
        assert "Anne Martin" not in page.text


def test_forms_without_csrf_token_are_refused(as_role, database_url):
    from tests.cli.conftest import snapshot

    treasurer = as_role("treasurer")
    before = snapshot(database_url)
    response = treasurer.post(f"/club/{SLUG}/saving", data={
        "member": "M01", "date": "2026-03-10", "amount": "30,00"})
    assert response.status_code == 403
    forged = treasurer.post(f"/club/{SLUG}/saving", data={
        "csrftoken": "forged", "member": "M01", "date": "2026-03-10", "amount": "30,00"})
    assert forged.status_code == 403
    assert snapshot(database_url) == before
    # Sign-in is protected even for a browser without cookies (login CSRF).
    fresh = treasurer.__class__(treasurer.app, follow_redirects=False)
    assert fresh.post("/sign-in", data={"email": PEOPLE["member"][0],
                                        "password": PASSWORD}).status_code == 403


def test_sign_in_is_throttled_and_does_not_tell_unknown_accounts(site):
    client = site.client()
    email = PEOPLE["member"][0]
    unknown = post(client, "/sign-in", {"email": "nobody@example.org", "password": "x" * 20})
    wrong = post(client, "/sign-in", {"email": email, "password": "wrong password 123"})
    assert unknown.status_code == wrong.status_code == 400

    def message(r):
        return re.search(r'id="sign-in-error">([^<]*)<', r.text).group(1)

    assert message(unknown) == message(wrong)
    for _ in range(3):
        post(client, "/sign-in", {"email": email, "password": "wrong password 123"})
    # Five failures from this address: the sixth attempt is refused, even the right password.
    sixth = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert sixth.status_code == 429
    assert "cigales_session" not in sixth.cookies
    # Another account from the same address is throttled too.
    other = post(client, "/sign-in", {"email": PEOPLE["treasurer"][0], "password": PASSWORD})
    assert other.status_code == 429
    with db.session_scope(site.engine, write=False) as s:
        outcomes = [a.outcome for a in s.execute(
            select(WebAudit).where(WebAudit.action == "sign_in")).scalars()]
    assert outcomes.count("sign_in_failed") == 5
    assert outcomes.count("sign_in_throttled") == 2
    # Per account: four failures of one account from four addresses, a fifth from another
    # address closes the account everywhere.
    target = PEOPLE["treasurer"][0]
    for i in range(5):
        post(site.client(f"10.9.0.{i}"), "/sign-in", {"email": target, "password": "nope"})
    assert post(site.client("10.9.1.1"), "/sign-in",
                {"email": target, "password": PASSWORD}).status_code == 429
    assert post(site.client("10.9.1.2"), "/sign-in",
                {"email": PEOPLE["region"][0], "password": PASSWORD}).status_code == 303


def test_cookies_and_headers(site, engine):
    client = site.client()
    page = client.get("/sign-in")
    for response in (page, client.get("/static/style.css"), client.get("/nothing-here")):
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src" not in csp
        assert "'unsafe-inline'" not in csp
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert "<script" not in page.text
    response = post(client, "/sign-in", {"email": PEOPLE["member"][0], "password": PASSWORD})
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("cigales_session="))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    secure_site = create_app(engine=engine, secret=SECRET, https=True)
    from starlette.testclient import TestClient

    secure = TestClient(secure_site, base_url="https://testserver", follow_redirects=False)
    response = post(secure, "/sign-in", {"email": PEOPLE["member"][0], "password": PASSWORD})
    cookies = response.headers.get_list("set-cookie")
    assert all("secure" in c.lower() for c in cookies), cookies


def test_sign_out_and_password_change_end_sessions(site):
    first = site.signed_in("member")
    second = site.signed_in("member")
    new = "another long sentence for anne"
    response = post(first, "/account/password",
                    {"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 200
    assert first.get(f"/club/{SLUG}/member/M01").status_code == 200
    # The other session was issued before the change: it is signed out.
    assert second.get(f"/club/{SLUG}/member/M01").status_code == 303
    wrong = post(first, "/account/password",
                 {"current": "not the password", "password": new, "confirm": new})
    assert wrong.status_code == 400
    assert post(first, "/sign-out", {}).status_code == 303
    assert first.get(f"/club/{SLUG}/member/M01").status_code == 303


def test_audit_log_records_sign_ins_and_writes(as_role, site):
    treasurer = as_role("treasurer")
    post(treasurer, f"/club/{SLUG}/saving", {"member": "M01", "date": "2026-03-10",
                                             "amount": "30,00"})
    post(treasurer, f"/club/{SLUG}/saving", {"member": "M99", "date": "2026-03-10",
                                             "amount": "30,00"})
    with db.session_scope(site.engine, write=False) as s:
        rows = [(a.email, a.action, a.outcome, a.address)
                for a in s.execute(select(WebAudit).order_by(WebAudit.id)).scalars()]
    email = PEOPLE["treasurer"][0]
    assert (email, "sign_in", "ok", "testclient") in rows
    assert (email, "saving_add", "ok", "testclient") in rows
    assert (email, "saving_add", "unknown_member", "testclient") in rows


@pytest.mark.parametrize(("password", "code"), [
    ("short", "password_too_short"),
    ("password12345", "password_too_common"),
    ("qwertyuiopasdf", "password_too_common"),
    ("a long sentence", "passwords_differ"),
])
def test_password_rules(engine, password, code):
    with db.session_scope(engine) as s:
        token = web_accounts.invite(s, web_accounts.Role("federation"),
                                    email="f@example.org").token
    with pytest.raises(web_accounts.CigalesError) as caught, db.session_scope(engine) as s:
        web_accounts.accept_invitation(s, token, password,
                                       password + "x" if code == "passwords_differ" else
                                       password)
    assert caught.value.code == code

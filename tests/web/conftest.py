"""Web fixtures: the example club, one account per role, and a test client per role.

Accounts are made through the same service as `cigales web invite` and the invitation page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cigales import db
from cigales.services import web_accounts
from cigales.services.example import build_example
from cigales.web.app import create_app
from tests import scratch
from tests.cli.conftest import cli  # noqa: F401  (the real command line, for comparisons)
from tests.conftest import TODAY

PASSWORD = "correct horse battery staple"
SLUG = "les-fourmis"
REGION = "Pays de la Loire"
SECRET = "test-secret-not-for-production"

# role name -> (e-mail, Role)
PEOPLE = {
    "member": ("anne@example.org", web_accounts.Role("member", club=SLUG, member="M01")),
    "other_member": ("bruno@example.org", web_accounts.Role("member", club=SLUG, member="M02")),
    "treasurer": ("tresorier@example.org", web_accounts.Role("treasurer", club=SLUG)),
    "region": ("region@example.org", web_accounts.Role("region", region=REGION)),
    "other_region": ("bretagne@example.org", web_accounts.Role("region", region="Bretagne")),
    "federation": ("federation@example.org", web_accounts.Role("federation")),
}


@dataclass
class Site:
    engine: Engine
    app: object

    def client(self, address: str = "testclient") -> TestClient:
        return TestClient(self.app, follow_redirects=False,  # type: ignore[arg-type]
                          client=(address, 50000))

    def signed_in(self, who: str, address: str = "testclient") -> TestClient:
        client = self.client(address)
        email = PEOPLE[who][0]
        response = post(client, "/sign-in", {"email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text
        return client


def csrf(client: TestClient) -> str:
    """The form token, read from a page as a browser would."""
    page = client.get("/sign-in")
    if page.status_code == 303:  # signed in already
        page = client.get("/account/password")
    match = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def post(client: TestClient, path: str, data: dict[str, str],
         files: dict[str, tuple[str, bytes]] | None = None, *, token: bool = True):
    payload = {"csrftoken": csrf(client), **data} if token else data
    return client.post(path, data=payload, files=files)


def open_accounts(engine: Engine, people: Iterable[tuple[str, web_accounts.Role]]) -> None:
    """An account for each (e-mail, role), invited and accepted with PASSWORD."""
    for email, role in people:
        with db.session_scope(engine) as s:
            invitation = web_accounts.invite(s, role, email=email)
            web_accounts.accept_invitation(s, invitation.token, PASSWORD, PASSWORD)


def build_site(engine: Engine) -> None:
    """The example club and one account per role (PEOPLE)."""
    with db.session_scope(engine) as s:
        build_example(s, today=TODAY)
    open_accounts(engine, PEOPLE.values())


@pytest.fixture
def site(engine: Engine, database_url: str) -> Site:
    # Built once per process (the example club, and six passwords hashed), then copied.
    scratch.fill(database_url, build_site)
    return Site(engine, create_app(engine=engine, secret=SECRET))


@pytest.fixture
def as_role(site: Site) -> Callable[[str], TestClient]:
    return site.signed_in

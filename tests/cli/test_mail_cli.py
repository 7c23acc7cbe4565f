"""`cigales report statement --email`, against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import io
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from cigales.services import mail
from tests import scratch
from tests.cli.conftest import snapshot
from tests.reports.conftest import SLUG, build_lake_club

YEAR = ("--club", SLUG, "--year", "2025")


class Inbox:
    """Keeps every message received; refuses any address at refused.example."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def take(self):
        got, self.messages = self.messages, []
        return got


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key in ("CONFIG", "USER", "PASSWORD"):
        monkeypatch.delenv(f"CIGALES_SMTP_{key}", raising=False)
    monkeypatch.setenv("CIGALES_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CIGALES_SMTP_PORT", str(port))
    monkeypatch.setenv("CIGALES_SMTP_SECURITY", "none")
    monkeypatch.setenv("CIGALES_SMTP_FROM", "tresorier@lac.example")
    yield inbox
    controller.stop()


@pytest.fixture
def lake(cli, engine, database_url):
    scratch.fill(database_url, build_lake_club)
    assert cli("member", "edit", "--club", SLUG, "--member", "M01",
               "--email", "anne@example.org").exit_code == 0
    assert cli("member", "edit", "--club", SLUG, "--member", "M02",
               "--email", "bruno@example.org", "--language", "en").exit_code == 0
    return cli


def attachment(message):
    (part,) = list(message.iter_attachments())
    data = part.get_content()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return part.get_filename(), data, text


def test_each_member_gets_their_statement_in_their_language_once(lake, smtp, database_url):
    r = lake("report", "statement", *YEAR, "--email")
    assert r.exit_code == 0, r.stderr
    got = {m["To"].addresses[0].addr_spec: m for m in smtp.take()}
    assert sorted(got) == ["anne@example.org", "bruno@example.org"]
    anne, bruno = got["anne@example.org"], got["bruno@example.org"]
    assert anne["Subject"] == "Votre relevé 2025 – Les Cigales du Lac"
    assert bruno["Subject"] == "Your 2025 statement – Les Cigales du Lac"
    assert anne["From"].addresses[0].addr_spec == "tresorier@lac.example"
    assert "Bonjour Anne Martin" in anne.get_body(("plain",)).get_content()
    name, data, text = attachment(anne)
    assert name == f"{SLUG}-2025-M01.pdf"
    assert data.startswith(b"%PDF")
    assert "Anne Martin (M01)" in text
    assert "Reference for your transfers" not in text
    _name, _data, text = attachment(bruno)
    assert "Bruno Le Goff (M02)" in text
    assert "Reference for your transfers" in text
    # One result line per member; the member without an address is named.
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["M01", "M02", "M03"]
    assert lines[0].endswith("envoyé")
    assert "sans adresse" in lines[2]
    assert "M03" in r.stderr
    # Again: nothing is sent twice.
    before = snapshot(database_url)
    r = lake("report", "statement", *YEAR, "--email")
    assert r.exit_code == 0, r.stderr
    assert smtp.take() == []
    assert "déjà envoyé" in r.stdout.splitlines()[0]
    assert snapshot(database_url) == before
    # Unless asked, for one member.
    r = lake("report", "statement", *YEAR, "--email", "--resend", "--member", "M02")
    assert r.exit_code == 0, r.stderr
    assert [m["To"].addresses[0].addr_spec for m in smtp.take()] == ["bruno@example.org"]


def test_dry_run_sends_and_records_nothing(lake, smtp, database_url):
    before = snapshot(database_url)
    r = lake("--lang", "en", "report", "statement", *YEAR, "--email", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "would be sent" in r.stdout.splitlines()[0]
    assert smtp.take() == []
    assert snapshot(database_url) == before


def test_a_refused_address_is_reported_and_the_others_are_sent(lake, smtp):
    assert lake("member", "edit", "--club", SLUG, "--member", "M02",
                "--email", "bruno@refused.example").exit_code == 0
    r = lake("--lang", "en", "report", "statement", *YEAR, "--email")
    assert (r.exit_code, r.error_code) == (1, "mails_failed")
    assert [m["To"].addresses[0].addr_spec for m in smtp.take()] == ["anne@example.org"]
    assert "NOT sent" in r.stdout.splitlines()[1]
    # Fixed address: only the one that failed goes out.
    assert lake("member", "edit", "--club", SLUG, "--member", "M02",
                "--email", "bruno@example.org").exit_code == 0
    assert lake("report", "statement", *YEAR, "--email").exit_code == 0
    assert [m["To"].addresses[0].addr_spec for m in smtp.take()] == ["bruno@example.org"]


def test_missing_settings_or_server_refuse_before_anything(lake, smtp, monkeypatch,
                                                            database_url):
    before = snapshot(database_url)
    monkeypatch.delenv("CIGALES_SMTP_FROM")
    r = lake("report", "statement", *YEAR, "--email")
    assert (r.exit_code, r.error_code) == (2, "smtp_not_configured")
    assert "CIGALES_SMTP_FROM" in r.stderr
    monkeypatch.setenv("CIGALES_SMTP_FROM", "tresorier@lac.example")
    monkeypatch.setenv("CIGALES_SMTP_PORT", str(free_port()))  # nobody listens there
    r = lake("report", "statement", *YEAR, "--email")
    assert (r.exit_code, r.error_code) == (1, "smtp_unavailable")
    r = lake("report", "statement", *YEAR, "--dry-run")
    assert (r.exit_code, r.error_code) == (2, "missing_value")
    assert smtp.take() == []
    assert snapshot(database_url) == before


def test_settings_from_a_file_and_the_environment(tmp_path):
    config = tmp_path / "smtp.toml"
    config.write_text('[smtp]\nhost = "smtp.example.org"\nsecurity = "ssl"\n'
                      'user = "club"\nfrom = "club@example.org"\n', encoding="utf-8")
    got = mail.settings({"CIGALES_SMTP_CONFIG": str(config), "CIGALES_SMTP_PASSWORD": "s3"})
    assert (got.host, got.port, got.security, got.user, got.password, got.sender) == (
        "smtp.example.org", 465, "ssl", "club", "s3", "club@example.org")
    got = mail.settings({"CIGALES_SMTP_CONFIG": str(config), "CIGALES_SMTP_HOST": "other",
                         "CIGALES_SMTP_SECURITY": "starttls"})
    assert (got.host, got.port, got.password) == ("other", 587, None)
    config.write_text('[smtp]\nhost = "h"\nfrom = "a@b"\npassword = "x"\n', encoding="utf-8")
    with pytest.raises(mail.SmtpPasswordInFile):
        mail.settings({"CIGALES_SMTP_CONFIG": str(config)})
    with pytest.raises(mail.SmtpSettingInvalid):
        mail.settings({"CIGALES_SMTP_HOST": "h", "CIGALES_SMTP_FROM": "a@b",
                       "CIGALES_SMTP_SECURITY": "tls"})
    with pytest.raises(mail.SmtpSettingInvalid):
        mail.settings({"CIGALES_SMTP_HOST": "h", "CIGALES_SMTP_FROM": "a@b",
                       "CIGALES_SMTP_PORT": "99999"})

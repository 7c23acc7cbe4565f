"""What every page needs: the visitor, the request context, template rendering.

Handlers are plain functions ``handler(ctx) -> Response`` run by ``app.guarded``: it reads the
form first (the only thing that awaits), then calls the handler in the visitor's language.
The language of messages is process-wide (``cigales.i18n``), so handlers run on the event loop
one at a time and never interleave; the database work of one request is short (one club).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from cigales import clock, db, i18n
from cigales.services import web_accounts as accounts
from cigales.services.web_accounts import Role
from cigales.webmodels import WebAccount
from ledger.errors import UserError
from reports import fmt, labels


@dataclass
class Visitor:
    account: WebAccount | None = None
    roles: tuple[Role, ...] = ()
    lang: str = i18n.DEFAULT_LANGUAGE

    @property
    def email(self) -> str | None:
        return self.account.email if self.account is not None else None


class CsrfForm(Form):  # type: ignore[misc]
    """Only the CSRF token: WTForms' SessionCSRF (HMAC of a per-session secret and a time)."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_field_name = "csrftoken"
        csrf_time_limit = dt.timedelta(hours=8)


@dataclass
class Ctx:
    request: Request
    visitor: Visitor
    engine: Engine
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.request.path_params)

    @property
    def address(self) -> str:
        client = self.request.client
        return (client.host if client else "unknown")[:64]

    @property
    def today(self) -> dt.date:
        return clock.today()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        with db.session_scope(self.engine, write=write) as s:
            yield s

    def audit(self, action: str, outcome: str, target: str | None = None) -> None:
        """Record a refused write in a transaction of its own (the action's was rolled back)."""
        with self.session(write=True) as s:
            account = s.get(WebAccount, self.visitor.account.id) if self.visitor.account else None
            accounts.audit(s, action, outcome, account=account, target=target,
                           address=self.address)

    def _csrf_form(self, formdata: Any = None) -> CsrfForm:
        meta = {"csrf_secret": self.request.app.state.csrf_secret,
                "csrf_context": self.request.session}
        return CsrfForm(formdata=formdata, meta=meta)

    def csrf_token(self) -> str:
        return str(self._csrf_form().csrftoken.current_token)

    def csrf_valid(self, formdata: Any) -> bool:
        return bool(self._csrf_form(formdata).validate())

    def error_text(self, error: UserError) -> str:
        return error.render(i18n._)


def _money(value: Any) -> str:
    return fmt.money(value, i18n.language())


def _amount(value: Any) -> str:
    return fmt.amount(value, i18n.language())


def _date(value: Any) -> str:
    return fmt.date(value, i18n.language())


def _share(value: Any) -> str:
    return fmt.share(value, i18n.language())


def _notice(item: Any) -> str:
    return fmt.notice(item, i18n._, i18n.language())


def _status(value: str) -> str:
    return labels.label(labels.STATUSES, value)


def _income_kind(value: str) -> str:
    return labels.label(labels.INCOME_KINDS, value)


def make_environment() -> Environment:
    env = Environment(loader=PackageLoader("cigales.web", "templates"),
                      autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n._, ngettext=i18n.ngettext,
        newstyle=True)
    env.filters.update(money=_money, amount=_amount, date=_date, share=_share, notice=_notice,
                       status=_status, income_kind=_income_kind)
    return env


ENV = make_environment()


def render(ctx: Ctx, template: str, status: int = 200, **data: Any) -> HTMLResponse:
    csrf: Callable[[], str] = ctx.csrf_token
    html = ENV.get_template(template).render(
        visitor=ctx.visitor, lang=i18n.language(), csrf=csrf, path=ctx.request.url.path,
        today=ctx.today, svg=Markup, **data)
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    # 303: after a POST the browser follows with a GET (no resubmission on reload).
    return RedirectResponse(url, status_code=303)


def not_found(ctx: Ctx) -> Response:
    return render(ctx, "error.html", status=404, status_code=404)

"""The Starlette application: routes with their access rule, sessions, CSRF, headers.

Libraries do the work: Starlette routes and serves static files, its SessionMiddleware keeps
the session in a cookie signed with itsdangerous (HttpOnly, SameSite=Lax, Secure over HTTPS),
WTForms' SessionCSRF issues and checks the token of every form (an HMAC bound to the session,
with a time limit), Jinja2 renders, argon2-cffi hashes (in services.web_accounts). What is
ours: the table of routes and rules below, the one wrapper that enforces them (``guarded``),
and the security headers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cigales import db, i18n, migrate
from cigales.services import web_accounts as accounts
from cigales.web import pages
from cigales.web.access import Access, allowed
from cigales.web.core import Ctx, Visitor, not_found, redirect, render

SESSION_COOKIE = "cigales_session"
SESSION_SECONDS = 8 * 3600  # a working day; the language choice lives as long
MAX_FORM_FIELDS = 50

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


@dataclass(frozen=True)
class Page:
    path: str
    handler: Callable[[Ctx], Response]
    access: Access
    methods: tuple[str, ...] = ("GET",)
    name: str | None = None


ROUTES: tuple[Page, ...] = (
    Page("/sign-in", pages.sign_in_form, Access.PUBLIC),
    Page("/sign-in", pages.sign_in, Access.PUBLIC, ("POST",)),
    Page("/invitation/{token}", pages.invitation_form, Access.PUBLIC, name="invitation"),
    Page("/invitation/{token}", pages.invitation_accept, Access.PUBLIC, ("POST",)),
    Page("/language", pages.language, Access.PUBLIC, ("POST",)),
    Page("/", pages.home, Access.SIGNED_IN),
    Page("/sign-out", pages.sign_out, Access.SIGNED_IN, ("POST",)),
    Page("/account/password", pages.password_form, Access.SIGNED_IN),
    Page("/account/password", pages.password_change, Access.SIGNED_IN, ("POST",)),
    Page("/club/{slug}/member/{code}", pages.member_page, Access.MEMBER_SELF),
    Page("/club/{slug}/member/{code}/statement-{year:int}.pdf", pages.member_statement,
         Access.MEMBER_SELF),
    Page("/club/{slug}/agm-{year:int}.pdf", pages.agm_pack, Access.CLUB_MEMBER),
    Page("/club/{slug}/dashboard", pages.dashboard, Access.TREASURER),
    Page("/club/{slug}/journal", pages.journal, Access.TREASURER),
    Page("/club/{slug}/ledger", pages.ledger, Access.TREASURER),
    Page("/club/{slug}/statements/{code}-{year:int}.pdf", pages.treasurer_statement,
         Access.TREASURER),
    Page("/club/{slug}/saving", pages.add_saving, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/expense", pages.add_expense, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/income", pages.add_income, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/bank/preview", pages.bank_preview, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/bank/confirm", pages.bank_confirm, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/bank/assign", pages.assign_suspense, Access.TREASURER, ("POST",)),
    Page("/club/{slug}/invite", pages.invite_form, Access.TREASURER),
    Page("/club/{slug}/invite", pages.invite, Access.TREASURER, ("POST",)),
    Page("/region/{region}", pages.region, Access.REGION),
    Page("/region/{region}/returns", pages.upload_return, Access.REGION, ("POST",)),
    Page("/federation", pages.federation, Access.FEDERATION),
    Page("/federation/returns", pages.upload_return, Access.FEDERATION, ("POST",)),
)


def _visitor(request: Request, engine: Engine) -> Visitor:
    session = request.session
    chosen = session.get("lang")
    lang = chosen if isinstance(chosen, str) and chosen in i18n.LANGUAGES else \
        i18n.DEFAULT_LANGUAGE
    account_id, epoch = session.get("account"), session.get("epoch")
    if not isinstance(account_id, int) or not isinstance(epoch, int):
        return Visitor(lang=lang)
    with db.session_scope(engine, write=False) as s:
        account = accounts.active_account(s, account_id, epoch)
        if account is None:
            return Visitor(lang=lang)
        return Visitor(account, accounts.roles_of(s, account.id), lang)


def guarded(page: Page, engine: Engine) -> Callable[[Request], Any]:
    """The one place where access is decided, before any handler runs."""

    async def endpoint(request: Request) -> Response:
        visitor = _visitor(request, engine)
        ctx = Ctx(request, visitor, engine)
        with i18n.using(visitor.lang):
            if page.access is not Access.PUBLIC and visitor.account is None:
                if request.method == "GET":
                    return redirect(f"/sign-in?next={request.url.path}")
                return redirect("/sign-in")
            if not allowed(page.access, visitor.roles, request.path_params):
                return not_found(ctx)
        if request.method == "POST":
            form = await request.form(max_fields=MAX_FORM_FIELDS,
                                      max_part_size=pages.MAX_UPLOAD + 1)
            if not ctx.csrf_valid(form):
                with i18n.using(visitor.lang):
                    return render(ctx, "error.html", status=403, status_code=403)
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    ctx.files[key] = (value.filename or "", await value.read())
                else:
                    ctx.form[key] = value
        # From here on nothing awaits: the language set for this request cannot leak.
        with i18n.using(visitor.lang):
            return page.handler(ctx)

    endpoint.__name__ = page.handler.__name__
    return endpoint


def routes(engine: Engine) -> list[BaseRoute]:
    out: list[BaseRoute] = [
        Route(p.path, guarded(p, engine), methods=list(p.methods), name=p.name)
        for p in ROUTES]
    out.append(Mount("/static", StaticFiles(packages=[("cigales.web", "static")]),
                     name="static"))
    return out


class SecurityHeaders:
    """Adds the security headers to every response (pages, files, errors alike)."""

    def __init__(self, app: ASGIApp, site: Starlette) -> None:
        self.app = app
        self.site = site  # the routed application inside (for tests and tools)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(url: str | None = None, *, secret: str, https: bool = False,
               engine: Engine | None = None) -> SecurityHeaders:
    """The whole site. ``https``: cookies are marked Secure (serve behind TLS)."""
    engine = engine or db.make_engine(url)
    migrate.ensure_ready(engine)
    app = Starlette(routes=routes(engine), middleware=[
        Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                   max_age=SESSION_SECONDS, same_site="lax", https_only=https),
    ])
    app.state.engine = engine
    app.state.csrf_secret = secret.encode()

    async def handle_404(request: Request, _exc: Exception) -> Response:
        visitor = _visitor(request, engine)
        with i18n.using(visitor.lang):
            return not_found(Ctx(request, visitor, engine))

    app.add_exception_handler(404, handle_404)
    return SecurityHeaders(app, app)

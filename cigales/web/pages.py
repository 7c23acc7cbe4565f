"""The pages of the web space. Each handler reads figures from the services and report data
the command line uses (never recomputes them) and writes only through the same services, so
a refused action gets the rule's own message and leaves the books as they were."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from starlette.responses import Response

from cigales import i18n
from cigales.errors import CigalesError, InvalidChoice, InvalidDate
from cigales.i18n import _
from cigales.phases import PHASE_LABELS, Phase
from cigales.services import bank, flows, lifecycle, loans, savings
from cigales.services import web_accounts as accounts
from cigales.services.clubs import get_club
from cigales.services.members import member_table
from cigales.web import charts
from cigales.web.core import Ctx, not_found, redirect, render
from cigales.webmodels import WebAccount
from ledger import queries
from ledger.closing import closed_years
from ledger.errors import N_, UserError
from ledger.money import Money
from ledger.schema import JOURNALS
from reports.data import (
    build_agm_pack,
    build_member_statements,
    check_year,
    monthly_savings,
    net_assets_by_month,
)

MAX_UPLOAD = 2_000_000  # bytes: a year of bank lines is far smaller


class UploadTooLarge(CigalesError):
    code = "upload_too_large"
    template = N_("The file is larger than {limit} bytes.")


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- sign-in, invitations, password, language -----------------------------------------------

def sign_in_form(ctx: Ctx) -> Response:
    if ctx.visitor.account is not None:
        return redirect("/")
    return render(ctx, "sign_in.html", email="", error=None)


def sign_in(ctx: Ctx) -> Response:
    email = ctx.form.get("email", "")
    password = ctx.form.get("password", "")
    try:
        with ctx.session(write=True) as s:
            account = accounts.sign_in(s, email, password, address=ctx.address)
            epoch = account.epoch
            account_id = account.id
    except (accounts.SignInFailed, accounts.SignInThrottled) as exc:
        with ctx.session(write=True) as s:
            accounts.record_failure(s, email, ctx.address, exc.code)
        return render(ctx, "sign_in.html", status=400 if isinstance(
            exc, accounts.SignInFailed) else 429, email=email, error=ctx.error_text(exc))
    lang = ctx.request.session.get("lang")
    ctx.request.session.clear()
    ctx.request.session.update({"account": account_id, "epoch": epoch})
    if lang:
        ctx.request.session["lang"] = lang
    return redirect("/")


def sign_out(ctx: Ctx) -> Response:
    with ctx.session(write=True) as s:
        accounts.audit(s, "sign_out", "ok", account=s.get(WebAccount, _account_id(ctx)),
                       address=ctx.address)
    lang = ctx.request.session.get("lang")
    ctx.request.session.clear()
    if lang:
        ctx.request.session["lang"] = lang
    return redirect("/sign-in")


def _account_id(ctx: Ctx) -> int:
    assert ctx.visitor.account is not None
    return ctx.visitor.account.id


def invitation_form(ctx: Ctx) -> Response:
    try:
        with ctx.session() as s:
            email = accounts.invitation_email(s, ctx.params["token"])
    except accounts.InvitationInvalid as exc:
        return render(ctx, "invitation.html", status=404, email=None,
                      error=ctx.error_text(exc))
    return render(ctx, "invitation.html", email=email, error=None,
                  minimum=accounts.MIN_PASSWORD)


def invitation_accept(ctx: Ctx) -> Response:
    token = ctx.params["token"]
    try:
        with ctx.session(write=True) as s:
            email = accounts.invitation_email(s, token)
            account = accounts.accept_invitation(s, token, ctx.form.get("password", ""),
                                                 ctx.form.get("confirm", ""),
                                                 address=ctx.address)
            account_id, epoch = account.id, account.epoch
    except accounts.InvitationInvalid as exc:
        return render(ctx, "invitation.html", status=404, email=None,
                      error=ctx.error_text(exc))
    except UserError as exc:
        return render(ctx, "invitation.html", status=400, email=email,
                      error=ctx.error_text(exc), minimum=accounts.MIN_PASSWORD)
    lang = ctx.request.session.get("lang")
    ctx.request.session.clear()
    ctx.request.session.update({"account": account_id, "epoch": epoch})
    if lang:
        ctx.request.session["lang"] = lang
    return redirect("/")


def password_form(ctx: Ctx) -> Response:
    return render(ctx, "password.html", error=None, done=False,
                  minimum=accounts.MIN_PASSWORD)


def password_change(ctx: Ctx) -> Response:
    try:
        with ctx.session(write=True) as s:
            account = s.get(WebAccount, _account_id(ctx))
            assert account is not None
            accounts.change_password(s, account, ctx.form.get("current", ""),
                                     ctx.form.get("password", ""),
                                     ctx.form.get("confirm", ""), address=ctx.address)
            epoch = account.epoch
    except UserError as exc:
        return render(ctx, "password.html", status=400, error=ctx.error_text(exc), done=False,
                      minimum=accounts.MIN_PASSWORD)
    # This browser stays signed in; every other session of the account ends (epoch bump).
    ctx.request.session["epoch"] = epoch
    return render(ctx, "password.html", error=None, done=True, minimum=accounts.MIN_PASSWORD)


def language(ctx: Ctx) -> Response:
    lang = ctx.form.get("lang", "")
    if lang in i18n.LANGUAGES:
        ctx.request.session["lang"] = lang
    back = ctx.form.get("next", "/")
    # Only paths of this site: never an open redirect.
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


def home(ctx: Ctx) -> Response:
    return render(ctx, "home.html", roles=ctx.visitor.roles)


# -- member ------------------------------------------------------------------------------------

def _year(ctx: Ctx, club: Any, default: int) -> int:
    text = ctx.request.query_params.get("year")
    if text is None:
        return default
    if not text.isdigit():
        raise InvalidChoice(value=text, option="year",
                            allowed=f"{club.founded.year}–{ctx.today.year}")
    return check_year(club, int(text), ctx.today)


def member_page(ctx: Ctx) -> Response:
    slug, code = ctx.params["slug"], ctx.params["code"]
    today = ctx.today
    with ctx.session() as s:
        club = get_club(s, slug)
        try:
            year = _year(ctx, club, today.year)
        except UserError:
            return not_found(ctx)
        table, rows = member_table(s, club, today)
        row = next((r for r in rows if r.code == code), None)
        if row is None:
            return not_found(ctx)
        arrears = next(iter(savings.arrears(s, club, today, member=code)), None)
        statements = build_member_statements(s, club, year, generated=today, member=code)
        statement = statements[0] if statements else None
        closed = closed_years(s, club.book_id)
        years = list(range(max(row.joined.year, club.founded.year), today.year + 1))
        name = club.name
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    return render(ctx, "member.html", club_slug=slug, club_name=name, row=row,
                  position=table.by_code()[code],
                  method=table.method, net_assets=table.net_assets, arrears=arrears,
                  statement=statement, year=year, years=years, agm_years=closed,
                  months=months)


def member_statement(ctx: Ctx) -> Response:
    return _statement_pdf(ctx, ctx.params["code"])


def _statement_pdf(ctx: Ctx, code: str) -> Response:
    from reports.pack import statement_name
    from reports.pdf.statement import render_statement

    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        try:
            year = check_year(club, int(ctx.params["year"]), ctx.today)
            statements = build_member_statements(s, club, year, generated=ctx.today,
                                                 member=code)
        except UserError:
            return not_found(ctx)
    if not statements:
        return not_found(ctx)
    return _pdf(render_statement(statements[0]), statement_name(statements[0]))


def agm_pack(ctx: Ctx) -> Response:
    from reports.pdf.agm import render_agm

    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        try:
            year = check_year(club, int(ctx.params["year"]), ctx.today)
        except UserError:
            return not_found(ctx)
        pack = build_agm_pack(s, club, year, generated=ctx.today)
    return _pdf(render_agm(pack), f"agm-{club.slug}-{year}.pdf")


# -- treasurer ---------------------------------------------------------------------------------

def _dashboard_data(ctx: Ctx) -> dict[str, Any]:
    """Every section of the dashboard, each read once from its service for this request."""
    today = ctx.today
    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        status = lifecycle.status(s, club, today)
        table, rows = member_table(s, club, today)
        arrears = [a for a in savings.arrears(s, club, today) if a.behind.cents > 0]
        loan_report = loans.arrears_report(s, club, today)
        suspense = bank.suspense(s, club)
        assets = net_assets_by_month(s, club, today)
        saved = monthly_savings(s, club, today)
        life = lifecycle.lifecycle(s, club)
    chart = charts.line_chart(
        _("Net assets and savings by month"), assets.labels,
        [(_("Net assets"), assets.values), (_("Savings paid in (cumulative)"),
                                            _cumulative(saved.values))],
        _short_money)
    timeline = [(club.founded, _("Convention signed (T0)"))]
    events = {"prorogation": _("Prorogation"), "liquidation": _("Liquidation decided"),
              "closure": _("Closure")}
    timeline += [(e.date, events.get(e.kind.value, e.kind.value)) for e in life.events]
    if status.phase_ends is not None:
        timeline.append((status.phase_ends, _("End of the current phase")))
    timeline.append((status.life_ends, _("End of the club's life (T0 + 10 years)")))
    return {"club": club, "club_status": status, "table": table, "rows": rows,
            "shares": table.by_code(), "arrears": arrears,
            "loans": loan_report, "suspense": suspense, "chart": chart,
            "timeline": sorted(timeline), "expense_kinds": list(flows.EXPENSE_ACCOUNTS),
            "income_kinds": list(flows.INCOME_ACCOUNTS), "form": {}, "errors": {},
            "done": None, "proposals": None,
            "phase_label": _(PHASE_LABELS[Phase(status.phase)])}


def _cumulative(values: tuple[Money, ...]) -> list[Money]:
    total, out = 0, []
    for v in values:
        total += v.cents
        out.append(Money(total))
    return out


def _short_money(m: Money) -> str:
    from babel.numbers import format_decimal

    return format_decimal(m.cents // 100, format="#,##0", locale=i18n.babel_locale()) + " €"


def dashboard(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    data = _dashboard_data(ctx)
    data.update(extra)
    done = ctx.request.query_params.get("done")
    if done and data["done"] is None:
        data["done"] = done
    return render(ctx, "dashboard.html", status=status, **data)


def _parse_amount(text: str) -> Money:
    return Money.parse(text)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()) if len(text.strip()) == 10 else \
            _bad_date(text)
    except ValueError as exc:
        raise InvalidDate(text=text) from exc


def _bad_date(text: str) -> dt.date:
    raise InvalidDate(text=text)


def _action(ctx: Ctx, form_name: str, action: str, run: Any) -> Response:
    """Run one write through its service; on a refusal show the rule's message by the form."""
    try:
        with ctx.session(write=True) as s:
            club = get_club(s, ctx.params["slug"])
            message = run(s, club)
            account = s.get(WebAccount, _account_id(ctx))
            accounts.audit(s, action, "ok", account=account,
                           target=f"{club.slug} {message}", address=ctx.address)
    except UserError as exc:
        ctx.audit(action, exc.code, target=ctx.params["slug"])
        return dashboard(ctx, status=400, form=ctx.form,
                         errors={form_name: f"{ctx.error_text(exc)} [{exc.code}]"})
    return redirect(f"/club/{ctx.params['slug']}/dashboard?done={message}")


def add_saving(ctx: Ctx) -> Response:
    def run(s: Any, club: Any) -> str:
        result = savings.add_saving(
            s, club, member_code=ctx.form.get("member", ""),
            date=_parse_date(ctx.form.get("date", "")),
            amount=_parse_amount(ctx.form.get("amount", "")),
            reference=ctx.form.get("reference") or None, today=ctx.today)
        return f"{result.entry.journal}-{result.entry.number}"

    return _action(ctx, "saving", "saving_add", run)


def _flow(ctx: Ctx, expense: bool) -> Response:
    kinds = flows.EXPENSE_ACCOUNTS if expense else flows.INCOME_ACCOUNTS

    def run(s: Any, club: Any) -> str:
        kind = ctx.form.get("kind", "")
        if kind not in kinds:
            raise InvalidChoice(value=kind, option="kind", allowed=", ".join(kinds))
        service = flows.add_expense if expense else flows.add_income
        entry = service(s, club, date=_parse_date(ctx.form.get("date", "")),
                        amount=_parse_amount(ctx.form.get("amount", "")), kind=kind,
                        label=ctx.form.get("label", "").strip() or kind, today=ctx.today)
        return f"{entry.journal}-{entry.number}"

    name = "expense" if expense else "income"
    return _action(ctx, name, f"{name}_add", run)


def add_expense(ctx: Ctx) -> Response:
    return _flow(ctx, expense=True)


def add_income(ctx: Ctx) -> Response:
    return _flow(ctx, expense=False)


def assign_suspense(ctx: Ctx) -> Response:
    def run(s: Any, club: Any) -> str:
        line = ctx.form.get("line", "")
        if not line.isdigit():
            raise InvalidChoice(value=line, option="line", allowed="1, 2, …")
        target = ctx.form.get("target", "").strip()
        kind = ctx.form.get("kind", "member")
        if kind not in ("member", "account", "loan"):
            raise InvalidChoice(value=kind, option="kind", allowed="member, account, loan")
        if kind == "loan" and not target.isdigit():
            raise InvalidChoice(value=target, option="loan", allowed="1, 2, …")
        out = bank.assign(s, club, int(line),
                          member=target if kind == "member" else None,
                          account=target if kind == "account" else None,
                          loan=int(target) if kind == "loan" else None, today=ctx.today)
        return out.entry.replace(" ", "-")

    return _action(ctx, "assign", "suspense_assign", run)


def _statement_from(data: bytes, name: str) -> tuple[Any, str]:
    """The statement and the file's sha256 (which the import records, as the CLI's does)."""
    import hashlib

    if len(data) > MAX_UPLOAD:
        raise UploadTooLarge(limit=MAX_UPLOAD)
    return bank.read_bytes(data, name), hashlib.sha256(data).hexdigest()


def bank_preview(ctx: Ctx) -> Response:
    from cigales.bank import rules as rules_mod

    name, data = ctx.files.get("statement", ("", b""))
    try:
        statement, _sha = _statement_from(data, name)
        with ctx.session() as s:
            club = get_club(s, ctx.params["slug"])
            proposals = bank.propose(s, club, statement, rules_mod.rules(None))
            bank.check_bookable(s, club, proposals, ctx.today)
    except UserError as exc:
        return dashboard(ctx, status=400, errors={"bank": f"{ctx.error_text(exc)} "
                                                          f"[{exc.code}]"})
    payload = base64.b64encode(data).decode()
    return dashboard(ctx, proposals=proposals, bank_file=payload, bank_name=name)


def bank_confirm(ctx: Ctx) -> Response:
    from cigales.bank import rules as rules_mod

    try:
        data = base64.b64decode(ctx.form.get("file", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    name = ctx.form.get("name", "statement.csv")
    slug = ctx.params["slug"]
    try:
        statement, sha = _statement_from(data, name)
        with ctx.session() as s:
            club = get_club(s, slug)
            proposals = bank.propose(s, club, statement, rules_mod.rules(None))
            bank.check_bookable(s, club, proposals, ctx.today)
        new = [p for p in proposals if not p.known]
        info = bank.ImportInfo(sha, name, statement.profile, len(proposals),
                               len(proposals) - len(new))
        result = bank.book_all(ctx.engine, slug, proposals, info, today=ctx.today) \
            if new else None
    except UserError as exc:
        ctx.audit("bank_import", exc.code, target=slug)
        return dashboard(ctx, status=400, errors={"bank": f"{ctx.error_text(exc)} "
                                                          f"[{exc.code}]"})
    booked = result.booked if result is not None else 0
    ctx.audit("bank_import", "ok", target=f"{slug} {name} {booked}")
    return redirect(f"/club/{slug}/dashboard?done=bank-{booked}")


def journal(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    jnl = q.get("journal") or None
    errors = None
    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        try:
            start = _parse_date(q["from"]) if q.get("from") else None
            end = _parse_date(q["to"]) if q.get("to") else None
            if jnl is not None and jnl not in JOURNALS:
                raise InvalidChoice(value=jnl, option="journal", allowed=", ".join(JOURNALS))
            entries = queries.journal(s, club.book_id, jnl, start, end)
        except UserError as exc:
            errors, entries = ctx.error_text(exc), []
    return render(ctx, "journal.html", club=club, entries=entries, journals=JOURNALS,
                  q=q, error=errors, status=400 if errors else 200)


def ledger(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    errors = None
    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        try:
            start = _parse_date(q["from"]) if q.get("from") else None
            end = _parse_date(q["to"]) if q.get("to") else None
            accounts_ = queries.general_ledger(s, club.book_id, q.get("account") or None,
                                               start, end)
        except UserError as exc:
            errors, accounts_ = ctx.error_text(exc), []
    return render(ctx, "ledger.html", club=club, accounts=accounts_, q=q, error=errors,
                  status=400 if errors else 200)


def treasurer_statement(ctx: Ctx) -> Response:
    return _statement_pdf(ctx, ctx.params["code"])


def invite_form(ctx: Ctx) -> Response:
    with ctx.session() as s:
        club = get_club(s, ctx.params["slug"])
        _table, rows = member_table(s, club, ctx.today)
        users = accounts.list_users(s, club.slug)
    return render(ctx, "invite.html", club=club, rows=rows, users=users, link=None,
                  error=None)


def invite(ctx: Ctx) -> Response:
    slug = ctx.params["slug"]
    try:
        with ctx.session(write=True) as s:
            by = s.get(WebAccount, _account_id(ctx))
            member = ctx.form.get("member", "")
            if not member:
                raise accounts.RoleRequired()
            role = accounts.Role("treasurer", club=slug) if member == "*treasurer" else \
                accounts.Role("member", club=slug, member=member)
            invitation = accounts.invite(s, role, email=ctx.form.get("email") or None, by=by,
                                         address=ctx.address)
        link = str(ctx.request.url_for("invitation", token=invitation.token))
        error = None
    except UserError as exc:
        ctx.audit("invite", exc.code, target=slug)
        link, error = None, f"{ctx.error_text(exc)} [{exc.code}]"
    with ctx.session() as s:
        club = get_club(s, slug)
        _table, rows = member_table(s, club, ctx.today)
        users = accounts.list_users(s, club.slug)
    return render(ctx, "invite.html", status=400 if error else 200, club=club, rows=rows,
                  users=users, link=link, error=error)


# -- region and federation ---------------------------------------------------------------------

def _report_year(ctx: Ctx) -> int:
    text = ctx.request.query_params.get("year", "")
    return int(text) if text.isdigit() and 1983 <= int(text) <= ctx.today.year \
        else ctx.today.year - 1


def region_page(ctx: Ctx, *, region: str | None = None, status: int = 200,
                **extra: Any) -> Response:
    from reports.federation import build_federation_report

    year = _report_year(ctx)
    with ctx.session() as s:
        # A region's page exists before its first club does: empty, not an error.
        report = build_federation_report(s, year, generated=ctx.today, region=region,
                                         known_region=False)
    bars = charts.bar_chart(_("Savings collected by region"),
                            [(g.name, g.current.savings_collected) for g in report.regions],
                            _short_money)
    return render(ctx, "region.html", status=status, report=report, region=region,
                  year=year, chart=bars, error=extra.get("error"), done=extra.get("done"))


def region(ctx: Ctx) -> Response:
    return region_page(ctx, region=ctx.params["region"])


def federation(ctx: Ctx) -> Response:
    return region_page(ctx)


def upload_return(ctx: Ctx) -> Response:
    from cigales.federation.document import loads
    from cigales.services.federation import import_return

    region_name = ctx.params.get("region")
    name, data = ctx.files.get("return", ("", b""))
    try:
        if len(data) > MAX_UPLOAD:
            raise UploadTooLarge(limit=MAX_UPLOAD)
        document = loads(data, name or "return.json")
        if region_name is not None and (document.get("club") or {}).get("region") \
                != region_name and not any(r.kind == "federation"
                                           for r in ctx.visitor.roles):
            raise ReturnOutsideRegion(region=region_name)
        with ctx.session(write=True) as s:
            outcome = import_return(s, document, source=f"web:{name}", today=ctx.today)
            accounts.audit(s, "return_import", outcome.status,
                           account=s.get(WebAccount, _account_id(ctx)),
                           target=f"{outcome.club} {outcome.year}", address=ctx.address)
    except UserError as exc:
        ctx.audit("return_import", exc.code, target=name)
        return region_page(ctx, region=region_name, status=400,
                           error=f"{ctx.error_text(exc)} [{exc.code}]")
    return region_page(ctx, region=region_name,
                       done=f"{outcome.club} {outcome.year}: {outcome.status}")


class ReturnOutsideRegion(CigalesError):
    code = "return_outside_region"
    template = N_("This return is not from a club of {region}.")

"""Who may open which route: the one authorization mechanism of the web space.

Every route is declared with one of the rules below (``cigales.web.app.ROUTES``); the wrapper
in ``app.guarded`` evaluates it from the route's path parameters before the handler runs, so
no handler checks access itself. A visitor who is not signed in is sent to the sign-in page;
a signed-in visitor who may not see a resource gets 404, as if it did not exist, so that
member codes and club names cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from cigales.services.web_accounts import Role


class Access(StrEnum):
    PUBLIC = "public"  # sign-in, invitation, static files, language
    SIGNED_IN = "signed_in"  # any account: home, password, sign-out
    MEMBER_SELF = "member_self"  # /club/{slug}/member/{code}: that member only
    CLUB_MEMBER = "club_member"  # documents of the club for any of its members or treasurers
    TREASURER = "treasurer"  # /club/{slug}/...: the club's treasurers
    REGION = "region"  # /region/{region}: that region's staff, or the federation
    FEDERATION = "federation"  # /federation: the federation only


def _member_self(roles: tuple[Role, ...], p: Mapping[str, str]) -> bool:
    return any(r.kind == "member" and r.club == p["slug"] and r.member == p["code"]
               for r in roles)


def _club_member(roles: tuple[Role, ...], p: Mapping[str, str]) -> bool:
    return any(r.kind in ("member", "treasurer") and r.club == p["slug"] for r in roles)


def _treasurer(roles: tuple[Role, ...], p: Mapping[str, str]) -> bool:
    return any(r.kind == "treasurer" and r.club == p["slug"] for r in roles)


def _region(roles: tuple[Role, ...], p: Mapping[str, str]) -> bool:
    return any(r.kind == "federation" or (r.kind == "region" and r.region == p["region"])
               for r in roles)


def _anyone(_roles: tuple[Role, ...], _p: Mapping[str, str]) -> bool:
    # Signed-in or not is decided before the rules (app.guarded): past that, anyone.
    return True


def _federation(roles: tuple[Role, ...], _p: Mapping[str, str]) -> bool:
    return any(r.kind == "federation" for r in roles)


RULES: dict[Access, Callable[[tuple[Role, ...], Mapping[str, str]], bool]] = {
    Access.PUBLIC: _anyone,
    Access.SIGNED_IN: _anyone,
    Access.MEMBER_SELF: _member_self,
    Access.CLUB_MEMBER: _club_member,
    Access.TREASURER: _treasurer,
    Access.REGION: _region,
    Access.FEDERATION: _federation,
}


def allowed(access: Access, roles: tuple[Role, ...], params: Mapping[str, str]) -> bool:
    return RULES[access](roles, params)

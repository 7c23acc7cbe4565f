"""The keys that sign and check federation returns (docs/federation.md, "Signed returns").

Two sides, often two databases:

- **the club** holds its private key in its own ``club`` row (``Club.signing_key``), created
  with the club (and by migration 0013 for older clubs). ``federation return`` signs with it;
  ``federation keys show`` gives the public half to send to the region; ``federation keys
  generate --replace`` makes a new pair (after a leak, or a change of treasurer).
- **the region** records each club's public key (``federation_club_key``) with ``federation
  keys register``; ``federation import`` accepts a club's return only when the key it
  registered for that club verifies the signature. A second, different key for the same
  club needs ``--replace``: the previous key stays in the table, marked replaced, with the
  date, so every rotation is on record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cigales.errors import CigalesError
from cigales.federation import signing
from cigales.federation.document import seal
from cigales.models import Club, FederationClubKey
from cigales.services.clubs import validate_slug
from ledger.errors import N_


class ClubKeyMissing(CigalesError):
    code = "club_key_missing"
    template = N_("The club “{name}” has no signing key yet: create one with `cigales "
                  "federation keys generate --club {club}`, then send its public key to the "
                  "region (`cigales federation keys show`).")


class ClubKeyExists(CigalesError):
    code = "club_key_exists"
    template = N_("The club “{name}” already has a signing key (fingerprint {fingerprint}). "
                  "A new key makes the region refuse the club's returns until it registers "
                  "the new public key: add --replace to create one anyway.")


class ClubKeyAlreadyRegistered(CigalesError):
    code = "club_key_already_registered"
    template = N_("A different key is already registered for the club “{club}” (fingerprint "
                  "{fingerprint}). Register a new key only when the club confirms it changed "
                  "its key: add --replace (the previous key is kept on record).")


class ReturnKeyNotRegistered(CigalesError):
    code = "return_key_not_registered"
    template = N_("{source}: no public key is registered for the club “{club}”, so its "
                  "signature cannot be checked. Ask the club for its public key (`cigales "
                  "federation keys show`) and record it with `cigales federation keys register "
                  "--club {club} --public-key FILE`.")


# -- the club's side -------------------------------------------------------------------------

def ensure_club_key(club: Club, today: dt.date) -> None:
    """Give ``club`` a private key if it has none (at creation)."""
    if club.signing_key is None:
        club.signing_key = signing.encode(signing.new_private_key())
        club.signing_key_created_on = today


def club_private_key(club: Club) -> bytes:
    if club.signing_key is None:
        raise ClubKeyMissing(club=club.slug, name=club.name)
    return signing.decode(club.signing_key)


def club_public_key(club: Club) -> bytes:
    return signing.public_key(club_private_key(club))


def generate_club_key(session: Session, club: Club, *, today: dt.date,
                      replace: bool = False) -> str:
    """A new key pair for ``club``; its fingerprint. Refused over an existing key unless
    ``replace`` (the old private key is then gone: the region must register the new one)."""
    if club.signing_key is not None and not replace:
        raise ClubKeyExists(club=club.slug, name=club.name,
                            fingerprint=signing.spaced(signing.fingerprint(club_public_key(club))))
    club.signing_key = None
    ensure_club_key(club, today)
    session.flush()
    return signing.fingerprint(club_public_key(club))


def sign_return(club: Club, document: dict[str, Any]) -> dict[str, Any]:
    """The return signed by the club's key and sealed (checksum last, over the signature)."""
    return seal(signing.sign(document, club_private_key(club)))


# -- the region's side -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Registration:
    club: str
    fingerprint: str
    revision: int
    status: str  # registered | unchanged | replaced


def registered_key(session: Session, slug: str) -> FederationClubKey | None:
    return session.execute(select(FederationClubKey).where(
        FederationClubKey.club_slug == slug, FederationClubKey.current.is_(True))
        .order_by(FederationClubKey.revision.desc())).scalars().first()


def register_key(session: Session, slug: str, public: bytes, *, today: dt.date, source: str,
                 replace: bool = False) -> Registration:
    """Record ``public`` as the key of club ``slug``. The same key again changes nothing; a
    different key replaces the current one only with ``replace``, and the old one is kept."""
    validate_slug(slug)
    if len(public) != signing.KEY_BYTES:
        raise signing.InvalidPublicKey(source=source)
    print_ = signing.fingerprint(public)
    current = registered_key(session, slug)
    if current is not None and current.fingerprint == print_:
        return Registration(slug, print_, current.revision, "unchanged")
    if current is not None and not replace:
        raise ClubKeyAlreadyRegistered(club=slug, fingerprint=signing.spaced(current.fingerprint))
    last = session.execute(select(func.max(FederationClubKey.revision)).where(
        FederationClubKey.club_slug == slug)).scalar_one()
    if current is not None:
        session.execute(update(FederationClubKey).where(
            FederationClubKey.club_slug == slug, FederationClubKey.current.is_(True))
            .values(current=False, replaced_on=today))
    revision = (last or 0) + 1
    session.add(FederationClubKey(club_slug=slug, revision=revision,
                                  public_key=signing.encode(public), fingerprint=print_,
                                  registered_on=today, source=source[:500],
                                  current=True))
    session.flush()
    return Registration(slug, print_, revision, "replaced" if current is not None
                        else "registered")


def register_hosted(session: Session, club: Club, *, today: dt.date,
                    replace: bool = False) -> Registration:
    """Register the key of a club whose books are in this database (the demo's region, a
    region hosting its clubs): the public key is read from the club's own row."""
    return register_key(session, club.slug, club_public_key(club), today=today,
                        source=f"club:{club.slug}", replace=replace)


def key_history(session: Session, slug: str | None = None) -> list[FederationClubKey]:
    query = select(FederationClubKey).order_by(FederationClubKey.club_slug,
                                               FederationClubKey.revision)
    if slug is not None:
        query = query.where(FederationClubKey.club_slug == slug)
    return list(session.execute(query).scalars())


def verify_return(session: Session, document: dict[str, Any], source: str) -> None:
    """Refuse a return that is unsigned, or not signed by the key registered for its club."""
    if not isinstance(document.get("signature"), dict):
        raise signing.ReturnSignatureInvalid(source=source, reason=signing.UNSIGNED)
    slug = document["club"]["slug"]
    key = registered_key(session, slug)
    if key is None:
        raise ReturnKeyNotRegistered(source=source, club=slug)
    signing.verify(document, signing.decode(key.public_key), source)

"""`cigales federation keys generate|show|register|list`: the keys that sign club returns.

The club runs ``generate`` (only to replace its key: every club gets one at creation) and
``show`` (its public key, to send to the region); the region runs ``register`` and ``list``.
Thin commands over ``cigales.services.federation_keys`` (docs/federation.md, "Signed returns").
"""

from __future__ import annotations

from pathlib import Path

import typer

from cigales.cli import common
from cigales.cli.output import Column, emit, to_json, write
from cigales.errors import MissingValue, UnknownClub, UnreadableFile
from cigales.i18n import _
from cigales.services.clubs import get_club


def _key_text(value: str) -> tuple[str, str]:
    """(text, source) of --public-key: a file's content, or the key itself (base64)."""
    path = Path(value)
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8-sig"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UnreadableFile(path=value, reason=reason) from exc
    return value, value[:60]


def register(federation_app: typer.Typer) -> None:
    keys_app = typer.Typer(no_args_is_help=True, help=_(
        "Keys that sign the yearly returns: the club shows its public key, the region "
        "registers it."))
    federation_app.add_typer(keys_app, name="keys")

    @keys_app.command("show", help=_("The club's public key (PEM), to send to its region; its "
                                     "fingerprint is printed on stderr, to confirm by phone."))
    def show(
        ctx: typer.Context,
        club: str = common.club_option(),
        format: str = typer.Option("pem", "--format", help=_("Output format: pem or json.")),
        output: str = common.output_option(),
    ) -> None:
        from cigales.federation import signing
        from cigales.services.federation_keys import club_public_key

        common.choice(format, "--format", ("pem", "json"))
        with common.session(ctx, write=False) as s:
            the_club = get_club(s, club)
            public = club_public_key(the_club)
            created = the_club.signing_key_created_on
            name = the_club.name
        print_ = signing.fingerprint(public)
        if format == "json":
            write(to_json({"club": club, "algorithm": signing.ALGORITHM,
                           "public_key": signing.encode(public), "fingerprint": print_,
                           "created_on": created, "pem": signing.public_pem(public)}), output)
            return
        write(signing.public_pem(public), output)
        common.notice(_("Public key of the club “{club}”, fingerprint {fingerprint}.").format(
            club=name, fingerprint=signing.spaced(print_)))

    @keys_app.command("generate", help=_("Give the club a new key pair (each club gets one "
                                         "when it is created). Replacing a key needs "
                                         "--replace, and the region must then register the "
                                         "new public key."))
    def generate(
        ctx: typer.Context,
        club: str = common.club_option(),
        replace: bool = typer.Option(False, "--replace", help=_(
            "Replace the club's existing key (after a leak or a change of treasurer).")),
    ) -> None:
        from cigales.federation import signing
        from cigales.services.federation_keys import generate_club_key

        today = common.today()
        with common.session(ctx) as s:
            the_club = get_club(s, club)
            name = the_club.name
            print_ = generate_club_key(s, the_club, today=today, replace=replace)
        print(_("New signing key of the club “{name}”, fingerprint {fingerprint}. Send its "
                "public key to the region: `cigales federation keys show --club {club} -o "
                "FILE`.").format(name=name, club=club, fingerprint=signing.spaced(print_)))

    @keys_app.command("register", help=_("At the region: record a club's public key, against "
                                         "which its returns' signatures are checked. A "
                                         "different key for a club that has one needs "
                                         "--replace; the previous key is kept on record."))
    def register_command(
        ctx: typer.Context,
        club: str = common.club_option(),
        public_key: str = typer.Option(None, "--public-key", help=_(
            "The file the club sent (`federation keys show`), or the key in base64. Without "
            "it, the key of a club whose books are in this database.")),
        replace: bool = typer.Option(False, "--replace", help=_(
            "Replace the key registered for the club (the club confirmed its new key).")),
    ) -> None:
        from cigales.federation import signing
        from cigales.services import federation_keys

        today = common.today()
        with common.session(ctx) as s:
            if public_key is None:
                try:
                    hosted = get_club(s, club)
                except UnknownClub as exc:
                    raise MissingValue(option="--public-key") from exc
                done = federation_keys.register_hosted(s, hosted, today=today, replace=replace)
            else:
                text, source = _key_text(public_key)
                done = federation_keys.register_key(
                    s, club, signing.read_public_key(text, source), today=today,
                    source=source, replace=replace)
        spaced = signing.spaced(done.fingerprint)
        if done.status == "unchanged":
            common.notice(_("This key is already registered for the club “{club}” "
                            "(fingerprint {fingerprint}): nothing changed.").format(
                club=club, fingerprint=spaced))
        elif done.status == "replaced":
            print(_("New key of the club “{club}” registered (version {revision}, fingerprint "
                    "{fingerprint}); the previous one is kept as replaced.").format(
                club=club, revision=done.revision, fingerprint=spaced))
        else:
            print(_("Key of the club “{club}” registered (fingerprint {fingerprint}).").format(
                club=club, fingerprint=spaced))

    @keys_app.command("list", help=_("At the region: the registered keys, with every "
                                     "replaced one."))
    def list_command(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("Only this club (slug).")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        from cigales.services.federation_keys import key_history

        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            rows = [{"club": k.club_slug, "revision": k.revision, "fingerprint": k.fingerprint,
                     "registered_on": k.registered_on, "replaced_on": k.replaced_on,
                     "current": k.current, "source": k.source}
                    for k in key_history(s, club)]
        emit(format,
             columns=[Column("club", _("Club")), Column("revision", _("Version"), True),
                      Column("fingerprint", _("Fingerprint")),
                      Column("registered_on", _("Registered")),
                      Column("replaced_on", _("Replaced"))],
             rows=rows, payload=rows, output=output, title=_("Registered club keys"))

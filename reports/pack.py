"""Write a club's yearly papers to a folder: the AGM pack and one statement per member.

Used by `cigales demo` and `cigales report statement`. File names are stable
(``agm-<club>-<year>.pdf``, ``statements/<club>-<year>-<member>.pdf``) so that a re-run
replaces the same files. Rendering happens in the language given (``lang``) and the previous
language is restored afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from cigales.i18n import using
from cigales.models import Club
from reports.data import MemberStatement, build_agm_pack, build_member_statements
from reports.pdf.agm import render_agm
from reports.pdf.statement import render_statement


def agm_name(slug: str, year: int) -> str:
    return f"agm-{slug}-{year}.pdf"


def statement_name(st: MemberStatement) -> str:
    return f"{st.club.slug}-{st.year}-{st.code}.pdf"


def write_statements(statements: Sequence[MemberStatement], folder: Path, *,
                     lang: str | None, on_written: Callable[[], None] | None = None,
                     ) -> list[Path]:
    """One PDF per statement in ``folder`` (created); ``on_written`` after each file."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with using(lang):
        for st in statements:
            path = folder / statement_name(st)
            path.write_bytes(render_statement(st))
            written.append(path)
            if on_written:
                on_written()
    return written


def write_club_reports(session: Session, club: Club, year: int, out_dir: Path, *,
                       lang: str | None, generated: dt.date) -> list[Path]:
    """The AGM pack in ``out_dir`` and every member's statement in ``out_dir/statements``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    agm = out_dir / agm_name(club.slug, year)
    with using(lang):
        agm.write_bytes(render_agm(build_agm_pack(session, club, year, generated=generated)))
    statements = build_member_statements(session, club, year, generated=generated)
    return [agm, *write_statements(statements, out_dir / "statements", lang=lang)]

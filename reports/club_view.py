"""The club as of a date, computed once per report request.

An AGM pack or a set of member statements reads the club's life cycle, portfolio, loans,
status, alerts and share table from several sections (identity, activity, loans, members,
each member's investments). Each of these used to be recomputed by the section that needed
it (the portfolio three times and every loan schedule three times for one AGM pack); the
sections now read one ``ClubView``. Each part is computed on first use, inside the caller's
transaction, so the figures are those of one snapshot and identical to computing them
separately.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from sqlalchemy.orm import Session

from cigales.models import Club
from cigales.phases import Alert, Lifecycle
from cigales.services import lifecycle as lifecycle_service
from cigales.services.loans import LoanView, all_loans
from cigales.services.portfolio import PortfolioLine, investment_alerts, portfolio


class ClubView:
    """Read-only parts of one club on ``as_of``; build one per request, never keep it across
    transactions (it would go stale)."""

    def __init__(self, session: Session, club: Club, as_of: dt.date) -> None:
        self.session, self.club, self.as_of = session, club, as_of

    @cached_property
    def life(self) -> Lifecycle:
        return lifecycle_service.lifecycle(self.session, self.club)

    @cached_property
    def loans(self) -> list[LoanView]:
        """Every loan made by ``as_of``, with its schedule, payments and arrears."""
        return all_loans(self.session, self.club, self.as_of)

    @cached_property
    def portfolio(self) -> list[PortfolioLine]:
        return portfolio(self.session, self.club, self.as_of, loans=self.loans)

    @cached_property
    def status(self) -> lifecycle_service.ClubStatus:
        return lifecycle_service.status(self.session, self.club, self.as_of, life=self.life)

    @cached_property
    def investment_alerts(self) -> list[Alert]:
        return investment_alerts(self.session, self.club, self.as_of, life=self.life,
                                 lines=self.portfolio, loans=self.loans)

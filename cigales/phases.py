"""The club's life cycle as a pure state machine: phases, transitions, guards and alerts.

investment (T0 → T0+5y) ──prorogation──▶ management (until T0+10y)
      │                                        │
      └──────────────liquidation───────────────┴──▶ liquidation ──final distribution──▶ closed

Nothing here touches the database: the services load the club's dated events, ask this module
what is allowed on a date, and record the new event. Every refusal names what is allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cigales.errors import CigalesError, Notice
from ledger.errors import N_, NP_, Msg, MsgList

PHASE1_YEARS = 5
LIFE_YEARS = 10
PROROGATION_WINDOW_MONTHS = 12
ALERT_MONTHS = 6
MIN_MEMBERS = 5
MAX_MEMBERS = 20


class Phase(StrEnum):
    INVESTMENT = "investment"
    MANAGEMENT = "management"
    LIQUIDATION = "liquidation"
    CLOSED = "closed"


PHASE_LABELS = {
    Phase.INVESTMENT: Msg(N_("investment")),
    Phase.MANAGEMENT: Msg(N_("management")),
    Phase.LIQUIDATION: Msg(N_("liquidation")),
    Phase.CLOSED: Msg(N_("closed")),
}


# What reports and the CLI call each phase: the domain's names (domain.md §1), P1 … P3. The
# stored and JSON codes stay the Phase values, plus LAPSED, which is reported (never stored)
# when T0 + 5 years passed with neither prorogation nor liquidation.
LAPSED = "lapsed"
PHASE_NAMES = {
    Phase.INVESTMENT.value: Msg(N_("P1 – investment phase")),
    Phase.MANAGEMENT.value: Msg(N_("P2 – management phase (after prorogation)")),
    Phase.LIQUIDATION.value: Msg(N_("P3 – liquidation")),
    Phase.CLOSED.value: Msg(N_("closed")),
    LAPSED: Msg(N_("lapsed (legal indivision)")),
}


def reported_phase(phase: str, *, lapsed: bool) -> str:
    """The phase code to report: ``lapsed`` instead of ``investment`` once the investment phase
    ended with no decision (the club is then under the legal indivision regime)."""
    return LAPSED if lapsed and phase == Phase.INVESTMENT.value else phase


class EventKind(StrEnum):
    PROROGATION = "prorogation"
    LIQUIDATION = "liquidation"
    CLOSURE = "closure"


@dataclass(frozen=True, slots=True)
class PhaseEvent:
    kind: EventKind
    date: dt.date
    late: bool = False


# Life-cycle alerts are notices: computed for a date, shown by `club show`.
Alert = Notice


class PhaseError(CigalesError):
    code = "phase_rule"


class SecondProrogation(PhaseError):
    code = "prorogation_already_decided"
    template = N_("The club was already extended on {date}; the convention allows one "
                  "prorogation only.")


class ProrogationTooEarly(PhaseError):
    code = "prorogation_too_early"
    template = N_("A prorogation can be decided from {start} (12 months before the end of the "
                  "investment phase on {end}); {date} is too early.")


class ProrogationLate(PhaseError):
    code = "prorogation_after_phase_end"
    template = N_("The investment phase ended on {end}; a prorogation dated {date} is late: "
                  "confirm it with --late (the lapse stays visible in the alerts).")


class PhaseDoesNotAllow(PhaseError):
    code = "phase_does_not_allow"
    template = N_("On {date} the club is in phase “{phase}”, which does not allow {operation}; "
                  "allowed in: {allowed}.")


class MonthNotInPlan(PhaseDoesNotAllow):
    # Same rule as a saving dated out of phase; the message names the plan's months.
    template = N_("{month} is not a month of the savings plan: on its collection day ({day}) "
                  "the club is in phase “{phase}”, which does not accept savings. Months of "
                  "the plan: {first} to {last}.")


class DateOutsideLife(PhaseError):
    code = "date_outside_club_life"
    template = N_("{date} is outside the club's life: allowed from {founded} to {life_end} "
                  "(T0 + 10 years).")


class ClubClosed(PhaseError):
    code = "club_closed"
    template = N_("The club was closed on {date}; its books are read-only.")


class AlreadyLiquidating(PhaseError):
    code = "liquidation_already_decided"
    template = N_("Liquidation was already decided on {date}.")


def add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February → 28 February
        return date.replace(year=date.year + years, day=28)


def add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (date.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Settings:
    phase2_savings: bool = False
    phase2_investments: bool = False


@dataclass(frozen=True, slots=True)
class Lifecycle:
    founded: dt.date
    events: tuple[PhaseEvent, ...] = ()
    settings: Settings = Settings()

    # -- key dates ------------------------------------------------------------------------------
    @property
    def phase1_end(self) -> dt.date:
        """First day after the investment phase (T0 + 5 years)."""
        return add_years(self.founded, PHASE1_YEARS)

    @property
    def life_end(self) -> dt.date:
        """T0 + 10 years: nothing may extend the club beyond it."""
        return add_years(self.founded, LIFE_YEARS)

    def event(self, kind: EventKind) -> PhaseEvent | None:
        return next((e for e in self.events if e.kind == kind), None)

    @property
    def prorogation(self) -> PhaseEvent | None:
        return self.event(EventKind.PROROGATION)

    @property
    def liquidation(self) -> PhaseEvent | None:
        return self.event(EventKind.LIQUIDATION)

    @property
    def closure(self) -> PhaseEvent | None:
        return self.event(EventKind.CLOSURE)

    # -- state ------------------------------------------------------------------------------------
    def phase_at(self, date: dt.date) -> Phase:
        closure, liquidation = self.closure, self.liquidation
        if closure is not None and date >= closure.date:
            return Phase.CLOSED
        if liquidation is not None and date >= liquidation.date:
            return Phase.LIQUIDATION
        if date >= self.phase1_end and self.prorogation is not None:
            return Phase.MANAGEMENT
        return Phase.INVESTMENT

    def phase_ends(self, date: dt.date) -> dt.date | None:
        """Last day of the phase the club is in on ``date`` (None once closed)."""
        phase = self.phase_at(date)
        if phase == Phase.CLOSED:
            return None
        if phase == Phase.INVESTMENT:
            return self.phase1_end - dt.timedelta(days=1)
        return self.life_end - dt.timedelta(days=1)

    def lapsed(self, date: dt.date) -> bool:
        """T0+5y passed with no prorogation and no liquidation: legal indivision regime."""
        return (date >= self.phase1_end and self.prorogation is None
                and self.liquidation is None)

    # -- guards -----------------------------------------------------------------------------------
    def check_in_life(self, date: dt.date) -> None:
        # Once closed, the books are read-only whatever the date of the operation.
        closure = self.closure
        if closure is not None:
            raise ClubClosed(date=closure.date.isoformat())
        if date < self.founded or date >= self.life_end:
            raise DateOutsideLife(date=date.isoformat(), founded=self.founded.isoformat(),
                                  life_end=(self.life_end - dt.timedelta(days=1)).isoformat())

    def check_writable(self, date: dt.date) -> None:
        """Any booking: inside the club's life and before closure."""
        self.check_in_life(date)

    def in_life(self, date: dt.date) -> bool:
        return self.founded <= date < self.life_end

    def allows_savings(self, date: dt.date) -> bool:
        if not self.in_life(date):
            return False
        phase = self.phase_at(date)
        if phase == Phase.INVESTMENT:
            return not self.lapsed(date)
        return phase == Phase.MANAGEMENT and self.settings.phase2_savings

    def allows_investments(self, date: dt.date) -> bool:
        if not self.in_life(date):
            return False
        phase = self.phase_at(date)
        if phase == Phase.INVESTMENT:
            return not self.lapsed(date)
        return phase == Phase.MANAGEMENT and self.settings.phase2_investments

    # -- the months of the monthly savings plan ---------------------------------------------------
    # One definition for what a member owes (arrears) and what `saving collect` accepts: a
    # month belongs to the plan when savings are allowed on its last day, its collection day.
    # A 60-month phase therefore has 60 plan months whatever day of the month T0 falls on
    # (founded 10/02/2020: February 2020 to January 2025; February 2025 ends after the phase).
    @staticmethod
    def collection_day(year: int, month: int) -> dt.date:
        return add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)

    def is_saving_month(self, year: int, month: int) -> bool:
        return self.allows_savings(self.collection_day(year, month))

    def saving_months(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """First and last months of the plan as the club stands (None if there is none)."""
        found = []
        year, month = self.founded.year, self.founded.month
        while (year, month) <= (self.life_end.year, self.life_end.month):
            if self.is_saving_month(year, month):
                found.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return (found[0], found[-1]) if found else None

    def check_saving_month(self, year: int, month: int) -> None:
        if self.is_saving_month(year, month):
            return
        window = self.saving_months()
        raise MonthNotInPlan(
            month=f"{year:04d}-{month:02d}",
            day=self.collection_day(year, month).isoformat(),
            phase=self._phase_label(self.collection_day(year, month)),
            first=f"{window[0][0]:04d}-{window[0][1]:02d}" if window else "—",
            last=f"{window[1][0]:04d}-{window[1][1]:02d}" if window else "—")

    def allowed_phases(self, investments: bool) -> MsgList:
        allowed: list[str] = [PHASE_LABELS[Phase.INVESTMENT]]
        flag = self.settings.phase2_investments if investments else self.settings.phase2_savings
        if flag:
            allowed.append(PHASE_LABELS[Phase.MANAGEMENT])
        return MsgList(allowed)

    def check_savings(self, date: dt.date) -> None:
        self.check_in_life(date)
        if not self.allows_savings(date):
            raise PhaseDoesNotAllow(date=date.isoformat(), phase=self._phase_label(date),
                                    operation=Msg(N_("savings")),
                                    allowed=self.allowed_phases(investments=False))

    def check_investments(self, date: dt.date) -> None:
        self.check_in_life(date)
        if not self.allows_investments(date):
            raise PhaseDoesNotAllow(date=date.isoformat(), phase=self._phase_label(date),
                                    operation=Msg(N_("new investments")),
                                    allowed=self.allowed_phases(investments=True))

    def check_membership_change(self, date: dt.date) -> None:
        self.check_in_life(date)
        phase = self.phase_at(date)
        if phase not in (Phase.INVESTMENT, Phase.MANAGEMENT):
            raise PhaseDoesNotAllow(date=date.isoformat(), phase=PHASE_LABELS[phase],
                                    operation=Msg(N_("members joining or leaving")),
                                    allowed=MsgList([PHASE_LABELS[Phase.INVESTMENT],
                                                     PHASE_LABELS[Phase.MANAGEMENT]]))

    def reported_phase(self, date: dt.date) -> str:
        """The phase code reports show on ``date`` (a Phase value, or ``lapsed``)."""
        return reported_phase(self.phase_at(date).value, lapsed=self.lapsed(date))

    def _phase_label(self, date: dt.date) -> Msg:
        return PHASE_NAMES[self.reported_phase(date)]

    def extend(self, date: dt.date, *, late: bool = False) -> PhaseEvent:
        """Guard and build the prorogation event."""
        self.check_in_life(date)
        existing = self.prorogation
        if existing is not None:
            raise SecondProrogation(date=existing.date.isoformat())
        if self.liquidation is not None:
            raise AlreadyLiquidating(date=self.liquidation.date.isoformat())
        window_start = add_months(self.phase1_end, -PROROGATION_WINDOW_MONTHS)
        if date < window_start:
            raise ProrogationTooEarly(start=window_start.isoformat(), date=date.isoformat(),
                                      end=(self.phase1_end - dt.timedelta(days=1)).isoformat())
        is_late = date >= self.phase1_end
        if is_late and not late:
            raise ProrogationLate(end=(self.phase1_end - dt.timedelta(days=1)).isoformat(),
                                  date=date.isoformat())
        return PhaseEvent(EventKind.PROROGATION, date, late=is_late)

    def liquidate(self, date: dt.date) -> PhaseEvent:
        self.check_in_life(date)
        if self.liquidation is not None:
            raise AlreadyLiquidating(date=self.liquidation.date.isoformat())
        return PhaseEvent(EventKind.LIQUIDATION, date)

    # -- alerts -----------------------------------------------------------------------------------
    def alerts(self, date: dt.date, active_members: int) -> list[Alert]:
        found: list[Alert] = []
        phase = self.phase_at(date)
        if phase == Phase.CLOSED:
            return found
        end = self.phase_ends(date)
        if date >= self.life_end:
            found.append(Alert(
                "life_ended",
                N_("The club's life ended on {end} (T0 + 10 years): it must be liquidated."),
                {"end": (self.life_end - dt.timedelta(days=1)).isoformat()}))
        elif (phase in (Phase.INVESTMENT, Phase.MANAGEMENT) and end is not None
                and not self.lapsed(date) and date > add_months(end, -ALERT_MONTHS)):
            found.append(Alert("phase_ends_soon",
                               N_("The {phase} phase ends on {end}."),
                               {"phase": PHASE_LABELS[phase], "end": end.isoformat()}))
        if self.lapsed(date):
            found.append(Alert(
                "legal_indivision",
                N_("The investment phase ended on {end} with neither prorogation nor "
                   "liquidation: the club is under the legal indivision regime and any "
                   "member may demand a split. Decide a prorogation (club extend --late) or "
                   "a liquidation."),
                {"end": (self.phase1_end - dt.timedelta(days=1)).isoformat()}))
        prorogation = self.prorogation
        if prorogation is not None and prorogation.late:
            found.append(Alert(
                "late_prorogation",
                N_("The prorogation was decided on {date}, after the investment phase "
                   "ended on {end}."),
                {"date": prorogation.date.isoformat(),
                 "end": (self.phase1_end - dt.timedelta(days=1)).isoformat()}))
        if phase in (Phase.INVESTMENT, Phase.MANAGEMENT):
            if active_members < MIN_MEMBERS:
                found.append(Alert("too_few_members",
                                   NP_("{count} active member: a club needs at least 5.",
                                       "{count} active members: a club needs at least 5."),
                                   {"count": str(active_members)}))
            elif active_members > MAX_MEMBERS:
                found.append(Alert("too_many_members",
                                   N_("{count} active members: a club has at most 20."),
                                   {"count": str(active_members)}))
        return found

"""Realistic demo clubs, generated deterministically from a seed and an index.

The story every demo club tells (figures drawn from ``random.Random(f"{seed}:{index}")``, dates
from the ``today`` passed in: never the global random generator, never the wall clock):

1. **Founding.** Six or seven years before ``today``, 7 to 15 neighbours of a French region sign
   the convention of « Les Fourmis du Val » (or another name from the word lists). Each chooses
   a monthly saving between 7.50 and 450 € (about 27 € on average, as in domain.md §8).
2. **Five years of saving (phase 1).** Members pay in most months; some months are skipped,
   some paid late in the month, and now and then someone adds a one-off extra payment. The
   bank takes its fees every month, the regional association its dues every year, and the
   bank pays a little interest each 31 December.
3. **Life of the membership.** A newcomer joins in year 2 or 3; a founder leaves in year 3 or
   4, paid out from the bank when the cash allows it, else by transferring the share to
   another member.
4. **Investing.** 8 to 12 projects are financed during phase 1, always within the cash the
   club holds and within the legal caps: equity stakes in SAS, SARL, SCOP or SCIC companies
   (valid SIRENs) and honour loans to entrepreneurs, 1,000 to 8,000 € each. Every investee
   reports the jobs it created and kept.
5. **What happens to the money.** Most loans are repaid on time, some instalments late; one
   stake pays dividends; one project fails (a company impaired then written off, or a loan
   that stops paying and is written off); the most recent loan falls behind in the autumn of
   last year, so the loan book has a non-zero PAR30 at the last closing, and it is
   rescheduled in the current year. A stake whose tax lock-up has ended may be sold back to
   its founders.
6. **Prorogation.** A few months before the end of year 5 the members decide to extend the
   club: it enters the management phase (no more savings nor new investments, by default),
   where it collects repayments and pays its charges.
7. **Closing.** Every fiscal year is closed in order, up to last year (``today.year - 1``).

Everything goes through the services, with the same validation as the command line: if a
service refuses a step, the generator is wrong, not the service.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

from cigales import chart, policy, schedules
from cigales.errors import UsageProblem
from cigales.models import Club, Investee, Investment, Member
from cigales.phases import add_months, add_years
from cigales.services import (
    bookkeeping,
    clubs,
    federation_keys,
    flows,
    investments,
    lifecycle,
    loans,
    members,
    savings,
)
from cigales.shares import positions
from ledger.errors import N_
from ledger.money import Money
from ledger.post import deferred
from ledger.queries import account_balance, chain_head

MAX_CLUBS = 1000


class InvalidClubCount(UsageProblem):
    code = "invalid_club_count"
    template = N_("--clubs takes a whole number of clubs from 1 to {maximum}; got {value}.")


def check_count(count: int) -> int:
    if not 1 <= count <= MAX_CLUBS:
        raise InvalidClubCount(value=count, maximum=MAX_CLUBS)
    return count

# -- word lists -----------------------------------------------------------------------------------

CLUB_ANIMALS = ("Les Fourmis", "Les Cigales", "Les Abeilles", "Les Colibris", "Les Castors",
                "Les Hirondelles", "Les Lucioles", "Les Grillons", "Les Écureuils",
                "Les Semeurs", "Les Libellules", "Les Mésanges")
CLUB_PLACES = ("du Val", "de la Vallée", "du Marais", "des Coteaux", "de l'Estuaire",
               "du Bocage", "des Tilleuls", "de la Source", "du Canal", "des Deux Rives",
               "de la Garrigue", "du Plateau", "des Étangs", "du Vieux Port")
# Regions and some of their departments (numbers as the clubs service accepts them).
REGIONS = (
    ("Bretagne", ("22", "29", "35", "56")),
    ("Pays de la Loire", ("44", "49", "53", "72", "85")),
    ("Auvergne-Rhône-Alpes", ("01", "07", "26", "38", "42", "63", "69", "73", "74")),
    ("Occitanie", ("09", "11", "12", "30", "31", "34", "46", "65", "66", "81")),
    ("Normandie", ("14", "27", "50", "61", "76")),
    ("Hauts-de-France", ("02", "59", "60", "62", "80")),
    ("Île-de-France", ("75", "77", "78", "91", "92", "93", "94", "95")),
    ("Nouvelle-Aquitaine", ("16", "17", "19", "24", "33", "40", "47", "64", "79", "86", "87")),
    ("Provence-Alpes-Côte d'Azur", ("04", "05", "06", "13", "83", "84")),
    ("Bourgogne-Franche-Comté", ("21", "25", "39", "58", "70", "71", "89", "90")),
    ("Grand Est", ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")),
    ("Centre-Val de Loire", ("18", "28", "36", "37", "41", "45")),
)
FIRST_NAMES = ("Anne", "Bruno", "Chloé", "David", "Émilie", "François", "Gaëlle", "Hélène",
               "Inès", "Jérôme", "Karim", "Léa", "Loïc", "Maëlys", "Noël", "Océane", "Pascal",
               "Raphaël", "Sophie", "Thérèse", "Yannick", "Zoé", "Benoît", "Clément", "Anaïs",
               "Françoise", "Mathéo", "Solène", "Aurélien", "Agnès", "Rémi", "Céline",
               "Joël", "Valérie", "Hervé", "Mélanie", "Gérard", "Nadia", "Théo", "Brigitte")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Lefèvre", "Lemaître", "Bénard", "Gauthier",
              "Fabre", "Le Goff", "Kervella", "Mercier", "Rousseau", "Chevalier", "Guérin",
              "Boyer", "Faure", "Roche", "Perrin", "Ménard", "Giraud", "Barbier", "Da Silva",
              "N'Diaye", "Benali", "Nguyen", "Le Bihan", "Després", "Hébert", "Caron",
              "Lacroix", "Morel", "Bouvier", "Texier", "Pélissier", "Garnier", "Robin")
# (name pattern, sector, legal forms it may take). "{place}" is a place word.
PROJECTS = (
    ("Le Fournil {place}", "boulangerie", ("SARL", "SCOP", "EI")),
    ("La Recyclerie {place}", "réemploi", ("SCIC", "SAS")),
    ("Brasserie artisanale {place}", "brasserie", ("SAS", "SARL")),
    ("Épicerie vrac La Cagette", "commerce", ("SAS", "SARL", "EI")),
    ("Atelier vélo Rayons {place}", "mobilité", ("SCOP", "SAS", "EI")),
    ("Ferme maraîchère {place}", "agriculture", ("SCOP", "SARL", "EI")),
    ("Librairie L'Arbre à Mots", "culture", ("SARL", "SCOP", "EI")),
    ("Café-librairie Le Comptoir {place}", "culture", ("SCIC", "SAS")),
    ("Imprimerie Coop'Encre", "imprimerie", ("SCOP",)),
    ("Garage solidaire Roue Libre", "mobilité", ("SCIC", "SAS")),
    ("Savonnerie {place}", "artisanat", ("SAS", "SARL", "EI")),
    ("Menuiserie {place}", "bâtiment", ("SCOP", "SARL")),
    ("Conserverie Bocaux {place}", "alimentation", ("SAS", "SCOP")),
    ("Tiers-lieu La Fabrique {place}", "économie sociale", ("SCIC",)),
    ("Énergies citoyennes {place}", "énergie", ("SAS", "SCIC")),
    ("Couture Fil d'Ariane", "textile", ("SARL", "EI")),
    ("Pépinière {place}", "agriculture", ("SARL", "EI")),
    ("Traiteur Saveurs {place}", "restauration", ("SAS", "SARL", "EI")),
)
EQUITY_FORMS = ("SAS", "SARL", "SCOP", "SCIC")
# Monthly plans in euros (as text: Money never sees a float) and how often each is chosen;
# the mean is about 27 €, as in domain.md §8.
PLANS = (("7.50", 8), ("10", 14), ("15", 14), ("20", 18), ("25", 14), ("30", 11), ("40", 8),
         ("50", 6), ("75", 3), ("100", 2), ("450", 1))

# -- event order within a day: earlier kinds first ------------------------------------------------
JOIN, SAVE, FLOW, INVEST, REPAY, LEAVE, CHARGE, YEAR_END, CLOSE = range(9)
RESERVE = Money(30_000)  # cash kept aside for fees and dues when investing or paying out


@dataclass(frozen=True, slots=True)
class DemoClub:
    """One demo club, built now or found already in the database (``created`` False)."""

    club: Club
    slug: str
    last_closed_year: int
    members: int
    investments: int
    entries: int
    created: bool


@dataclass(frozen=True, slots=True)
class Identity:
    slug: str
    name: str
    region: str
    department: str


def _slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return "-".join(words)


def _identity(rng: random.Random, index: int) -> Identity:
    name = f"{rng.choice(CLUB_ANIMALS)} {rng.choice(CLUB_PLACES)}"
    region, departments = rng.choice(REGIONS)
    # The index keeps slugs unique within a run even when two clubs draw the same name.
    slug = _slugify(name) + (f"-{index + 1:03d}" if index else "")
    return Identity(slug, name, region, rng.choice(departments))


def demo_rng(seed: int, index: int) -> random.Random:
    # Demo data, not secrets: a seeded generator is exactly what is wanted.
    return random.Random(f"{seed}:{index}")  # noqa: S311


def demo_slug(seed: int, index: int) -> str:
    """The slug ``build_demo`` gives club ``index`` of ``seed`` (its first draws)."""
    return _identity(demo_rng(seed, index), index).slug


def random_siren(rng: random.Random, taken: set[str]) -> str:
    """A SIREN with a valid Luhn check digit, unused in this club."""
    while True:
        body = str(rng.randint(10_000_000, 99_999_999))
        siren = body + luhn.calc_check_digit(body)
        if siren not in taken:
            taken.add(siren)
            return siren


def _hundreds(rng: random.Random, low: int, high: int) -> Money:
    """A round amount of low..high hundreds of euros, peaked in the middle (sum of two draws)."""
    span = high - low
    return Money((low + rng.randint(0, span // 2) + rng.randint(0, span - span // 2)) * 10_000)


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


@dataclass
class _Person:
    code: str
    name: str
    monthly: Money
    joined: dt.date
    first_month: dt.date  # first day of the first month with a planned saving
    last_month: dt.date  # first day of the last month with a planned saving
    pay_day: int
    skip: int  # chance in 100 of skipping a month
    late: int  # chance in 100 of paying late in the month


@dataclass
class _Project:
    kind: str  # "equity" or "loan"
    role: str  # "plain", "dividend", "sale", "fail", "arrears"
    investee: Investee | None = None
    number: int = 0
    cost: Money = field(default_factory=lambda: Money(0))
    shares: int = 0
    date: dt.date | None = None


@dataclass
class _Story:
    """The club being written: its random generator, calendar and the queue of dated events."""

    session: Session
    rng: random.Random
    today: dt.date
    identity: Identity
    founded: dt.date
    club: Club = field(init=False)
    queue: list[tuple[dt.date, int, int, Callable[[], object]]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    people: list[_Person] = field(default_factory=list)
    projects: list[_Project] = field(default_factory=list)
    sirens: set[str] = field(default_factory=set)
    investee_slugs: set[str] = field(default_factory=set)
    on_closed: bookkeeping.OnClosed | None = None

    @property
    def phase1_end(self) -> dt.date:
        return add_years(self.founded, 5)

    @property
    def last_closed(self) -> int:
        return self.today.year - 1

    def at(self, date: dt.date, order: int, action: Callable[..., object], /, *args: object,
           **kwargs: object) -> None:
        """Queue ``action(*args, **kwargs)`` on ``date``, after the earlier kinds of that day
        (``order``) and the actions queued before it; what falls after today never happens."""
        if date <= self.today:
            event: Callable[[], object] = partial(action, *args, **kwargs)
            heapq.heappush(self.queue, (date, order, next(self.counter), event))

    def run(self) -> None:
        while self.queue:
            _date, _order, _n, action = heapq.heappop(self.queue)
            action()


# -- the story, step by step ----------------------------------------------------------------------

def _found(story: _Story) -> None:
    ident = story.identity
    story.club = clubs.create_club(story.session, ident.slug, ident.name, story.founded,
                                   today=story.today, region=ident.region,
                                   department=ident.department)
    # The demo database is the region too: it knows its clubs' public keys, so their signed
    # returns (`federation return`) import into it like a real region's.
    federation_keys.register_hosted(story.session, story.club, today=story.today)


def _plan_members(story: _Story) -> None:
    """Founders save from the month after T0 until phase 1 ends; a newcomer joins in year 2
    or 3; a founder (never M01, the treasurer) leaves in year 3 or 4."""
    rng, t0 = story.rng, story.founded
    total = rng.randint(8, 16)
    names: set[str] = set()
    plan_values, plan_weights = zip(*PLANS, strict=True)
    last_month = add_months(story.phase1_end.replace(day=1), -1)
    for i in range(total):
        while (name := f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}") in names:
            pass
        names.add(name)
        joined = t0
        if i == total - 1:  # the newcomer
            joined = add_months(t0, rng.randint(13, 30)).replace(day=rng.randint(1, 15))
        first = add_months(joined.replace(day=1), 1) if i < total - 1 else joined.replace(day=1)
        monthly = Money.parse(rng.choices(plan_values, weights=plan_weights)[0])
        story.people.append(_Person(
            code=f"M{i + 1:02d}", name=name, monthly=monthly, joined=joined, first_month=first,
            last_month=last_month, pay_day=rng.randint(1, 10), skip=rng.randint(0, 8),
            late=rng.randint(0, 12)))
    for person in story.people:
        story.at(person.joined, JOIN, _join, story, person)
    leaver = rng.choice(story.people[1:-1])
    leave_on = add_months(t0, rng.randint(26, 46)).replace(day=20)
    leaver.last_month = add_months(leave_on.replace(day=1), -1)
    settlement = "payout" if rng.randint(1, 4) > 1 else "transfer"
    story.at(leave_on, LEAVE, _leave, story, leaver, leave_on, settlement)
    for person in story.people:
        _plan_savings(story, person)


def _join(story: _Story, person: _Person) -> None:
    members.add_member(story.session, story.club, code=person.code, name=person.name,
                       joined=person.joined, monthly=person.monthly, today=story.today)


def _plan_savings(story: _Story, person: _Person) -> None:
    """The planned saving most months (skipped or paid late now and then), some extras."""
    rng = story.rng
    month = person.first_month
    owed = 0  # months skipped, sometimes caught up the next month
    while month <= person.last_month:
        roll = rng.randint(1, 100)
        day = max(person.pay_day, person.joined.day if month <= person.joined else 1)
        if roll <= person.skip:
            owed += 1
        else:
            late = rng.randint(1, 100) <= person.late
            when = month.replace(day=rng.randint(15, 27) if late else day)
            catch_up = owed if rng.randint(1, 2) == 1 else 0
            owed -= catch_up
            key = f"collect:{person.code}:{month:%Y-%m}"
            story.at(when, SAVE, _save, story, person, when, person.monthly * (1 + catch_up),
                     key, f"{month:%Y-%m}")
        if rng.randint(1, 100) <= 2:  # an occasional one-off extra payment
            extra = Money(rng.randint(5, 50) * 1_000)
            when = month.replace(day=rng.randint(11, 28))
            story.at(when, SAVE, _save, story, person, when, extra, None,
                     "versement exceptionnel")
        month = add_months(month, 1)


def _save(story: _Story, person: _Person, date: dt.date, amount: Money, key: str | None,
          reference: str) -> None:
    savings.add_saving(story.session, story.club, member_code=person.code, date=date,
                       amount=amount, reference=reference, key=key, today=story.today)


def _leave(story: _Story, person: _Person, date: dt.date, settlement: str) -> None:
    """Pay the leaver from the bank if the cash allows it, else transfer the share."""
    session, club = story.session, story.club
    value = positions(session, club, date).by_code()[person.code].value
    cash = account_balance(session, club.book_id, chart.BANK_ACCOUNT, date)
    if settlement == "payout" and value + RESERVE > cash:
        settlement = "transfer"
    to = None
    if settlement == "transfer":
        newcomer = story.people[-1]
        to = newcomer.code if newcomer.joined <= date else story.people[0].code
    members.leave(session, club, code=person.code, date=date, settlement=settlement, to=to,
                  today=story.today)


def _plan_charges(story: _Story) -> None:
    """Bank fees every month, dues every year, interest every 31 December, until today."""
    rng = story.rng
    fee = Money(rng.randint(150, 450))
    dues = Money(rng.randint(4, 12) * 1_000)
    dues_month = add_months(story.founded.replace(day=1), rng.randint(1, 3)).month
    month = story.founded.replace(day=1)
    while month <= story.today:
        day = month.replace(day=28)
        if day >= story.founded:
            story.at(day, CHARGE, _expense, story, day, fee, "bank_fees",
                     "Frais de tenue de compte")
        if month.month == dues_month and month > story.founded:
            when = month.replace(day=15)
            story.at(when, FLOW, _expense, story, when, dues, "dues",
                     f"Cotisation {story.identity.region} {when.year}")
        if month.month == 12:
            interest = Money(rng.randint(50, 2_500))
            end = month.replace(day=31)
            story.at(end, YEAR_END, _income, story, end, interest, "Intérêts créditeurs")
        if month.month == 1 and month.year > story.founded.year:
            fee += Money(rng.choice((0, 0, 10, 20)))  # the bank's yearly price rise
        month = add_months(month, 1)
    for year in range(story.founded.year, story.last_closed + 1):
        story.at(dt.date(year, 12, 31), CLOSE, _close, story, year)


def _expense(story: _Story, date: dt.date, amount: Money, kind: str, label: str) -> None:
    flows.add_expense(story.session, story.club, date=date, amount=amount, kind=kind,
                      label=label, today=story.today)


def _income(story: _Story, date: dt.date, amount: Money, label: str) -> None:
    flows.add_income(story.session, story.club, date=date, amount=amount, kind="bank_interest",
                     label=label, today=story.today)


def _close(story: _Story, year: int) -> None:
    bookkeeping.close(story.session, story.club, year, today=story.today,
                      on_closed=story.on_closed)


def _extend(story: _Story, date: dt.date) -> None:
    lifecycle.extend(story.session, story.club, date, late=False, today=story.today)


def _plan_prorogation(story: _Story) -> None:
    """The AG of year 5 extends the club, a few months before the investment phase ends."""
    date = story.phase1_end - dt.timedelta(days=story.rng.randint(45, 150))
    story.at(date, FLOW, _extend, story, date)


# -- investments ----------------------------------------------------------------------------------

def _plan_investments(story: _Story) -> None:
    """8–12 projects spread over phase 1, half equity half loans; the last one is the loan
    that falls behind, one stake pays dividends, one project fails."""
    rng = story.rng
    count = rng.randint(8, 12)
    loans_count = count // 2 + rng.choice((-1, 0, 1))
    kinds = ["loan"] * (loans_count - 1) + ["equity"] * (count - loans_count)
    rng.shuffle(kinds)
    kinds.append("loan")
    projects = [_Project(kind, "plain") for kind in kinds]
    projects[-1].role = "arrears"
    equities = [p for p in projects if p.kind == "equity"]
    # The oldest stake is the one whose tax lock-up ends first: it is sold back if that
    # happened by today.
    equities[0].role = "sale"
    equities[1].role = "dividend"
    if rng.randint(1, 2) == 1:
        equities[2].role = "fail"
    else:
        next(p for p in projects if p.kind == "loan").role = "fail"
    story.projects = projects
    # One slot per project between months 8 and 52 of phase 1, a date drawn in each slot.
    first, last = 8, 52
    width = (last - first) / count
    for i, project in enumerate(projects):
        offset = first + int(i * width) + rng.randint(0, max(int(width) - 1, 0))
        date = add_months(story.founded, offset).replace(day=rng.randint(3, 25))
        story.at(date, INVEST, _invest, story, project, date)


def _new_investee(story: _Story, project: _Project) -> Investee:
    rng = story.rng
    pattern, sector, allowed = rng.choice(PROJECTS)
    forms: tuple[str, ...] = allowed
    if project.kind == "equity":
        forms = tuple(f for f in allowed if f in EQUITY_FORMS) or EQUITY_FORMS
    name = pattern.format(place=rng.choice(CLUB_PLACES))
    base = _slugify(name)[:36].rstrip("-")
    slug, n = base, 1
    while slug in story.investee_slugs:
        n += 1
        slug = f"{base}-{n}"
    story.investee_slugs.add(slug)
    form = rng.choice(forms)
    return investments.add_investee(story.session, story.club, slug=slug, name=name,
                                    legal_form=form, siren=random_siren(rng, story.sirens),
                                    sector=sector,
                                    capital=_capital(rng, form) if project.kind == "equity"
                                    else None)


def _capital(rng: random.Random, form: str) -> Money:
    # Large enough that 8,000 € stays under the strictest cap (25 % of an SARL).
    low = 40 if form == "SARL" else 25
    return Money(rng.randint(low, 150) * 100_000)


def _invest(story: _Story, project: _Project, date: dt.date) -> None:
    """Finance the project if the cash allows at least 1,000 €, else try again next month."""
    rng = story.rng
    available = investments.bank_balance(story.session, story.club, date) - RESERVE
    wanted = _hundreds(rng, 10, 80) if project.kind == "equity" else _hundreds(rng, 10, 50)
    amount = min(wanted, Money(available.cents // 10_000 * 10_000))
    if amount < Money(100_000):
        later = add_months(date, 1)
        if later < story.phase1_end - dt.timedelta(days=30):
            story.at(later, INVEST, _invest, story, project, later)
        return
    project.investee = _new_investee(story, project)
    project.date = date
    if project.kind == "equity":
        _subscribe(story, project, date, amount)
    else:
        _lend(story, project, date, amount)
    _plan_jobs(story, project, date)


def _subscribe(story: _Story, project: _Project, date: dt.date, amount: Money) -> None:
    rng, session, club, today = story.rng, story.session, story.club, story.today
    investee = project.investee
    assert investee is not None
    unit = Money.parse(rng.choice(("10", "16", "20", "25", "50", "100")))
    shares = amount.cents // unit.cents
    result = investments.subscribe(session, club, investee, date=date, shares=shares,
                                   unit_price=unit, today=today)
    project.number, project.shares, project.cost = result.number, shares, unit * shares
    if project.role == "dividend":
        # A dividend every June from the second year after the subscription, most years.
        for year in range(date.year + 2, story.today.year + 1):
            if year == date.year + 2 or rng.randint(1, 5) > 1:
                when = dt.date(year, 6, rng.randint(10, 28))
                amount = Money(project.cost.cents * rng.randint(2, 6) // 100)
                story.at(when, FLOW, investments.dividend, session, club, investee, date=when,
                         amount=amount, today=today)
    elif project.role == "fail":
        # Trouble shows at the next closing (impaired), the company is liquidated the next
        # spring (written off).
        impaired_on = dt.date(date.year + 1, 12, 31)
        impairment = Money(project.cost.cents * rng.randint(50, 80) // 100)
        story.at(impaired_on, YEAR_END, investments.impair, session, club, investee,
                 date=impaired_on, amount=impairment, reverse=False, today=today)
        written_on = dt.date(date.year + 2, rng.randint(3, 6), 15)
        story.at(written_on, FLOW, investments.write_off, session, club, investee,
                 date=written_on, today=today)
    elif project.role == "sale":
        # The founders buy the stake back once the IR-PME lock-up is over.
        sold_on = max(policy.lock_up_end(date) + dt.timedelta(days=rng.randint(30, 120)),
                      story.phase1_end)
        price = Money(project.cost.cents * rng.randint(100, 125) // 100)
        if investee.legal_form in policy.NOMINAL_ONLY_FORMS:
            # A cooperative repays its parts at nominal (domain.md §3.1): no gain. The draw is
            # kept so that the rest of the story stays the same.
            price = project.cost
        story.at(sold_on, FLOW, investments.dispose, session, club, investee, date=sold_on,
                 shares=shares, proceeds=price, kind="sale", today=today)


def _lend(story: _Story, project: _Project, date: dt.date, amount: Money) -> None:
    """An honour loan, usually at 0 %; repayments queued instalment by instalment."""
    rng = story.rng
    assert project.investee is not None
    arrears = project.role == "arrears"
    quarterly = not arrears and rng.randint(1, 10) <= 3
    rate = Decimal(rng.choice(("0", "0", "0", "0", "0.01", "0.02")))
    if quarterly:
        instalments, deferral = rng.randint(8, 16), rng.randint(0, 2)
    else:
        instalments, deferral = rng.choice((24, 36, 48)), rng.randint(0, 2 if arrears else 6)
    if arrears:
        # Long enough to still be running in the autumn of last year, when it falls behind.
        needed = _months(date, dt.date(story.last_closed + 1, 6, 30)) - deferral
        instalments = max(instalments, needed)
    result = loans.grant(story.session, story.club, project.investee, date=date,
                         principal=amount, instalments=instalments, deferral=deferral,
                         rate=rate, method="annuity" if rate and rng.randint(1, 2) == 1
                         else "linear", frequency="quarterly" if quarterly else "monthly",
                         today=story.today)
    project.number, project.cost = result.number, amount
    rows = _schedule(story, project.number, date)
    if project.role == "fail":
        # At least one instalment stays unpaid: a short quarterly loan (8 rows) would
        # otherwise be fully repaid before its write-off, which the service rightly refuses.
        # The draw is kept as it was so that every other club stays the same.
        paid = min(rng.randint(4, 10), len(rows) - 1)
        last_paid = _plan_repayments(story, project.number, rows[:paid], punctual=70)
        written_on = add_months(last_paid, rng.randint(8, 12))
        story.at(written_on, FLOW, loans.write_off, story.session, story.club, project.number,
                 date=written_on, today=story.today)
    elif arrears:
        # Nothing paid from September of last year: more than 30 days late at the closing.
        stop = dt.date(story.last_closed, 9, 1)
        _plan_repayments(story, project.number, [r for r in rows if r.due < stop], punctual=95)
        when = dt.date(story.last_closed + 1, 2, rng.randint(5, 25))
        story.at(when, FLOW, _reschedule, story, project.number, when)
    else:
        _plan_repayments(story, project.number, rows, punctual=85)


def _schedule(story: _Story, number: int, as_of: dt.date) -> tuple[schedules.Instalment, ...]:
    investment, investee = loans.get_loan(story.session, story.club, number)
    return loans.view(story.session, investment, investee, as_of).instalments


def _plan_repayments(story: _Story, number: int, rows: Sequence[schedules.Instalment], *,
                     punctual: int) -> dt.date:
    """Each instalment paid on its due date, or 3 to 50 days late; never before an earlier
    payment (operations on a loan are kept in date order). Returns the last payment date."""
    rng = story.rng
    last = dt.date.min
    for row in rows:
        when = row.due
        if rng.randint(1, 100) > punctual:
            when += dt.timedelta(days=rng.randint(3, 50))
        when = max(when, last)
        last = when
        story.at(when, REPAY, loans.repay, story.session, story.club, number, date=when,
                 amount=row.total, today=story.today)
    return last


def _reschedule(story: _Story, number: int, date: dt.date) -> None:
    """The late borrower and the club agree a new, longer schedule, then it is kept."""
    view = loans.reschedule(story.session, story.club, number, date=date,
                            instalments=story.rng.randint(24, 36), today=story.today)
    _plan_repayments(story, number, view.instalments, punctual=100)


def _plan_jobs(story: _Story, project: _Project, date: dt.date) -> None:
    """Jobs reported when financed and at each year end while the project lives."""
    rng = story.rng
    assert project.investee is not None
    investee = project.investee
    created, kept = rng.randint(0, 3), rng.randint(1, 9)
    if investee.legal_form == "EI":
        created, kept = 1, 0
    investments.record_jobs(story.session, investee, date=date, created=created, kept=kept,
                            today=story.today)
    end_year = date.year + 1 if project.role == "fail" else story.last_closed
    for year in range(date.year, end_year + 1):
        created += rng.randint(0, 1)
        kept += rng.choice((-1, 0, 0, 1)) if kept > 1 else 0
        year_end = dt.date(year, 12, 31)
        story.at(year_end, YEAR_END, investments.record_jobs, story.session, investee,
                 date=year_end, created=created, kept=kept, today=story.today)


# -- entry point ----------------------------------------------------------------------------------

def _founding_date(rng: random.Random, today: dt.date) -> dt.date:
    """Six or seven years ago, so that phase 1 (five years) is over and last year is closed."""
    founded = dt.date(today.year - rng.choice((6, 7)), rng.randint(1, 12), rng.randint(1, 28))
    while add_years(founded, 5) > today - dt.timedelta(days=60):
        founded = add_years(founded, -1)
    return founded


def build_demo(session: Session, *, seed: int, index: int, today: dt.date,
               on_closed: bookkeeping.OnClosed | None = None) -> DemoClub:
    """Build demo club ``index`` of ``seed`` in ``session`` (the caller commits), or return the
    existing club of that slug untouched. ``on_closed``: passed to each year's closing
    (``bookkeeping.close``)."""
    rng = demo_rng(seed, index)
    identity = _identity(rng, index)
    existing = session.execute(select(Club).where(Club.slug == identity.slug)).scalar_one_or_none()
    if existing is not None:
        return _summary(session, existing, today, created=False)
    story = _Story(session, rng, today, identity, _founding_date(rng, today))
    story.on_closed = on_closed
    _found(story)
    _plan_members(story)
    _plan_charges(story)
    _plan_prorogation(story)
    _plan_investments(story)
    # One club is one unit of work: its entries are sealed together (ledger.post.deferred)
    # and what the checks read is read once (services.uow); every check still runs.
    with deferred(session):
        story.run()
    return _summary(session, story.club, today, created=True)


def _summary(session: Session, club: Club, today: dt.date, *, created: bool) -> DemoClub:
    count = session.execute(select(func.count()).select_from(Member)
                            .where(Member.club_id == club.id)).scalar_one()
    invested = session.execute(select(func.count()).select_from(Investment)
                               .where(Investment.club_id == club.id)).scalar_one()
    entries = chain_head(session, club.book_id)[0] if created else 0
    return DemoClub(club, club.slug, today.year - 1, int(count), int(invested), entries, created)

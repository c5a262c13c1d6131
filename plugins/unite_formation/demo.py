"""Demo data of the unit: its space, animators and trainer, three cycles with their sessions
and a few registrations. Idempotent: the space by slug, cycles by title, registrations by
address, each created only when missing.

The cycles are those a local training unit of the contract would run (online procedures,
screens at home, welcoming job seekers); dates, places and people are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import services as calendar
from core.demo import contact_by_email
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER
from plugins.unite_formation.models import Cycle, CycleSession, CycleTrainer, Registration
from plugins.unite_formation.services import SessionInput, _meeting_input, paris_instant
from plugins.unite_formation.vocab import CONFIRMED, DRAFT, PUBLISHED, SPACE_KIND, TRAINER

SLUG = "unite-locale-formation"
ANIMATORS = ("camille.martin@example.org", "sophie.lefevre@example.org")
TRAINERS = ("karim.haddad@example.org",)
ORGANISER = "Unité Locale de Formation – Les Clés de l'Avenir"
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoCycle:
    title: str
    theme: str
    public: str
    objectives: str
    programme: str
    capacity: int
    opens: date
    closes: date
    sessions: tuple[tuple[date, time, time, str], ...]
    status: str = PUBLISHED
    price_cents: int = 0
    prerequisites: str = ""
    people: tuple[tuple[str, str, str, str, bool], ...] = ()


PLACE = "Espace E.S.C.A.L.E., 2 rue Jules-Ferry, Villiers-sur-Marne"
CYCLES = (
    DemoCycle(
        "Accompagner les démarches en ligne",
        "numerique",
        "mediateurs",
        "Aider une personne à créer ses comptes, déposer un dossier et suivre ses démarches "
        "sans faire à sa place.",
        "1. Les comptes et l'identité numérique. 2. Les principaux sites (CAF, impôts, France Travail). "
        "3. Accompagner sans faire à la place : posture et limites.",
        12,
        date(2026, 10, 1),
        date(2027, 1, 8),
        (
            (date(2027, 1, 12), time(9, 30), time(12, 30), PLACE),
            (date(2027, 1, 19), time(9, 30), time(12, 30), PLACE),
            (date(2027, 1, 26), time(9, 30), time(12, 30), PLACE),
        ),
        prerequisites="Savoir se servir d'un ordinateur et d'une messagerie.",
        people=(
            ("Farida", "Amrani", "farida.amrani@example.org", "Centre social des Hautes-Noues", True),
            ("Bruno", "Leclerc", "bruno.leclerc@example.org", "Secours populaire", False),
            ("Inès", "Mansouri", "ines.mansouri@example.org", "Conseil Citoyen des Hautes-Noues", True),
        ),
    ),
    DemoCycle(
        "Parents et écrans : en parler en famille",
        "parentalite",
        "parents",
        "Repérer les usages des écrans des enfants et trouver des règles de famille tenables.",
        "1. Ce que font les enfants en ligne. 2. Règles, contrôle parental et dialogue.",
        15,
        date(2026, 11, 2),
        date(2027, 2, 1),
        (
            (date(2027, 2, 3), time(18, 0), time(20, 0), "Médiathèque Jules-Verne, Villiers-sur-Marne"),
            (date(2027, 2, 10), time(18, 0), time(20, 0), "Médiathèque Jules-Verne, Villiers-sur-Marne"),
        ),
    ),
    DemoCycle(
        "Accueillir et orienter un public en insertion",
        "emploi",
        "insertion_emploi",
        "Connaître les dispositifs locaux d'insertion et orienter chaque personne vers le bon interlocuteur.",
        "1. La carte des acteurs locaux. 2. Études de cas.",
        10,
        date(2027, 2, 1),
        date(2027, 3, 15),
        (
            (date(2027, 3, 18), time(14, 0), time(17, 0), PLACE),
            (date(2027, 3, 25), time(14, 0), time(17, 0), PLACE),
        ),
        status=DRAFT,
        price_cents=2000,
    ),
)


def _space(session: Session) -> int:
    space = spaces.ensure_space(
        session,
        SLUG,
        "Unité Locale de Formation",
        SPACE_KIND,
        description="Cycles de formation courts et pratiques pour les bénévoles, les médiateurs, "
        "les professionnels de l'insertion et de l'emploi, et les parents.",
    )
    for email in ANIMATORS:
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, space, ANIMATOR, contact_id=contact.id)
    for email in TRAINERS:
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, space, TRAINER, contact_id=contact.id)
            spaces.add_membership(session, space, MEMBER, contact_id=contact.id)
    return space.id


def _cycle(session: Session, space_id: int, spec: DemoCycle) -> None:
    if (
        session.scalar(select(Cycle.id).where(Cycle.title == spec.title, Cycle.space_id == space_id))
        is not None
    ):
        return
    cycle = Cycle(
        space_id=space_id,
        title=spec.title,
        theme=spec.theme,
        public=spec.public,
        objectives=spec.objectives,
        programme=spec.programme,
        prerequisites=spec.prerequisites,
        capacity=spec.capacity,
        price_cents=spec.price_cents,
        organiser=ORGANISER,
        registration_opens_at=paris_instant(spec.opens, time(9, 0)),
        registration_closes_at=paris_instant(spec.closes, time(18, 0)),
        status=spec.status,
        published_at=CREATED if spec.status == PUBLISHED else None,
        created_at=CREATED,
        updated_at=CREATED,
    )
    session.add(cycle)
    session.flush()
    for email in TRAINERS:
        contact = contact_by_email(session, email)
        if contact is not None:
            session.add(CycleTrainer(cycle_id=cycle.id, contact_id=contact.id))
    for number, (day, starts, ends, place) in enumerate(spec.sessions, start=1):
        data = _meeting_input(cycle, SessionInput(day, starts, ends, place), number)
        meeting = calendar.create_meeting(session, None, data, now=CREATED, add_followups=False)
        session.add(CycleSession(cycle_id=cycle.id, meeting_id=meeting.id))
    for first, last, email, organisation, priority in spec.people:
        contact = contact_by_email(session, email)
        registration = Registration(
            cycle_id=cycle.id,
            first_name=first,
            last_name=last,
            email=email,
            organisation=organisation,
            public_category=spec.public,
            priority_area=priority,
            status=CONFIRMED,
            queued_at=CREATED,
            confirmed_at=CREATED,
            created_at=CREATED,
            contact_id=contact.id if contact is not None else _new_contact(session, first, last, email),
        )
        session.add(registration)
    session.flush()


def _new_contact(session: Session, first: str, last: str, email: str) -> int:
    from core.directory.models import Contact
    from core.directory.normalise import fold

    contact = Contact(
        first_name=first,
        last_name=last,
        email=email,
        consent_listed=False,
        name_key=fold(f"{last} {first}"),
        search_doc=fold(f"{first} {last}"),
        created_at=CREATED,
        updated_at=CREATED,
    )
    session.add(contact)
    session.flush()
    return contact.id


def load(session: Session) -> None:
    """Create the unit's space, people and cycles when missing."""
    space_id = _space(session)
    for spec in CYCLES:
        _cycle(session, space_id, spec)

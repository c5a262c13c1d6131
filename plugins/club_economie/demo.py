"""Demo data of the club: its space and animator, member companies, applications in every
state, meetings, resources and an opinion. Idempotent: everything is looked up by a natural
key before it is created (``reseau demo`` twice leaves the same rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar.models import MEMBERS as MEETING_MEMBERS
from core.calendar.models import Meeting
from core.db import utcnow
from core.demo import contact_by_email, organisation_by_name
from core.directory import services as directory
from core.directory.models import Contact
from core.directory.normalise import name_key
from core.i18n import PARIS
from core.resources import services as resources
from core.resources.models import PUBLIC, Resource
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER, Space
from plugins.club_economie.models import Application, Member, MembershipYear, Opinion
from plugins.club_economie.vocab import (
    ACCEPTED,
    BREAKFAST,
    DECLINED,
    INFO_REQUESTED,
    NEW,
    PLENARY,
    SENT,
    SLUG,
    SPACE_KIND,
    VISIT,
)

ANIMATOR_EMAIL = "julien.roux@example.org"
#: core demo organisations that take part in the club
PARTNERS = (
    "Association des commerçants de Villiers",
    "Chambre de Commerce et d'Industrie du Val-de-Marne",
    "Pôle Emploi – agence de Villiers-sur-Marne",
    "Mission Locale des Portes de la Brie",
    "Val de Brie Insertion",
)


@dataclass(frozen=True)
class DemoCompany:
    name: str
    siret: str
    naf_code: str
    activity: str
    size_band: str
    in_priority_area: bool
    address: str
    first_name: str
    last_name: str
    email: str
    presentation: str
    public: bool


COMPANIES = (
    DemoCompany(
        "Boulangerie des Hautes-Noues",
        "73282932000074",
        "10.71C",
        "Boulangerie-pâtisserie",
        "1-9",
        True,
        "12 place des Hautes-Noues",
        "Rachid",
        "Amrani",
        "rachid.amrani@example.org",
        "Boulangerie de quartier ; accueille des apprentis chaque année.",
        True,
    ),
    DemoCompany(
        "Menuiserie Portes de Paris",
        "35600000000048",
        "16.23Z",
        "Menuiserie",
        "10-49",
        True,
        "5 rue des Artisans",
        "Nathalie",
        "Girard",
        "nathalie.girard@example.org",
        "Menuiserie bois et aluminium ; chantiers d'insertion avec Val de Brie Insertion.",
        True,
    ),
    DemoCompany(
        "Numérique Solidaire Villiers",
        "",
        "62.02A",
        "Conseil en systèmes informatiques",
        "0",
        False,
        "8 avenue de la République",
        "Hugo",
        "Lemaire",
        "hugo.lemaire@example.org",
        "Ateliers numériques pour les commerçants.",
        False,
    ),
)


@dataclass(frozen=True)
class DemoApplication:
    name: str
    siret: str
    status: str
    first_name: str
    last_name: str
    email: str
    activity: str
    age_days: int
    question: str = ""
    message: str = ""


APPLICATIONS = (
    DemoApplication(
        "Traiteur Saveurs du Monde",
        "55203253400646",
        NEW,
        "Fatou",
        "Diallo",
        "fatou.diallo@example.org",
        "Traiteur, cuisine du monde",
        2,
    ),
    DemoApplication(
        "Garage Marne Auto",
        "44306184100047",
        INFO_REQUESTED,
        "Kevin",
        "Morel",
        "kevin.morel@example.org",
        "Réparation automobile",
        9,
        question="Pouvez-vous préciser si vous accueillez des stagiaires ou des apprentis ?",
    ),
    DemoApplication(
        "Projet de conciergerie solidaire",
        "",
        NEW,
        "Samira",
        "Bensaïd",
        "samira.bensaid@example.org",
        "Conciergerie d'entreprise (projet)",
        10,
    ),
    DemoApplication(
        "Société Démo Hors Territoire",
        "",
        DECLINED,
        "Paul",
        "Renard",
        "paul.renard@example.org",
        "Vente en ligne",
        30,
        message="Votre activité n'a pas d'établissement à Villiers-sur-Marne ; le club réunit les "
        "acteurs du territoire.",
    ),
)

MEETINGS = (
    (PLENARY, "Plénière du club des acteurs de l'économie", 21, "Hôtel de ville, salle du conseil"),
    (BREAKFAST, "Petit-déjeuner : recruter dans le quartier", 10, "Boulangerie des Hautes-Noues"),
    (VISIT, "Visite de la Menuiserie Portes de Paris", 35, "5 rue des Artisans"),
)

RESOURCES = (
    (
        "Créer son entreprise : l'accompagnement de la CCI",
        "https://www.cci-paris-idf.fr/",
        "club_economie.dispositif",
    ),
    ("Aides à l'embauche et emplois francs", "https://travail-emploi.gouv.fr/", "club_economie.financement"),
    ("Mission Locale : recruter un jeune", "https://www.mission-locale.fr/", "club_economie.contact"),
    (
        "Guide du créateur d'entreprise (Bpifrance Création)",
        "https://bpifrance-creation.fr/",
        "club_economie.guide",
    ),
)


def _space(session: Session) -> Space:
    space = spaces.ensure_space(
        session,
        SLUG,
        "Club des acteurs de l'économie",
        SPACE_KIND,
        description="Entreprises, commerçants, acteurs de l'emploi, de l'insertion et de la formation : "
        "le club "
        "rassemble le tissu économique de la ville et accompagne les porteurs de projet.",
        pillar="emploi_economie",
    )
    animator = contact_by_email(session, ANIMATOR_EMAIL)
    if animator is not None:
        spaces.add_membership(session, space, ANIMATOR, contact_id=animator.id)
    for name in PARTNERS:
        org = organisation_by_name(session, name)
        if org is not None:
            spaces.add_membership(session, space, MEMBER, organisation_id=org.id)
    return space


def _company(session: Session, space: Space, spec: DemoCompany, now: datetime) -> None:
    org = organisation_by_name(session, spec.name)
    if org is None:
        org = directory.create_organisation(
            session,
            None,
            {
                "name": spec.name,
                "kind": "entreprise",
                "address": spec.address,
                "postcode": "94350",
                "city": "Villiers-sur-Marne",
                "description": spec.activity,
                "pillars": ["emploi_economie"],
            },
        )
    contact = contact_by_email(session, spec.email)
    if contact is None:
        contact = directory.create_contact(
            session,
            None,
            {
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": spec.email,
                "function": "Gérant·e",
                "consent_listed": True,
            },
            now=now,
        )
        directory.set_affiliation(session, None, contact, org, "Gérant·e")
    spaces.add_membership(session, space, MEMBER, organisation_id=org.id)
    spaces.add_membership(session, space, MEMBER, contact_id=contact.id)
    member = session.scalar(
        select(Member).where(Member.space_id == space.id, Member.organisation_id == org.id)
    )
    if member is None:
        member = Member(
            space_id=space.id,
            organisation_id=org.id,
            contact_id=contact.id,
            siret=spec.siret,
            naf_code=spec.naf_code,
            activity=spec.activity,
            size_band=spec.size_band,
            in_priority_area=spec.in_priority_area,
            presentation=spec.presentation,
            joined_on=now.astimezone(PARIS).date().replace(month=1, day=1),
            public=spec.public,
            contact_visible=True,
            email_visible=spec.public,
            updated_at=now,
        )
        session.add(member)
        session.flush()
    year = now.astimezone(PARIS).year
    if (
        session.scalar(
            select(MembershipYear.id).where(
                MembershipYear.member_id == member.id, MembershipYear.year == year
            )
        )
        is None
    ):
        session.add(MembershipYear(member_id=member.id, year=year, recorded_at=now))


def _application(session: Session, space: Space, spec: DemoApplication, now: datetime) -> None:
    if session.scalar(select(Application.id).where(Application.email == spec.email)) is not None:
        return
    created = now - timedelta(days=spec.age_days)
    application = Application(
        space_id=space.id,
        status=spec.status,
        name=spec.name,
        name_key=name_key(spec.name)[:200],
        siret=spec.siret,
        legal_form="projet" if not spec.siret else "sarl",
        activity=spec.activity,
        size_band="0" if not spec.siret else "1-9",
        address="Villiers-sur-Marne",
        postcode="94350",
        city="Villiers-sur-Marne",
        first_name=spec.first_name,
        last_name=spec.last_name,
        email=spec.email,
        contribution="Connaissance du quartier et envie de travailler avec les autres entreprises.",
        expectations="Rencontrer des partenaires et recruter localement.",
        consent_at=created,
        created_at=created,
        updated_at=created,
        waiting_since=created,
    )
    if spec.question:
        application.info_requests = 1
        application.info_question = spec.question
        application.info_requested_at = created + timedelta(days=1)
    if spec.status == DECLINED:
        application.decided_at = created + timedelta(days=3)
        application.decision_message = spec.message
    session.add(application)


def _meetings(session: Session, space: Space, now: datetime) -> dict[str, Meeting]:
    found = {m.title: m for m in session.scalars(select(Meeting).where(Meeting.space_id == space.id))}
    for kind, title, in_days, place in MEETINGS:
        if title in found:
            continue
        day = (now + timedelta(days=in_days)).astimezone(PARIS).date()
        starts = datetime.combine(day, time(8 if kind == BREAKFAST else 18), tzinfo=PARIS).astimezone(UTC)
        meeting = Meeting(
            space_id=space.id,
            kind=kind,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location=place,
            visibility=MEETING_MEMBERS,
            created_at=now,
            updated_at=now,
        )
        session.add(meeting)
        found[title] = meeting
    session.flush()
    return found


def _resources(session: Session, space: Space, now: datetime) -> None:
    titles = set(session.scalars(select(Resource.title).where(Resource.space_id == space.id)))
    for title, url, category in RESOURCES:
        if title not in titles:
            resources.add_link(
                session,
                title=title,
                url=url,
                space_id=space.id,
                visibility=PUBLIC,
                category=category,
                now=now,
            )


def _opinion(session: Session, space: Space, meetings: dict[str, Meeting], now: datetime) -> None:
    title = "Ouvrir un local commercial partagé aux Hautes-Noues"
    if session.scalar(select(Opinion.id).where(Opinion.space_id == space.id, Opinion.title == title)):
        return
    session.add(
        Opinion(
            space_id=space.id,
            kind="proposition",
            title=title,
            status=SENT,
            body="Le club propose à la ville de mettre un local vacant du bailleur à disposition "
            "de créateurs "
            "d'entreprise du quartier, à loyer progressif, avec l'accompagnement de la CCI.",
            meeting_id=meetings[MEETINGS[0][1]].id,
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
    )


def load(session: Session) -> None:
    """Create (or complete) the club's demo data."""
    now = utcnow()
    space = _space(session)
    for company in COMPANIES:
        _company(session, space, company, now)
    for spec in APPLICATIONS:
        _application(session, space, spec, now)
    meetings = _meetings(session, space, now)
    _resources(session, space, now)
    _opinion(session, space, meetings, now)
    session.flush()
    # one accepted application, linked to the first demo company
    first = organisation_by_name(session, COMPANIES[0].name)
    if (
        first is not None
        and session.scalar(select(Application.id).where(Application.status == ACCEPTED)) is None
    ):
        contact = session.scalar(select(Contact).where(Contact.email == COMPANIES[0].email))
        created = now - timedelta(days=60)
        session.add(
            Application(
                space_id=space.id,
                status=ACCEPTED,
                name=COMPANIES[0].name,
                name_key=name_key(COMPANIES[0].name),
                siret=COMPANIES[0].siret,
                legal_form="sarl",
                naf_code=COMPANIES[0].naf_code,
                activity=COMPANIES[0].activity,
                size_band="1-9",
                in_priority_area=True,
                first_name=COMPANIES[0].first_name,
                last_name=COMPANIES[0].last_name,
                email=COMPANIES[0].email,
                consent_at=created,
                created_at=created,
                updated_at=created,
                waiting_since=created,
                decided_at=created + timedelta(days=5),
                organisation_id=first.id,
                contact_id=contact.id if contact else None,
            )
        )

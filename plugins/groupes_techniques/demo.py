"""Demo data: the four groupes techniques of the contract, the two comités de pilotage, their
co-animators and members, their obligations since last year and a history of meetings.

Idempotent: everything is looked up by a natural key (slug, title) before it is created.
Meeting dates are placed in the semesters around today, so the compliance table shows every
status: met, missed, planned, to plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar.invitations import primary_organisations
from core.calendar.models import ActionItem, Attendance, Decision, Meeting, Minutes
from core.demo import contact_by_email, organisation_by_name
from core.directory.models import Contact
from core.i18n import PARIS
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER
from plugins.groupes_techniques.models import GroupProfile, Obligation
from plugins.groupes_techniques.periods import Period, semester_of
from plugins.groupes_techniques.vocab import COMMITTEE_KIND, GROUP_KIND, SEMESTER, YEAR

CO_ANIMATORS = ("camille.martin@example.org", "nadia.benali@example.org")


@dataclass(frozen=True)
class DemoGroup:
    slug: str
    name: str
    kind: str
    pillar: str | None
    description: str
    period: str
    organisations: tuple[str, ...]
    people: tuple[str, ...]
    #: semesters with a meeting, relative to the current one (-3 … 0); 0 is planned or held
    meets: tuple[int, ...]


GROUPS = (
    DemoGroup(
        "gt-lien-social-sante-acces-aux-droits",
        "Groupe technique Lien social, santé et accès aux droits",
        GROUP_KIND,
        "cohesion_sociale",
        "Prévention, santé, accès aux droits et lien social dans le quartier.",
        SEMESTER,
        (
            "Agence Régionale de Santé Île-de-France",
            "Caisse d'Allocations Familiales du Val-de-Marne",
            "Conseil Départemental du Val-de-Marne",
            "Pôle E.S.C.A.L.E.",
            "Conseil Citoyen des Hautes-Noues",
        ),
        ("emilie.chevalier@example.org", "claire.dubois@example.org", "helene.garnier@example.org"),
        (-3, -2, -1, 0),
    ),
    DemoGroup(
        "gt-education-parentalite",
        "Groupe technique Éducation et parentalité",
        GROUP_KIND,
        "cohesion_sociale",
        "Réussite éducative, soutien à la parentalité, coordination des acteurs de l'éducation.",
        SEMESTER,
        (
            "Éducation Nationale – circonscription de Villiers-sur-Marne",
            "Pôle Enfance – Sport – Loisirs",
            "Caisse d'Allocations Familiales du Val-de-Marne",
            "École élémentaire Jean-Renoir",
        ),
        ("marie.lambert@example.org", "claire.dubois@example.org"),
        (-3, -2, 0),
    ),
    DemoGroup(
        "gt-habitat-cadre-de-vie",
        "Groupe technique Habitat et cadre de vie",
        GROUP_KIND,
        "habitat_cadre_de_vie",
        "Gestion urbaine de proximité, peuplement, tranquillité, espaces publics.",
        SEMESTER,
        (
            "Valophis Habitat",
            "Paris Habitat",
            "ICF Habitat La Sablière",
            "Adoma",
            "Conseil Citoyen des Hautes-Noues",
        ),
        ("mehdi.saidi@example.org", "olivier.bernard@example.org"),
        (-3, -2, -1),
    ),
    DemoGroup(
        "gt-developpement-economique",
        "Groupe technique Développement économique",
        GROUP_KIND,
        "emploi_economie",
        "Emploi, insertion, création d'activité et commerce de proximité.",
        SEMESTER,
        (
            "Pôle Emploi – agence de Villiers-sur-Marne",
            "Mission Locale des Portes de la Brie",
            "Val de Brie Insertion",
            "Chambre de Commerce et d'Industrie du Val-de-Marne",
            "Service du développement économique",
        ),
        ("francois.mercier@example.org", "lea.nguyen@example.org", "aicha.traore@example.org"),
        (-2, -1, 0),
    ),
    DemoGroup(
        "comite-pilotage-technique",
        "Comité de pilotage technique",
        COMMITTEE_KIND,
        None,
        "Services de l'État, opérateurs, Département et Région : suivi technique du contrat.",
        SEMESTER,
        (
            "Préfecture du Val-de-Marne",
            "Ville de Villiers-sur-Marne",
            "Conseil Départemental du Val-de-Marne",
            "Conseil Régional Île-de-France",
            "Pôle Emploi – agence de Villiers-sur-Marne",
            "Caisse d'Allocations Familiales du Val-de-Marne",
        ),
        ("isabelle.moreau@example.org", "helene.garnier@example.org"),
        (-3, -2, -1, 0),
    ),
    DemoGroup(
        "comite-pilotage-politique",
        "Comité de pilotage politique",
        COMMITTEE_KIND,
        None,
        "Présidé par le Maire et le Préfet : tous les signataires et le Conseil Citoyen.",
        YEAR,
        (
            "Préfecture du Val-de-Marne",
            "Ville de Villiers-sur-Marne",
            "Conseil Régional Île-de-France",
            "Conseil Départemental du Val-de-Marne",
            "Procureure de la République – Tribunal judiciaire de Créteil",
            "Agence Régionale de Santé Île-de-France",
            "Caisse d'Allocations Familiales du Val-de-Marne",
            "Pôle Emploi – agence de Villiers-sur-Marne",
            "Caisse des Dépôts et Consignations",
            "Office Français de l'Immigration et de l'Intégration",
            "Éducation Nationale – circonscription de Villiers-sur-Marne",
            "Valophis Habitat",
            "Paris Habitat",
            "ICF Habitat La Sablière",
            "Adoma",
            "Chambre de Commerce et d'Industrie du Val-de-Marne",
            "Conseil Citoyen des Hautes-Noues",
        ),
        ("isabelle.moreau@example.org", "yacine.belkacem@example.org"),
        (-2, 0),
    ),
)


def _semesters_around(today: date) -> dict[int, Period]:
    current = semester_of(today)
    previous = [current]
    for _i in range(3):
        last = previous[-1]
        previous.append(Period(last.year, 1) if last.half == 2 else Period(last.year - 1, 2))
    return {-i: p for i, p in enumerate(previous)}


def load(session: Session, now: datetime | None = None) -> None:
    """Create (or complete) the groups, their members, obligations and meetings."""
    now = now or datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    semesters = _semesters_around(today)
    animators = [c for c in (contact_by_email(session, e) for e in CO_ANIMATORS) if c is not None]
    for spec in GROUPS:
        space = spaces.ensure_space(
            session, spec.slug, spec.name, spec.kind, description=spec.description, pillar=spec.pillar
        )
        if session.get(GroupProfile, space.id) is None:
            session.add(GroupProfile(space_id=space.id, theme=""))
        if session.scalar(select(Obligation.id).where(Obligation.space_id == space.id).limit(1)) is None:
            session.add(
                Obligation(
                    space_id=space.id,
                    period=spec.period,
                    min_meetings=1,
                    valid_from=date(today.year - 1, 1, 1),
                )
            )
        for contact in animators:
            spaces.add_membership(session, space, ANIMATOR, contact_id=contact.id)
        for name in spec.organisations:
            organisation = organisation_by_name(session, name)
            if organisation is not None:
                spaces.add_membership(session, space, MEMBER, organisation_id=organisation.id)
        people = [c for c in (contact_by_email(session, e) for e in spec.people) if c is not None]
        for contact in people:
            spaces.add_membership(session, space, MEMBER, contact_id=contact.id)
        for relative in spec.meets:
            period = semesters[relative]
            _meeting(session, space.id, spec.name, period, now, [*animators, *people])
    session.flush()


def _meeting(
    session: Session, space_id: int, group_name: str, period: Period, now: datetime, people: list[Contact]
) -> None:
    """One meeting of the group in ``period``; a past one has minutes, a decision, an action
    item and its attendance (each person on behalf of their main organisation)."""
    half = "1er semestre" if period.half == 1 else "2e semestre"
    title = f"{group_name} – {half} {period.year}"  # French, whatever the language: a natural key
    if (
        session.scalar(select(Meeting.id).where(Meeting.space_id == space_id, Meeting.title == title))
        is not None
    ):
        return
    day = period.start + timedelta(days=75)
    starts = datetime.combine(day, time(14, 0)).replace(tzinfo=PARIS).astimezone(UTC)
    meeting = Meeting(
        space_id=space_id,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Hôtel de ville de Villiers-sur-Marne, salle du conseil",
        kind="core.comite" if "Comité" in group_name else "core.reunion",
    )
    session.add(meeting)
    session.flush()
    if meeting.ends_at > now:
        return
    body = "Point d'étape sur les actions du groupe et les prochaines échéances."
    session.add(
        Minutes(meeting_id=meeting.id, body=body, body_html=f"<p>{body}</p>", published_at=meeting.ends_at)
    )
    session.add(Decision(meeting_id=meeting.id, position=0, text="Les actions en cours sont reconduites."))
    session.add(
        ActionItem(
            meeting_id=meeting.id,
            space_id=space_id,
            title="Transmettre le bilan des actions au chef de projet",
            owner_contact_id=people[0].id if people else None,
            due_on=day + timedelta(days=30),
        )
    )
    organisations = primary_organisations(session, [c.id for c in people])
    for contact in people:
        session.add(
            Attendance(
                meeting_id=meeting.id, contact_id=contact.id, organisation_id=organisations.get(contact.id)
            )
        )

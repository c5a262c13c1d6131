"""Demo data of the platform: its space and members, a dozen services of the local poles with
three quarters of figures, meetings and proposals. Idempotent: everything is found by a natural
key (slug, name, title, period) before it is created.

The services are those the municipal poles and operators of the contract actually run
(conservatoire, médiathèque, sports school…); their descriptions, prices and figures are
invented for the demonstration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar.models import Meeting
from core.demo import contact_by_email, organisation_by_name
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER, Space
from plugins.acces_services import periods
from plugins.acces_services import services as svc
from plugins.acces_services.models import Proposal, Service
from plugins.acces_services.vocab import PROVIDER, SPACE_KIND, SUBMITTED

SLUG = "plateforme-acces-services"
PARIS = ZoneInfo("Europe/Paris")
CITY = "Villiers-sur-Marne"
POSTCODE = "94350"

ANIMATORS = ("isabelle.moreau@example.org", "camille.martin@example.org")
PROVIDERS = ("thomas.petit@example.org", "sophie.lefevre@example.org", "lea.nguyen@example.org")
PEOPLE_MEMBERS = ("yacine.belkacem@example.org", "francois.mercier@example.org")
MEMBER_ORGANISATIONS = (
    "Ville de Villiers-sur-Marne",
    "Pôle Politique de la ville et Vie associative",
    "Pôle Culture",
    "Pôle Enfance – Sport – Loisirs",
    "Pôle E.S.C.A.L.E.",
    "Conseil Citoyen des Hautes-Noues",
    "Conseil Local de la Vie Associative et du Bénévolat",
    "Pôle Emploi – agence de Villiers-sur-Marne",
    "Mission Locale des Portes de la Brie",
    "Caisse d'Allocations Familiales du Val-de-Marne",
)


@dataclass(frozen=True)
class DemoService:
    name: str
    organisation: str
    category: str
    description: str
    publics: tuple[str, ...]
    band: str
    figures: tuple[tuple[str, int, int], ...]
    age_min: int | None = None
    age_max: int | None = None
    free: bool = False
    social: str = ""
    prices: str = ""
    hours: str = ""
    registration: str = ""
    access: tuple[str, ...] = ("moteur",)


SERVICES: tuple[DemoService, ...] = (
    DemoService(
        "Conservatoire municipal de musique, danse et théâtre",
        "Pôle Culture",
        "arts",
        "Cours d'instrument, de chant, de danse et de théâtre, pratiques collectives et orchestres.",
        ("enfants", "adolescents", "adultes"),
        "commune",
        (("2025-T2", 410, 33), ("2025-T3", 395, 34), ("2025-T4", 402, 36)),
        age_min=5,
        social="Huit tranches selon le quotient familial, de 45 € à 420 € l'année.",
        prices="Tarif annuel selon la discipline ; location d'instrument possible.",
        hours="Du lundi au samedi, de 10 h à 20 h.",
        registration="Inscriptions en juin et en septembre à l'accueil du conservatoire, avec un "
        "justificatif de domicile et l'attestation de quotient familial.",
    ),
    DemoService(
        "Médiathèque municipale",
        "Pôle Culture",
        "culture",
        "Livres, bandes dessinées, films, musique, presse, jeux vidéo ; heures du conte et ateliers.",
        ("petite_enfance", "enfants", "adolescents", "adultes", "seniors", "familles"),
        "commune",
        (("2025-T2", 1720, 310), ("2025-T3", 1650, 315), ("2025-T4", 1800, 360)),
        free=True,
        prices="Inscription et prêt gratuits pour les habitants de la commune.",
        hours="Mardi, jeudi et vendredi de 14 h à 19 h ; mercredi et samedi de 10 h à 18 h.",
        registration="Sur place, avec une pièce d'identité et un justificatif de domicile.",
        access=("moteur", "visuel", "auditif"),
    ),
    DemoService(
        "Saison culturelle : spectacles et concerts",
        "Pôle Culture",
        "culture",
        "Spectacles de théâtre, de danse, concerts et séances jeune public tout au long de l'année.",
        ("enfants", "adolescents", "adultes", "familles"),
        "commune",
        (("2025-T3", 960, 86), ("2025-T4", 1210, 121)),
        social="Tarif réduit à 5 € pour les quotients familiaux les plus bas et les moins de 18 ans.",
        prices="De 5 € à 18 € la place.",
        registration="Billetterie en ligne ou à l'accueil du Pôle Culture.",
        access=("moteur", "auditif"),
    ),
    DemoService(
        "Ateliers d'arts plastiques",
        "Pôle Culture",
        "arts",
        "Dessin, peinture, modelage : ateliers hebdomadaires encadrés par des artistes.",
        ("enfants", "adolescents", "adultes"),
        "proche",
        (("2025-T2", 145, 19), ("2025-T3", 132, 18), ("2025-T4", 150, 24)),
        age_min=6,
        social="Tarif selon le quotient familial, de 30 € à 180 € l'année.",
        registration="À l'accueil du Pôle Culture en septembre, dans la limite des places.",
    ),
    DemoService(
        "École municipale des sports",
        "Pôle Enfance – Sport – Loisirs",
        "sport",
        "Découverte de plusieurs sports dans l'année, le mercredi, encadrée par les éducateurs sportifs "
        "de la ville.",
        ("enfants",),
        "proche",
        (("2025-T2", 330, 92), ("2025-T3", 310, 87), ("2025-T4", 325, 96)),
        age_min=4,
        age_max=12,
        social="Tarif selon le quotient familial, de 20 € à 120 € l'année.",
        hours="Le mercredi, de 9 h à 12 h et de 14 h à 17 h.",
        registration="Au guichet unique de la mairie ou sur le portail famille.",
    ),
    DemoService(
        "Accueils de loisirs",
        "Pôle Enfance – Sport – Loisirs",
        "loisirs",
        "Accueil des enfants les mercredis et pendant les vacances : activités, sorties, repas.",
        ("enfants", "familles"),
        "quartier",
        (("2025-T2", 620, 198), ("2025-T3", 890, 290), ("2025-T4", 600, 186)),
        age_min=3,
        age_max=11,
        social="Prix de journée selon le quotient familial.",
        registration="Réservation sur le portail famille, au plus tard dix jours avant.",
    ),
    DemoService(
        "Piscine municipale",
        "Pôle Enfance – Sport – Loisirs",
        "sport",
        "Bassin sportif et bassin d'apprentissage ; cours de natation pour enfants et adultes.",
        ("enfants", "adolescents", "adultes", "seniors", "familles"),
        "commune",
        (("2025-T2", 2100, 250), ("2025-T3", 3400, 372), ("2025-T4", 1900, 220)),
        prices="Entrée 3,50 € ; réduit 2 € (moins de 18 ans, demandeurs d'emploi).",
        hours="Horaires affichés selon les périodes scolaires et les vacances.",
        access=("moteur", "visuel"),
    ),
    DemoService(
        "Stages sportifs des vacances",
        "Pôle Enfance – Sport – Loisirs",
        "loisirs",
        "Stages d'une semaine pendant les vacances scolaires : multisport, escalade, sports collectifs.",
        ("enfants", "adolescents"),
        "proche",
        (("2025-T3", 180, 61), ("2025-T4", 95, 30)),
        age_min=8,
        age_max=16,
        social="Tarif selon le quotient familial, de 10 € à 60 € la semaine.",
        registration="Au guichet unique, trois semaines avant chaque période de vacances.",
    ),
    DemoService(
        "Espace emploi",
        "Pôle E.S.C.A.L.E.",
        "emploi",
        "Accueil, ordinateurs en libre accès, aide aux candidatures et ateliers de recherche d'emploi.",
        ("jeunes_adultes", "adultes"),
        "quartier",
        (("2025-T2", 540, 302), ("2025-T3", 480, 271), ("2025-T4", 515, 296)),
        free=True,
        hours="Du lundi au vendredi, de 9 h à 12 h 30 et de 13 h 30 à 17 h 30.",
        registration="Sans rendez-vous aux heures d'ouverture.",
        access=("moteur", "auditif", "mental"),
    ),
    DemoService(
        "Point d'accès au droit",
        "Pôle E.S.C.A.L.E.",
        "droits",
        "Permanences d'information juridique, d'écrivain public et de médiation.",
        ("adultes", "seniors", "familles"),
        "quartier",
        (("2025-T2", 260, 151), ("2025-T3", 240, 139), ("2025-T4", 275, 160)),
        free=True,
        registration="Sur rendez-vous à l'accueil d'E.S.C.A.L.E. ou par téléphone.",
    ),
    DemoService(
        "Accompagnement des 16-25 ans vers l'emploi",
        "Mission Locale des Portes de la Brie",
        "emploi",
        "Conseil, orientation, formation et accès à l'emploi pour les jeunes ; Contrat d'engagement jeune.",
        ("adolescents", "jeunes_adultes"),
        "commune",
        (("2025-T2", 310, 124), ("2025-T3", 295, 118), ("2025-T4", 330, 139)),
        age_min=16,
        age_max=25,
        free=True,
        registration="Premier rendez-vous à prendre par téléphone ou à l'accueil.",
    ),
    DemoService(
        "Permanence d'accès aux droits de la CAF",
        "Caisse d'Allocations Familiales du Val-de-Marne",
        "droits",
        "Aide aux démarches : prestations familiales, logement, prime d'activité.",
        ("adultes", "familles"),
        "quartier",
        (("2025-T3", 190, 98), ("2025-T4", 210, 112)),
        free=True,
        registration="Sur rendez-vous pris sur le site de la CAF ou à E.S.C.A.L.E.",
    ),
)


@dataclass(frozen=True)
class DemoMeeting:
    title: str
    starts: datetime
    description: str


MEETINGS: tuple[DemoMeeting, ...] = (
    DemoMeeting(
        "Plateforme d'accès aux services – lancement",
        datetime(2025, 10, 7, 14, 0, tzinfo=PARIS),
        "Installation de la plateforme, méthode de recueil des chiffres de fréquentation.",
    ),
    DemoMeeting(
        "Plateforme d'accès aux services – analyse des chiffres",
        datetime(2026, 1, 20, 14, 0, tzinfo=PARIS),
        "Lecture des indicateurs des deux derniers trimestres ; premières propositions.",
    ),
    DemoMeeting(
        "Plateforme d'accès aux services – bilan annuel",
        datetime(2027, 1, 19, 14, 0, tzinfo=PARIS),
        "Bilan de l'année et réponses des élus.",
    ),
)


def _ensure_members(session: Session, space: Space) -> None:
    for email in ANIMATORS:
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, space, ANIMATOR, contact_id=contact.id)
    for email in PROVIDERS:
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, space, PROVIDER, contact_id=contact.id)
    for email in PEOPLE_MEMBERS:
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, space, MEMBER, contact_id=contact.id)
    for name in MEMBER_ORGANISATIONS:
        organisation = organisation_by_name(session, name)
        if organisation is not None:
            spaces.add_membership(session, space, MEMBER, organisation_id=organisation.id)


def _ensure_services(session: Session, space_id: int, system: svc.Access) -> dict[str, Service]:
    settings = svc.get_settings(session, space_id)
    existing = {s.name: s for s in session.scalars(select(Service).where(Service.space_id == space_id))}
    for spec in SERVICES:
        organisation = organisation_by_name(session, spec.organisation)
        if spec.name in existing or organisation is None:
            continue
        values = {
            "organisation_id": organisation.id,
            "name": spec.name,
            "category": spec.category,
            "description": spec.description,
            "public_details": "",
            "age_min": spec.age_min,
            "age_max": spec.age_max,
            "address": "",
            "postcode": POSTCODE,
            "city": CITY,
            "latitude": None,
            "longitude": None,
            "opening_hours": spec.hours,
            "is_free": spec.free,
            "price_details": spec.prices,
            "has_social_pricing": bool(spec.social),
            "social_pricing_details": spec.social,
            "registration": spec.registration,
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
            "website": "",
            "is_published": True,
            "distance_band": spec.band,
            "publics": list(spec.publics),
            "accessibility": list(spec.access),
        }
        # listed since its first reported period, so the demo owes every period after it
        listed = datetime.combine(periods.parse_period(spec.figures[0][0]).start, time(9), PARIS)
        existing[spec.name] = svc.save_service(session, system, None, settings, values, now=listed)
    for spec in SERVICES:
        service = existing.get(spec.name)
        if service is None:
            continue
        for code, total, neighbourhood in spec.figures:
            if svc.find_figure(session, service.id, code) is None:
                svc.add_figure(
                    session, system, None, service, periods.parse_period(code), total, neighbourhood, "demo"
                )
    return existing


def _ensure_meetings(session: Session, space_id: int) -> dict[str, Meeting]:
    found = {m.title: m for m in session.scalars(select(Meeting).where(Meeting.space_id == space_id))}
    for spec in MEETINGS:
        if spec.title not in found:
            meeting = Meeting(
                space_id=space_id,
                kind="core.reunion",
                title=spec.title,
                description=spec.description,
                starts_at=spec.starts,
                ends_at=spec.starts.replace(hour=16, minute=30),
                location="Hôtel de ville, salle du conseil",
            )
            session.add(meeting)
            found[spec.title] = meeting
    session.flush()
    return found


def _ensure_proposals(
    session: Session, space_id: int, services: dict[str, Service], meetings: dict[str, Meeting]
) -> None:
    titles = set(session.scalars(select(Proposal.title).where(Proposal.space_id == space_id)))
    analysis = meetings[MEETINGS[1].title]
    conservatoire = services.get(SERVICES[0].name)
    if "Rapprocher le conservatoire du quartier" not in titles and conservatoire is not None:
        proposal = svc.save_proposal(
            session,
            space_id,
            None,
            {
                "kind": "proposition",
                "title": "Rapprocher le conservatoire du quartier",
                "body": "Les habitants du quartier représentent moins de 10 % des élèves du conservatoire "
                "contre 23 % de la population. La plateforme propose des cours d'éveil musical dans les "
                "écoles du quartier "
                "et une information sur la tarification sociale distribuée avec les dossiers d'inscription.",
                "is_public": True,
                "meeting_id": analysis.id,
            },
            [conservatoire.id],
        )
        svc.change_status(session, proposal, None, SUBMITTED, "", analysis.ends_at)
    piscine = services.get(SERVICES[6].name)
    if "Étude des freins à la pratique sportive des adolescents" not in titles and piscine is not None:
        svc.save_proposal(
            session,
            space_id,
            None,
            {
                "kind": "etude",
                "title": "Étude des freins à la pratique sportive des adolescents",
                "body": "Questionnaire auprès des collégiens du quartier avec le Conseil Citoyen : coût, "
                "horaires, "
                "transport, information.",
                "is_public": False,
                "meeting_id": None,
            },
            [piscine.id],
        )


def load(session: Session) -> None:
    """Create (or complete) the platform's demo data."""
    space = spaces.ensure_space(
        session,
        SLUG,
        "Plateforme d'accès aux institutions, aux services et aux prestations",
        SPACE_KIND,
        description="Comprendre pourquoi les habitants du quartier fréquentent moins les équipements et les "
        "services, et proposer des politiques ciblées, en commençant par la culture, les arts, le "
        "sport et les loisirs.",
        pillar="cohesion_sociale",
    )
    _ensure_members(session, space)
    system = svc.Access(space_id=space.id, signed_in=True, is_admin=True, manage=True, view_indicators=True)
    services = _ensure_services(session, space.id, system)
    meetings = _ensure_meetings(session, space.id)
    _ensure_proposals(session, space.id, services, meetings)
    session.flush()

"""Demo data: the contract's real partner bodies, invented people, a few accounts.

Idempotent: everything is looked up by a natural key (name key, email, slug) before it is
created, so ``reseau demo`` can run any number of times. People are invented, with
``example.org`` addresses; the organisations are the contract's real signatories and actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import services as accounts
from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.directory.normalise import contact_name_key, name_key
from core.directory.search import organisation_document
from core.directory.services import refresh_contact_documents
from core.plugins import Hooks
from core.spaces import services as spaces
from core.spaces.models import ANIMATOR, MEMBER

DEMO_PASSWORD = "reseau-demo-2026"
ADMIN_EMAIL = "admin@example.org"

CITY = "Villiers-sur-Marne"
POSTCODE = "94350"


@dataclass(frozen=True)
class DemoOrg:
    name: str
    kind: str
    signatory: bool = False
    pillars: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    commitments: str = ""
    description: str = ""
    city: str = CITY
    postcode: str = POSTCODE
    website: str = ""


ALL_PILLARS = ("cohesion_sociale", "emploi_economie", "habitat_cadre_de_vie")

ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg("Préfecture du Val-de-Marne", "etat", True, ALL_PILLARS, ("discriminations", "egalite_femmes_hommes", "jeunesse"),
            "Mobiliser les crédits spécifiques et le droit commun de l'État sur le quartier prioritaire ; co-animer les instances avec la Ville par la déléguée du préfet.",
            "Représente l'État dans le Contrat de ville.", "Créteil", "94000", "https://www.val-de-marne.gouv.fr"),
    DemoOrg("Ville de Villiers-sur-Marne", "collectivite", True, ALL_PILLARS, ("discriminations", "egalite_femmes_hommes", "jeunesse"),
            "Porter le Contrat de ville, animer le réseau des partenaires par son équipe projet et mobiliser ses services.",
            "Commune pilote du Contrat de ville.", website="https://www.villiers-sur-marne.fr"),
    DemoOrg("Conseil Régional Île-de-France", "collectivite", True, ("emploi_economie", "habitat_cadre_de_vie"),
            commitments="Soutenir la formation, le développement économique et l'aménagement du quartier.", city="Saint-Ouen-sur-Seine", postcode="93400"),
    DemoOrg("Conseil Départemental du Val-de-Marne", "collectivite", True, ("cohesion_sociale",), ("jeunesse",),
            "Mobiliser l'action sociale, la protection maternelle et infantile et l'insertion.", city="Créteil", postcode="94000"),
    DemoOrg("Procureure de la République – Tribunal judiciaire de Créteil", "etat", True, ("cohesion_sociale",),
            commitments="Contribuer à la prévention de la délinquance et à l'accès au droit.", city="Créteil", postcode="94000"),
    DemoOrg("Agence Régionale de Santé Île-de-France", "etat", True, ("cohesion_sociale",),
            commitments="Réduire les inégalités de santé ; soutenir l'atelier santé ville.", city="Saint-Denis", postcode="93200"),
    DemoOrg("Caisse d'Allocations Familiales du Val-de-Marne", "operateur_public", True, ("cohesion_sociale",), ("jeunesse",),
            "Accompagner les familles, la parentalité et l'accès aux droits.", city="Créteil", postcode="94000"),
    DemoOrg("Pôle Emploi – agence de Villiers-sur-Marne", "operateur_public", True, ("emploi_economie",), ("jeunesse",),
            "Renforcer l'accompagnement des demandeurs d'emploi du quartier."),
    DemoOrg("Caisse des Dépôts et Consignations", "operateur_public", True, ("emploi_economie", "habitat_cadre_de_vie"),
            commitments="Financer l'ingénierie, le développement économique et le renouvellement urbain.", city="Paris", postcode="75007"),
    DemoOrg("Office Français de l'Immigration et de l'Intégration", "operateur_public", True, ("cohesion_sociale",), ("discriminations",),
            "Favoriser l'intégration des primo-arrivants.", city="Créteil", postcode="94000"),
    DemoOrg("Éducation Nationale – circonscription de Villiers-sur-Marne", "etat", True, ("cohesion_sociale",), ("jeunesse",),
            "Mobiliser le réseau d'éducation prioritaire et la réussite éducative."),
    DemoOrg("Valophis Habitat", "bailleur_social", True, ("habitat_cadre_de_vie",),
            commitments="Gestion urbaine de proximité, sur-entretien et clauses d'insertion.", city="Saint-Maur-des-Fossés", postcode="94100"),
    DemoOrg("Paris Habitat", "bailleur_social", True, ("habitat_cadre_de_vie",),
            commitments="Entretien, tranquillité et animation des résidences.", city="Paris", postcode="75012"),
    DemoOrg("ICF Habitat La Sablière", "bailleur_social", True, ("habitat_cadre_de_vie",),
            commitments="Amélioration du cadre de vie des résidences.", city="Paris", postcode="75013"),
    DemoOrg("Adoma", "bailleur_social", True, ("habitat_cadre_de_vie", "cohesion_sociale"),
            commitments="Accompagnement social des résidents du foyer.", description="Foyer de travailleurs."),
    DemoOrg("Chambre de Commerce et d'Industrie du Val-de-Marne", "operateur_public", True, ("emploi_economie",),
            commitments="Accompagner la création et le développement des entreprises.", city="Créteil", postcode="94000"),
    DemoOrg("Conseil Citoyen des Hautes-Noues", "instance_citoyenne", True, ALL_PILLARS, ("jeunesse",),
            "Porter la parole des habitants dans toutes les instances.", "Instance de participation des habitants du quartier."),
    DemoOrg("Mission Locale des Portes de la Brie", "association", False, ("emploi_economie",), ("jeunesse",),
            description="Accompagnement des 16-25 ans vers l'emploi et la formation."),
    DemoOrg("Val de Brie Insertion", "association", False, ("emploi_economie",), description="Insertion par l'activité économique."),
    DemoOrg("Les Clés de l'Avenir", "association", False, ("emploi_economie", "cohesion_sociale"),
            description="Référent pédagogique de l'Unité Locale de Formation."),
    DemoOrg("Pôle E.S.C.A.L.E.", "service_municipal", False, ("cohesion_sociale", "emploi_economie"),
            description="Structure multiservices : espace emploi, accès aux droits, médiation."),
    DemoOrg("Pôle Politique de la ville et Vie associative", "service_municipal", False, ALL_PILLARS,
            description="L'équipe projet (MOUS) du Contrat de ville."),
    DemoOrg("Service du développement économique", "service_municipal", False, ("emploi_economie",),
            description="Anime le Club des Acteurs de l'Économie."),
    DemoOrg("Pôle Culture", "service_municipal", False, ("cohesion_sociale",), description="Conservatoire, médiathèque, saison culturelle."),
    DemoOrg("Pôle Enfance – Sport – Loisirs", "service_municipal", False, ("cohesion_sociale",), ("jeunesse",)),
    DemoOrg("Association des commerçants de Villiers", "association", False, ("emploi_economie",)),
    DemoOrg("Conseil Local de la Vie Associative et du Bénévolat", "instance_citoyenne", False, ("cohesion_sociale",)),
    DemoOrg("École élémentaire Jean-Renoir", "autre", False, ("cohesion_sociale",), ("jeunesse",)),
)


@dataclass(frozen=True)
class DemoPerson:
    first: str
    last: str
    email: str
    organisation: str
    function: str
    account: bool = False
    admin: bool = False


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("Alice", "Administratrice", ADMIN_EMAIL, "Ville de Villiers-sur-Marne", "Équipe ville – administration de Réseau", True, True),
    DemoPerson("Camille", "Martin", "camille.martin@example.org", "Pôle Politique de la ville et Vie associative", "Cheffe de projet Contrat de ville", True, True),
    DemoPerson("Nadia", "Benali", "nadia.benali@example.org", "Préfecture du Val-de-Marne", "Déléguée du préfet", True),
    DemoPerson("Julien", "Roux", "julien.roux@example.org", "Service du développement économique", "Chargé du développement économique", True),
    DemoPerson("Sophie", "Lefèvre", "sophie.lefevre@example.org", "Pôle E.S.C.A.L.E.", "Responsable de l'espace emploi", True),
    DemoPerson("Karim", "Haddad", "karim.haddad@example.org", "Les Clés de l'Avenir", "Formateur", True),
    DemoPerson("Isabelle", "Moreau", "isabelle.moreau@example.org", "Ville de Villiers-sur-Marne", "Directrice générale adjointe", True),
    DemoPerson("Thomas", "Petit", "thomas.petit@example.org", "Pôle Culture", "Responsable des publics", True),
    DemoPerson("Léa", "Nguyen", "lea.nguyen@example.org", "Mission Locale des Portes de la Brie", "Conseillère emploi"),
    DemoPerson("Mehdi", "Saïdi", "mehdi.saidi@example.org", "Valophis Habitat", "Chargé de gestion urbaine de proximité"),
    DemoPerson("Claire", "Dubois", "claire.dubois@example.org", "Caisse d'Allocations Familiales du Val-de-Marne", "Conseillère territoriale"),
    DemoPerson("Hélène", "Garnier", "helene.garnier@example.org", "Conseil Départemental du Val-de-Marne", "Responsable de l'espace départemental des solidarités"),
    DemoPerson("Yacine", "Belkacem", "yacine.belkacem@example.org", "Conseil Citoyen des Hautes-Noues", "Membre du bureau"),
    DemoPerson("Marie", "Lambert", "marie.lambert@example.org", "Éducation Nationale – circonscription de Villiers-sur-Marne", "Coordonnatrice REP"),
    DemoPerson("François", "Mercier", "francois.mercier@example.org", "Pôle Emploi – agence de Villiers-sur-Marne", "Directeur d'agence"),
    DemoPerson("Aïcha", "Traoré", "aicha.traore@example.org", "Val de Brie Insertion", "Encadrante technique"),
    DemoPerson("Pierre", "Fontaine", "pierre.fontaine@example.org", "Chambre de Commerce et d'Industrie du Val-de-Marne", "Conseiller création d'entreprise"),
    DemoPerson("Sandrine", "Rousseau", "sandrine.rousseau@example.org", "Association des commerçants de Villiers", "Présidente"),
    DemoPerson("Émilie", "Chevalier", "emilie.chevalier@example.org", "Agence Régionale de Santé Île-de-France", "Chargée de mission santé"),
    DemoPerson("Olivier", "Bernard", "olivier.bernard@example.org", "Paris Habitat", "Responsable de secteur"),
)


@cache
def _demo_password_hash() -> str:
    """One argon2 hash for every demo account (they share the password; hashing is slow on purpose)."""
    return hash_password(DEMO_PASSWORD)


def organisation_by_name(session: Session, name: str) -> Organisation | None:
    """A demo organisation, found by its name key."""
    return session.scalar(select(Organisation).where(Organisation.name_key == name_key(name)))


def contact_by_email(session: Session, email: str) -> Contact | None:
    """A demo contact, found by address (plugins use it to pick animators and members)."""
    return session.scalar(select(Contact).where(Contact.email == email))


def _ensure_organisation(session: Session, spec: DemoOrg) -> Organisation:
    org = organisation_by_name(session, spec.name)
    if org is None:
        org = Organisation(
            name=spec.name,
            name_key=name_key(spec.name),
            kind=spec.kind,
            is_signatory=spec.signatory,
            commitments=spec.commitments,
            description=spec.description,
            city=spec.city,
            postcode=spec.postcode,
            website=spec.website,
        )
        tags = [f"pillar:{p}" for p in spec.pillars] + [f"theme:{t}" for t in spec.themes]
        org.tags = [OrganisationTag(tag=t) for t in tags]
        org.search_doc = organisation_document(org)
        session.add(org)
        session.flush()
    return org


def _ensure_person(session: Session, spec: DemoPerson) -> Contact:
    contact = contact_by_email(session, spec.email)
    org = organisation_by_name(session, spec.organisation)
    if contact is None:
        contact = Contact(
            first_name=spec.first,
            last_name=spec.last,
            name_key=contact_name_key(spec.first, spec.last),
            email=spec.email,
            function=spec.function,
            consent_listed=True,
        )
        session.add(contact)
        session.flush()
        if org is not None:
            session.add(Affiliation(contact_id=contact.id, organisation_id=org.id, role=spec.function))
        # the same search document as the directory services build
        refresh_contact_documents(session, [contact])
    if spec.account and accounts.get_user_by_email(session, spec.email) is None:
        user = accounts.create_user(
            session, spec.email, None, f"{spec.first} {spec.last}", is_admin=spec.admin, contact_id=contact.id
        )
        user.password_hash = _demo_password_hash()
    return contact


def load(session: Session, hooks: Hooks) -> None:
    """Create (or complete) the demo data, then let every plugin add its own."""
    for org_spec in ORGANISATIONS:
        _ensure_organisation(session, org_spec)
    for person in PEOPLE:
        _ensure_person(session, person)
    # a core space that exists whatever the plugins: the project team
    team = spaces.ensure_space(
        session,
        "equipe-projet",
        "Équipe projet du Contrat de ville",
        "core.espace",
        description="L'équipe MOUS et la déléguée du préfet : coordination du Contrat de ville.",
    )
    for email in ("camille.martin@example.org", "nadia.benali@example.org"):
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, team, ANIMATOR, contact_id=contact.id)
    for email in ("isabelle.moreau@example.org",):
        contact = contact_by_email(session, email)
        if contact is not None:
            spaces.add_membership(session, team, MEMBER, contact_id=contact.id)
    session.flush()
    hooks.demo_data(session)


def demo_user(session: Session, email: str) -> User | None:
    """A demo account by address."""
    return accounts.get_user_by_email(session, email)

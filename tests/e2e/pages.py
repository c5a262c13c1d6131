"""The pages the accessibility checks visit: one :class:`PageCheck` per page, data only.

To cover a new page (a plugin's, typically), add a line to :data:`PAGES` (or to a plugin's list
appended to it): a short name (the test id), the path, or a function that finds it in the live
database through :class:`Lookup`, and the role that opens it (a key of
``tests.e2e.conftest.ACCOUNTS``, or ``None`` for an anonymous visitor). ``submit`` names a
form's submit button to click with the form left empty, so that the page is checked with its
errors shown; ``plugin`` skips the line when that plugin is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Lookup:
    """Finds ids in the live database for the paths of :data:`PAGES`."""

    db: Session
    #: made by the test session: ``meeting_id``, ``rsvp_path``, ``space_slug``…
    fixtures: dict[str, Any]

    def scalar(self, sql: str, **params: Any) -> Any:
        """The first column of the first row of ``sql`` (a required value: fails when absent)."""
        value = self.db.execute(text(sql), params).scalar()
        assert value is not None, f"nothing found for {sql!r} {params}"
        return value

    def first_id(self, table: str, where: str = "true", **params: Any) -> int:
        """The smallest id of ``table`` matching ``where``."""
        return int(self.scalar(f"SELECT min(id) FROM {table} WHERE {where}", **params))


Path = str | Callable[[Lookup], str]


@dataclass(frozen=True)
class PageCheck:
    """One page to check: ``name`` (test id), ``path``, ``role`` that opens it."""

    name: str
    path: Path
    role: str | None = None
    #: the text of a submit button to press with the form empty (to check the errors shown)
    submit: str | None = None
    #: the plugin the page belongs to (the check is skipped when it is not installed)
    plugin: str | None = None
    #: the HTTP status the page answers with (before any submission)
    status: int = 200

    def resolve(self, lookup: Lookup) -> str:
        """The path to open."""
        return self.path if isinstance(self.path, str) else self.path(lookup)


def _org(lookup: Lookup) -> str:
    org_id = lookup.first_id("organisations", "name = :name", name="Valophis Habitat")
    return f"/annuaire/organisations/{org_id}"


def _contact(lookup: Lookup) -> str:
    return f"/annuaire/contacts/{lookup.first_id('contacts', 'email = :e', e='claire.dubois@example.org')}"


def _meeting(suffix: str = "") -> Callable[[Lookup], str]:
    return lambda lookup: f"/agenda/reunions/{lookup.fixtures['meeting_id']}{suffix}"


def _month_of_meeting(lookup: Lookup) -> str:
    return f"/agenda/?month={lookup.fixtures['meeting_month']}"


def _week_of_meeting(lookup: Lookup) -> str:
    return f"/agenda/semaine?date={lookup.fixtures['meeting_date']}"


def _space(suffix: str = "") -> Callable[[Lookup], str]:
    return lambda lookup: f"/espaces/{lookup.fixtures['space_slug']}{suffix}"


def _resources(suffix: str) -> Callable[[Lookup], str]:
    return lambda lookup: "/ressources" + suffix.format(**lookup.fixtures)


def _user(lookup: Lookup) -> str:
    return f"/admin/comptes/{lookup.first_id('users', 'email = :e', e='julien.roux@example.org')}"


def _service(suffix: str = "") -> Callable[[Lookup], str]:
    return lambda lookup: f"/acces_services/services/{lookup.first_id('acces_services_services')}{suffix}"


def _service_indicators(lookup: Lookup) -> str:
    return f"/acces_services/indicateurs/services/{lookup.first_id('acces_services_services')}"


def _proposal(lookup: Lookup) -> str:
    return f"/acces_services/propositions/{lookup.first_id('acces_services_proposals')}"


CORE_PAGES: list[PageCheck] = [
    PageCheck("home", "/"),
    PageCheck("home-signed-in", "/", "animator"),
    PageCheck("login", "/compte/connexion"),
    PageCheck("login-errors", "/compte/connexion", submit="Se connecter"),
    PageCheck("privacy", "/donnees-personnelles"),
    PageCheck("accessibility-statement", "/accessibilite"),
    PageCheck("profile", "/compte/profil", "partner"),
    PageCheck("password-errors", "/compte/mot-de-passe", "partner", submit="Changer le mot de passe"),
    PageCheck("directory", "/annuaire/"),
    PageCheck("directory-search", "/annuaire/?q=habitat"),
    PageCheck("organisation", _org),
    PageCheck("organisation-signed-in", _org, "animator"),
    PageCheck(
        "organisation-new-errors", "/annuaire/organisations/nouvelle", "animator", submit="Enregistrer"
    ),
    PageCheck("contacts", "/annuaire/contacts", "animator"),
    PageCheck("contact", _contact, "animator"),
    PageCheck("contact-new-errors", "/annuaire/contacts/nouveau", "animator", submit="Enregistrer"),
    PageCheck("directory-import", "/annuaire/import", "admin"),
    PageCheck("spaces", "/espaces/"),
    PageCheck("space", _space(), "animator"),
    PageCheck("space-members", _space("/membres"), "animator"),
    PageCheck("calendar-month", _month_of_meeting, "animator"),
    PageCheck("calendar-week", _week_of_meeting, "animator"),
    PageCheck("calendar-list", "/agenda/liste", "animator"),
    PageCheck("calendar-public", "/agenda/liste"),
    PageCheck("meeting", _meeting(), "animator"),
    PageCheck("meeting-invitee", _meeting(), "partner"),
    PageCheck("meeting-new", "/agenda/reunions/nouvelle", "animator"),
    PageCheck("meeting-new-errors", "/agenda/reunions/nouvelle", "animator", submit="Planifier la réunion"),
    PageCheck("meeting-edit", _meeting("/modifier"), "animator"),
    PageCheck("meeting-agenda", _meeting("/ordre-du-jour"), "animator"),
    PageCheck("meeting-invitations", _meeting("/invitations"), "animator"),
    PageCheck("meeting-attendance", _meeting("/presences"), "animator"),
    PageCheck("meeting-minutes", _meeting("/compte-rendu"), "animator"),
    PageCheck("meeting-minutes-edit", _meeting("/compte-rendu/modifier"), "animator"),
    PageCheck("meeting-decisions", _meeting("/decisions"), "animator"),
    PageCheck("meeting-actions", _meeting("/actions"), "animator"),
    PageCheck("meeting-cancel", _meeting("/annuler"), "animator"),
    PageCheck("series-new", "/agenda/series/nouvelle", "animator"),
    PageCheck("my-actions", "/agenda/mes-actions", "animator"),
    PageCheck("rsvp", lambda lookup: lookup.fixtures["rsvp_path"]),
    PageCheck("rsvp-invalid", "/agenda/reponse/not-a-valid-token", status=400),
    PageCheck("feed-subscribe", "/ical/abonnement", "partner"),
    PageCheck("resources", "/ressources/", "animator"),
    PageCheck("resources-of-meeting", _resources("/?reunion={meeting_id}"), "animator"),
    PageCheck(
        "resource-document-errors", _resources("/nouveau-document?reunion={meeting_id}"), "animator",
        submit="Envoyer le document",
    ),
    PageCheck("resource-link", _resources("/nouveau-lien?espace={space_id}"), "animator"),
    PageCheck("mail-preferences", "/courriels/preferences", "partner"),
    PageCheck("admin", "/admin/", "admin"),
    PageCheck("admin-users", "/admin/comptes", "admin"),
    PageCheck("admin-user", _user, "admin"),
    PageCheck("admin-user-new-errors", "/admin/comptes/nouveau", "admin", submit="Créer le compte"),
    PageCheck("admin-audit", "/admin/journal", "admin"),
    PageCheck("admin-outbox", "/courriels/", "admin"),
    PageCheck("admin-mail-rules", "/courriels/regles", "admin"),
    PageCheck("not-found", "/annuaire/organisations/999999", status=404),
]

ACCES_SERVICES_PAGES: list[PageCheck] = [
    PageCheck(f"acces_services-{name}", path, role, submit, "acces_services")
    for name, path, role, submit in [
        ("catalogue", "/acces_services/", None, None),
        ("guide", "/acces_services/guide", None, None),
        ("service", _service(), None, None),
        ("service-edit", _service("/modifier"), "acces_animator", None),
        ("service-new-errors", "/acces_services/services/nouveau", "acces_animator", "Enregistrer"),
        ("figures", "/acces_services/frequentation", "acces_animator", None),
        ("figure-new-errors", "/acces_services/frequentation/saisie", "acces_animator", "Enregistrer"),
        ("figures-import", "/acces_services/frequentation/import", "acces_animator", None),
        ("indicators", "/acces_services/indicateurs", "acces_animator", None),
        ("service-indicators", _service_indicators, "acces_animator", None),
        ("dashboard", "/acces_services/plateforme", "acces_animator", None),
        ("proposals", "/acces_services/propositions", "acces_animator", None),
        ("proposal", _proposal, "acces_animator", None),
        ("proposal-new-errors", "/acces_services/propositions/nouvelle", "acces_animator", "Enregistrer"),
        ("settings", "/acces_services/parametres", "acces_animator", None),
    ]
]

def _group(suffix: str = "") -> Callable[[Lookup], str]:
    return lambda lookup: (
        f"/groupes_techniques/groupes/{lookup.first_id('spaces', 'slug = :s', s='gt-habitat-cadre-de-vie')}{suffix}"
    )


GROUPES_TECHNIQUES_PAGES: list[PageCheck] = [
    PageCheck(f"groupes_techniques-{name}", path, role, submit, "groupes_techniques")
    for name, path, role, submit in [
        ("compliance", "/groupes_techniques/", "animator", None),
        ("compliance-print", "/groupes_techniques/conformite/imprimer", "animator", None),
        ("group", _group(), "admin", None),
        ("group-new-errors", "/groupes_techniques/groupes/nouveau", "admin", "Créer"),
        ("poll-new-errors", _group("/sondages/nouveau"), "animator", "Envoyer le sondage aux membres"),
        ("report", "/groupes_techniques/bilan", "admin", None),
    ]
]


def _club(table: str, suffix: str) -> Callable[[Lookup], str]:
    return lambda lookup: f"/club_economie/{suffix.format(id=lookup.first_id(table))}"


_OPEN_CYCLE = "status = 'published' AND registration_opens_at <= now() AND registration_closes_at > now()"


def _cycle(prefix: str, suffix: str = "") -> Callable[[Lookup], str]:
    return lambda lookup: (
        f"/unite_formation/{prefix}/{lookup.first_id('unite_formation_cycles', _OPEN_CYCLE)}{suffix}"
    )


def _attendance(lookup: Lookup) -> str:
    cycle_id = lookup.first_id("unite_formation_cycles", _OPEN_CYCLE)
    session_id = lookup.first_id("unite_formation_sessions", "cycle_id = :c", c=cycle_id)
    return f"/unite_formation/gestion/{cycle_id}/seances/{session_id}/emargement"


def _questionnaire(lookup: Lookup) -> str:
    # the signed link a registered person receives by mail (signed with the live server's key)
    from plugins.unite_formation.links import EVALUATION, Links
    from tests.e2e.server import SECRET_KEY

    registration_id = lookup.first_id("unite_formation_registrations")
    return f"/unite_formation/questionnaire/{Links(SECRET_KEY, str).token(EVALUATION, registration_id)}"


def _club_answer(lookup: Lookup) -> str:
    # the signed link of the animators' latest question, as mailed to the applicant
    from datetime import UTC, datetime

    from plugins.club_economie.links import make_token
    from tests.e2e.server import SECRET_KEY

    application_id = lookup.first_id("club_economie_applications", "status = 'info_requested'")
    number = lookup.scalar("SELECT info_requests FROM club_economie_applications WHERE id = :i", i=application_id)
    token = make_token(SECRET_KEY, application_id, int(number), now=datetime.now(UTC))
    return f"/club_economie/candidater/reponse/{token}"


def _cancel_link(lookup: Lookup) -> str:
    # the page behind the link of the confirmation mail (the check only opens it: nothing is cancelled)
    from plugins.unite_formation.links import CANCEL, Links
    from tests.e2e.server import SECRET_KEY

    registration_id = lookup.first_id("unite_formation_registrations")
    return f"/unite_formation/inscription/annuler/{Links(SECRET_KEY, str).token(CANCEL, registration_id)}"


CLUB_ECONOMIE_PAGES: list[PageCheck] = [
    PageCheck(f"club_economie-{name}", path, role, submit, "club_economie")
    for name, path, role, submit in [
        ("index", "/club_economie/", None, None),
        ("apply", "/club_economie/candidater", None, None),
        ("apply-errors", "/club_economie/candidater", None, "Envoyer ma candidature"),
        ("answer", _club_answer, None, None),
        ("answer-errors", _club_answer, None, "Envoyer ma réponse"),
        ("queue", "/club_economie/candidatures", "club_animator", None),
        ("application", _club("club_economie_applications", "candidatures/{id}"), "club_animator", None),
        ("directory", "/club_economie/annuaire", "club_animator", None),
        ("public-directory", "/club_economie/entreprises", None, None),
        ("member-card", _club("club_economie_members", "membres/{id}/fiche"), "club_animator", None),
        ("years", "/club_economie/adhesions", "club_animator", None),
        ("resources", "/club_economie/ressources", "club_animator", None),
        ("opinions", "/club_economie/avis", "club_animator", None),
        ("opinion", _club("club_economie_opinions", "avis/{id}"), "club_animator", None),
        ("opinion-new", "/club_economie/avis/nouveau", "club_animator", None),
    ]
]

UNITE_FORMATION_PAGES: list[PageCheck] = [
    PageCheck(f"unite_formation-{name}", path, role, submit, "unite_formation")
    for name, path, role, submit in [
        ("catalogue", "/unite_formation/", None, None),
        ("cycle", _cycle("cycles"), None, None),
        ("registration-errors", _cycle("cycles"), None, "M'inscrire au cycle"),
        ("manage", "/unite_formation/gestion", "partner", None),
        ("manage-trainer", "/unite_formation/gestion", "trainer", None),
        ("cycle-new-errors", "/unite_formation/gestion/nouveau", "partner", "Enregistrer"),
        ("cycle-admin", _cycle("gestion"), "partner", None),
        ("cycle-edit", _cycle("gestion", "/modifier"), "partner", None),
        ("attendance", _attendance, "trainer", None),
        ("results", _cycle("gestion", "/questionnaire"), "partner", None),
        ("statistics", "/unite_formation/statistiques", "partner", None),
        ("questionnaire", _questionnaire, None, None),
        ("cancel-link", _cancel_link, None, None),
    ]
]

#: every page checked; plugins' lists are appended here as the plugins land
PAGES: list[PageCheck] = [
    *CORE_PAGES,
    *ACCES_SERVICES_PAGES,
    *GROUPES_TECHNIQUES_PAGES,
    *CLUB_ECONOMIE_PAGES,
    *UNITE_FORMATION_PAGES,
]

"""The plugin's logic: plain functions over a SQLAlchemy Session (no web framework here).

Routes parse the request, call one of these functions and render. Every function that writes
also appends to the audit log in the same transaction, and raises a French
:class:`ServiceError` (with the form field it concerns) instead of writing anything doubtful.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, exists, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.accounts.permissions import roles_in_space
from core.audit import services as audit
from core.calendar.models import CANCELLED, Meeting
from core.db import utcnow
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold
from core.i18n import PARIS, language
from core.i18n import gettext as _
from core.spaces.models import Space, SpaceMembership
from plugins.acces_services import periods
from plugins.acces_services.models import (
    DEFAULT_SHARE,
    SERVICE_FIELDS,
    SETTINGS_FIELDS,
    Figure,
    PlatformSettings,
    Proposal,
    Service,
    ServiceTag,
    proposal_services,
)
from plugins.acces_services.periods import Period, PeriodError
from plugins.acces_services.vocab import (
    ACCESSIBILITY,
    ANSWERED,
    BAND_ORDER,
    CATEGORIES,
    DISTANCE_BANDS,
    EDIT_SERVICES,
    ENTER_FIGURES,
    MANAGE,
    PERIOD_KINDS,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    PROVIDER,
    PUBLICS,
    QUARTER,
    SPACE_KIND,
    STATUS_TRANSITIONS,
    SUBMITTED,
    VIEW_INDICATORS,
)

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.declarations import Registry

#: largest count accepted for one service and one period
MAX_COUNT = 10_000_000


class ServiceError(ValueError):
    """Why a change was refused, in French, with the form field it concerns (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# =============================================================================================
# The platform, its settings and who may do what
# =============================================================================================


def platform_space(db: Session) -> Space | None:
    """The platform's space: the first open space of kind ``acces_services.plateforme``."""
    return db.scalar(
        select(Space).where(Space.kind == SPACE_KIND, Space.closed_at.is_(None)).order_by(Space.id).limit(1)
    )


def default_settings(space_id: int) -> PlatformSettings:
    """The settings a platform has until its animators change them (not added to the session)."""
    return PlatformSettings(
        space_id=space_id,
        neighbourhood_name="Les Hautes-Noues",
        neighbourhood_share=DEFAULT_SHARE,
        period_kind=QUARTER,
        centre_latitude=None,
        centre_longitude=None,
        near_km=0.5,
        walk_km=1.2,
        city_km=4.0,
    )


def get_settings(db: Session, space_id: int) -> PlatformSettings:
    """The platform's settings (defaults when never saved)."""
    return db.get(PlatformSettings, space_id) or default_settings(space_id)


def update_settings(db: Session, space_id: int, actor: User, values: dict[str, Any]) -> PlatformSettings:
    """Save the platform's settings (audited) and recompute the distance of located services."""
    share = values["neighbourhood_share"]
    if share is None or not Decimal(0) < Decimal(share) < Decimal(100):
        raise ServiceError(
            _("La part de la population doit être comprise entre 0 et 100 %."), "neighbourhood_share"
        )
    if values["period_kind"] not in PERIOD_KINDS:
        raise ServiceError(_("Choisissez un type de période."), "period_kind")
    if not 0 < values["near_km"] < values["walk_km"] < values["city_km"]:
        raise ServiceError(_("Les limites des distances doivent être croissantes et positives."), "near_km")
    _check_coordinates(values["centre_latitude"], values["centre_longitude"], "centre_latitude")
    row = db.get(PlatformSettings, space_id)
    if row is None:
        row = default_settings(space_id)
        db.add(row)
    values = {k: values[k] for k in SETTINGS_FIELDS}
    values["neighbourhood_share"] = Decimal(share).quantize(Decimal("0.01"))
    changes = audit.diff(row, values)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_by_id = actor.id
    db.flush()
    if changes.keys() & {"centre_latitude", "centre_longitude", "near_km", "walk_km", "city_km"}:
        recompute_distances(db, row)
    audit.record(
        db,
        actor,
        "acces_services.settings.updated",
        row,
        object_id=space_id,
        summary=_("Paramètres de la plateforme modifiés"),
        changes=changes,
    )
    return row


@dataclass(frozen=True)
class Access:
    """What the current user may do on the platform, computed once per request."""

    space_id: int | None = None
    signed_in: bool = False
    is_admin: bool = False
    manage: bool = False
    view_indicators: bool = False
    #: organisations whose services the user maintains as a provider
    service_org_ids: frozenset[int] = frozenset()
    #: organisations whose figures the user enters as a provider
    figure_org_ids: frozenset[int] = frozenset()

    def _in_platform(self, service: Service) -> bool:
        return self.is_admin or service.space_id == self.space_id

    def can_edit_service(self, service: Service) -> bool:
        """Animators and admins edit every service; a provider only its organisations' ones."""
        return self._in_platform(service) and (self.manage or service.organisation_id in self.service_org_ids)

    def can_enter_figures(self, service: Service) -> bool:
        """Animators and admins enter every figure; a provider only its organisations' ones."""
        return self._in_platform(service) and (self.manage or service.organisation_id in self.figure_org_ids)

    @property
    def can_create_services(self) -> bool:
        return self.space_id is not None and (self.manage or bool(self.service_org_ids))

    @property
    def enters_figures(self) -> bool:
        return self.space_id is not None and (self.manage or bool(self.figure_org_ids))

    def service_orgs(self) -> frozenset[int] | None:
        """The organisations the user may file services under (``None``: any)."""
        return None if self.manage else self.service_org_ids

    def figure_orgs(self) -> frozenset[int] | None:
        """The organisations whose figures the user may enter (``None``: any)."""
        return None if self.manage else self.figure_org_ids


def access_for(db: Session, registry: Registry, user: User | None, space: Space | None) -> Access:
    """The user's rights on the platform (one query for the roles, one for the affiliations)."""
    if user is None:
        return Access()
    if space is None:
        return Access(
            signed_in=True, is_admin=user.is_admin, manage=user.is_admin, view_indicators=user.is_admin
        )
    roles = roles_in_space(db, user, space.id)

    def granted(permission: str) -> bool:
        return user.is_admin or bool(roles & set(registry.permissions[permission].roles))

    org_ids: frozenset[int] = frozenset()
    if user.contact_id is not None and (granted(EDIT_SERVICES) or granted(ENTER_FIGURES)):
        org_ids = frozenset(
            db.scalars(select(Affiliation.organisation_id).where(Affiliation.contact_id == user.contact_id))
        )
    return Access(
        space_id=space.id,
        signed_in=True,
        is_admin=user.is_admin,
        manage=granted(MANAGE),
        view_indicators=granted(VIEW_INDICATORS),
        service_org_ids=org_ids if granted(EDIT_SERVICES) else frozenset(),
        figure_org_ids=org_ids if granted(ENTER_FIGURES) else frozenset(),
    )


def organisations_for(db: Session, org_ids: frozenset[int] | None) -> list[Organisation]:
    """The organisations a service may be filed under, by name (all of them when ``None``)."""
    stmt = select(Organisation)
    if org_ids is not None:
        stmt = stmt.where(Organisation.id.in_(org_ids))
    return sorted(db.scalars(stmt), key=lambda o: o.name_key)


def providers_by_organisation(
    db: Session, space_id: int, organisation_ids: Iterable[int]
) -> dict[int, list[Contact]]:
    """The providers of the platform affiliated to each organisation (who to remind, who to call)."""
    ids = set(organisation_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(Affiliation.organisation_id, Contact)
        .join(Contact, Contact.id == Affiliation.contact_id)
        .join(
            SpaceMembership,
            and_(
                SpaceMembership.contact_id == Contact.id,
                SpaceMembership.space_id == space_id,
                SpaceMembership.role == PROVIDER,
            ),
        )
        .where(Affiliation.organisation_id.in_(ids), Contact.anonymised_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name)
    ).all()
    found: dict[int, list[Contact]] = {}
    for org_id, contact in rows:
        found.setdefault(org_id, []).append(contact)
    return found


# =============================================================================================
# Distances
# =============================================================================================

_EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in metres (haversine; plenty for a few kilometres)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


def band_for(metres: int, settings: PlatformSettings) -> str:
    """The distance band of a place ``metres`` away from the neighbourhood's centre."""
    km = metres / 1000
    if km <= settings.near_km:
        return "quartier"
    if km <= settings.walk_km:
        return "proche"
    if km <= settings.city_km:
        return "commune"
    return "eloigne"


def _check_coordinates(lat: float | None, lon: float | None, field_name: str) -> None:
    if (lat is None) != (lon is None):
        raise ServiceError(_("Indiquez la latitude et la longitude, ou aucune des deux."), field_name)
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError(_("Ces coordonnées n'existent pas."), field_name)


def resolve_distance(
    settings: PlatformSettings, lat: float | None, lon: float | None, chosen: str | None
) -> tuple[int | None, str]:
    """(metres, band): computed from coordinates when the centre is known, else the chosen band."""
    _check_coordinates(lat, lon, "latitude")
    if lat is not None and lon is not None and settings.has_centre:
        assert settings.centre_latitude is not None and settings.centre_longitude is not None
        metres = distance_m(settings.centre_latitude, settings.centre_longitude, lat, lon)
        return metres, band_for(metres, settings)
    if chosen in DISTANCE_BANDS:
        return None, str(chosen)
    raise ServiceError(
        _("Choisissez la distance depuis le quartier (ou indiquez les coordonnées du lieu)."), "distance_band"
    )


def recompute_distances(db: Session, settings: PlatformSettings) -> int:
    """Recompute the distance of every located service of the platform; returns how many changed."""
    changed = 0
    located = db.scalars(
        select(Service).where(Service.space_id == settings.space_id, Service.latitude.is_not(None))
    )
    for service in located:
        new: tuple[int | None, str]
        if not settings.has_centre:
            new = (None, service.distance_band)
        else:
            new = resolve_distance(settings, service.latitude, service.longitude, service.distance_band)
        if (service.distance_m, service.distance_band) != new:
            service.distance_m, service.distance_band = new
            changed += 1
    db.flush()
    return changed


# =============================================================================================
# The catalogue
# =============================================================================================


def search_document(service: Service, organisation: Organisation, tags: Iterable[str]) -> str:
    """The accent-free text the full-text index covers (labels in French, whatever the request)."""
    with language("fr"):
        labels = [str(CATEGORIES.get(service.category, ""))]
        for tag in tags:
            kind, _sep, code = tag.partition(":")
            if kind == "public":
                labels.append(str(PUBLICS.get(code, "")))
    parts = [
        service.name,
        organisation.name,
        *labels,
        service.public_details,
        service.description,
        service.address,
        service.city,
    ]
    # "E.S.C.A.L.E." must be found as "escale" too
    parts += [p.replace(".", "") for p in (service.name, organisation.name) if "." in p]
    return fold(" ".join(p for p in parts if p))


def save_service(
    db: Session,
    access: Access,
    actor: User | None,
    settings: PlatformSettings,
    values: dict[str, Any],
    service: Service | None = None,
    *,
    now: datetime | None = None,
) -> Service:
    """Create (``service`` is ``None``) or update a service of the platform, audited.

    ``values`` holds :data:`SERVICE_FIELDS` plus ``distance_band`` (the provider's choice),
    ``publics`` and ``accessibility`` (lists of codes). ``now`` (the app's clock) dates a new
    service: figures are expected from the period it was created in.
    """
    if service is not None and not access.can_edit_service(service):
        raise ServiceError(_("Vous ne pouvez pas modifier ce service."))
    allowed = access.service_orgs()
    org_id = values.get("organisation_id")
    organisation = db.get(Organisation, org_id) if isinstance(org_id, int) else None
    if organisation is None or (allowed is not None and organisation.id not in allowed):
        raise ServiceError(_("Choisissez une organisation dont vous gérez les services."), "organisation_id")
    if values.get("category") not in CATEGORIES:
        raise ServiceError(_("Choisissez une catégorie."), "category")
    publics = sorted(set(values.get("publics") or ()))
    access_codes = sorted(set(values.get("accessibility") or ()))
    if not set(publics) <= PUBLICS.keys():
        raise ServiceError(_("Public inconnu."), "publics")
    if not set(access_codes) <= ACCESSIBILITY.keys():
        raise ServiceError(_("Catégorie d'accessibilité inconnue."), "accessibility")
    age_min, age_max = values.get("age_min"), values.get("age_max")
    if age_min is not None and age_max is not None and age_max < age_min:
        raise ServiceError(_("L'âge maximum doit être supérieur ou égal à l'âge minimum."), "age_max")
    metres, band = resolve_distance(
        settings, values.get("latitude"), values.get("longitude"), values.get("distance_band")
    )
    columns = {key: values[key] for key in SERVICE_FIELDS}
    columns.update(distance_m=metres, distance_band=band)
    tags = [f"public:{p}" for p in publics] + [f"access:{a}" for a in access_codes]

    if service is None:
        service = Service(
            space_id=settings.space_id,
            created_by_id=actor.id if actor else None,
            created_at=now or utcnow(),
            **columns,
        )
        service.tags = [ServiceTag(tag=t) for t in tags]
        db.add(service)
        action, changes = "acces_services.service.created", {}
    else:
        changes = audit.diff(service, columns)
        old_tags = sorted(t.tag for t in service.tags)
        if old_tags != sorted(tags):
            changes["tags"] = [", ".join(old_tags), ", ".join(sorted(tags))]
        for key, value in columns.items():
            setattr(service, key, value)
        # remove and add one by one: replacing the list would insert a tag before deleting its twin
        for tag in list(service.tags):
            if tag.tag not in tags:
                service.tags.remove(tag)
        present = {t.tag for t in service.tags}
        service.tags.extend(ServiceTag(tag=t) for t in tags if t not in present)
        action = "acces_services.service.updated"
    service.search_doc = search_document(service, organisation, tags)
    db.flush()
    audit.record(db, actor, action, service, summary=service.name, changes=changes)
    return service


def set_archived(
    db: Session, access: Access, actor: User, service: Service, archived: bool, now: datetime
) -> None:
    """Take a service out of the catalogue (its figures stay) or bring it back, audited."""
    if not access.can_edit_service(service):
        raise ServiceError(_("Vous ne pouvez pas modifier ce service."))
    if archived == (service.archived_at is not None):
        return
    changes = audit.diff(service, {"archived_at": now if archived else None})
    service.archived_at = now if archived else None
    audit.record(
        db,
        actor,
        "acces_services.service.archived" if archived else "acces_services.service.restored",
        service,
        summary=service.name,
        changes=changes,
    )


@dataclass(frozen=True)
class CatalogueFilters:
    """The catalogue's search box and filters (empty strings mean "any")."""

    query: str = ""
    category: str = ""
    public: str = ""
    price: str = ""
    distance: str = ""
    access: str = ""

    @property
    def active(self) -> bool:
        return any((self.query, self.category, self.public, self.price, self.distance, self.access))

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters (French names, as in the form)."""
        return {
            "q": self.query,
            "categorie": self.category,
            "public": self.public,
            "tarif": self.price,
            "distance": self.distance,
            "accessibilite": self.access,
        }


def parse_filters(params: Any) -> CatalogueFilters:
    """Filters from query parameters; unknown codes are ignored rather than refused."""

    def pick(name: str, vocabulary: Any) -> str:
        value = str(params.get(name, "") or "")
        return value if value in vocabulary else ""

    return CatalogueFilters(
        query=str(params.get("q", "") or "").strip()[:200],
        category=pick("categorie", CATEGORIES),
        public=pick("public", PUBLICS),
        price=pick("tarif", ("gratuit", "tarif_social")),
        distance=pick("distance", DISTANCE_BANDS),
        access=pick("accessibilite", ACCESSIBILITY),
    )


def _search_terms(query: str) -> list[str]:
    """Accent-free words of the query (at most 8, each cut at 40 characters)."""
    return [word[:40] for word in fold(query).split()[:8]]


def _fulltext_condition(db: Session, terms: list[str]) -> Any:
    """A condition on ``Service.id`` matching every term as a word prefix, using the FTS index.

    The terms come from :func:`fold`, so they hold only ``[0-9a-z]``: no query-syntax injection.
    """
    if db.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        return text(
            "to_tsvector('simple', acces_services_services.search_doc) @@ to_tsquery('simple', :tsq)"
        ).bindparams(tsq=tsquery)
    match = " ".join(f'"{t}"*' for t in terms)
    ids = (
        select(text("rowid"))
        .select_from(text("acces_services_service_fts"))
        .where(text("acces_services_service_fts MATCH :fts").bindparams(fts=match))
    )
    return Service.id.in_(ids)


def catalogue_statement(db: Session, filters: CatalogueFilters) -> Select[Service]:
    """The published, current services matching ``filters``."""
    stmt = select(Service).where(Service.is_published.is_(True), Service.archived_at.is_(None))
    terms = _search_terms(filters.query)
    if terms:
        stmt = stmt.where(_fulltext_condition(db, terms))
    if filters.category:
        stmt = stmt.where(Service.category == filters.category)
    if filters.public:
        stmt = stmt.where(_has_tag(f"public:{filters.public}"))
    if filters.access:
        stmt = stmt.where(_has_tag(f"access:{filters.access}"))
    if filters.price == "gratuit":
        stmt = stmt.where(Service.is_free.is_(True))
    elif filters.price == "tarif_social":
        stmt = stmt.where(Service.has_social_pricing.is_(True))
    if filters.distance:
        bands = BAND_ORDER[: BAND_ORDER.index(filters.distance) + 1]
        stmt = stmt.where(Service.distance_band.in_(bands))
    return stmt


def _has_tag(tag: str) -> Any:
    return exists().where(ServiceTag.service_id == Service.id, ServiceTag.tag == tag)


def search_catalogue(db: Session, filters: CatalogueFilters, limit: int = 2000) -> list[Service]:
    """The matching services with their organisation, sorted by name (accents ignored)."""
    stmt = catalogue_statement(db, filters).options(selectinload(Service.organisation)).limit(limit)
    return sorted(db.scalars(stmt), key=lambda s: (fold(s.name), s.id))


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: Sequence[Any]
    number: int
    pages: int
    total: int


def paginate(items: Sequence[Any], number: int, per_page: int = 20) -> Page:
    """Slice ``items`` for page ``number`` (clamped to the existing pages)."""
    pages = max(1, math.ceil(len(items) / per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(items[start : start + per_page], number, pages, len(items))


def group_by_category(services: Iterable[Service]) -> list[tuple[str, list[Service]]]:
    """Services grouped by category, in the vocabulary's order (for the printable guide)."""
    groups: dict[str, list[Service]] = {}
    for service in services:
        groups.setdefault(service.category, []).append(service)
    return [(code, groups[code]) for code in CATEGORIES if code in groups]


def get_service(db: Session, service_id: int) -> Service | None:
    """A service with its organisation loaded."""
    return db.scalar(
        select(Service).where(Service.id == service_id).options(selectinload(Service.organisation))
    )


def visible_to(service: Service, access: Access) -> bool:
    """Published current services are public; the others only for those who may edit them."""
    return (service.is_published and service.archived_at is None) or access.can_edit_service(service)


def services_of_organisation(db: Session, organisation_id: int) -> list[Service]:
    """The published, current services an organisation offers (for its directory page)."""
    stmt = select(Service).where(
        Service.organisation_id == organisation_id,
        Service.is_published.is_(True),
        Service.archived_at.is_(None),
    )
    return sorted(db.scalars(stmt), key=lambda s: fold(s.name))


def editable_services(db: Session, access: Access, *, for_figures: bool = False) -> list[Service]:
    """The services the user maintains (archived ones last), with their organisation."""
    if access.space_id is None:
        return []
    orgs = access.figure_orgs() if for_figures else access.service_orgs()
    stmt = select(Service).options(selectinload(Service.organisation))
    if not access.is_admin:
        stmt = stmt.where(Service.space_id == access.space_id)
    if orgs is not None:
        if not orgs:
            return []
        stmt = stmt.where(Service.organisation_id.in_(orgs))
    return sorted(db.scalars(stmt), key=lambda s: (s.archived_at is not None, fold(s.name), s.id))


# =============================================================================================
# Attendance figures
# =============================================================================================


def paris_today(now: datetime) -> date:
    """The calendar day in Paris at the instant ``now``."""
    return now.astimezone(PARIS).date()


def check_period(code: str, kind: str, today: date) -> Period:
    """The period ``code`` if figures may be entered for it today, else a French error."""
    try:
        period = periods.parse_period(code, kind)
    except PeriodError as exc:
        raise ServiceError(str(exc), "period") from exc
    if period.start > today:
        raise ServiceError(_("La période %(code)s est dans le futur.", code=period.code), "period")
    if period.end > today:
        raise ServiceError(
            _(
                "La période %(code)s n'est pas terminée : ses chiffres pourront être saisis à partir "
                "du %(day)s.",
                code=period.code,
                day=(period.end).strftime("%d/%m/%Y"),
            ),
            "period",
        )
    return period


def check_counts(total: int | None, neighbourhood: int | None) -> tuple[int, int]:
    """The two counts if they make sense, else a French error naming the field."""
    if total is None:
        raise ServiceError(_("Indiquez le nombre total d'usagers."), "users_total")
    if neighbourhood is None:
        raise ServiceError(_("Indiquez le nombre d'usagers habitant le quartier."), "users_neighbourhood")
    if total < 0:
        raise ServiceError(_("Le nombre d'usagers ne peut pas être négatif."), "users_total")
    if neighbourhood < 0:
        raise ServiceError(
            _("Le nombre d'usagers du quartier ne peut pas être négatif."), "users_neighbourhood"
        )
    if total > MAX_COUNT or neighbourhood > MAX_COUNT:
        raise ServiceError(_("Ce nombre est trop grand pour un seul service."), "users_total")
    if neighbourhood > total:
        raise ServiceError(
            _(
                "Les usagers du quartier (%(n)s) ne peuvent pas être plus nombreux que l'ensemble "
                "des usagers "
                "(%(total)s).",
                n=neighbourhood,
                total=total,
            ),
            "users_neighbourhood",
        )
    return total, neighbourhood


def find_figure(db: Session, service_id: int, period_code: str) -> Figure | None:
    """The figure of a service for a period, if entered."""
    return db.scalar(select(Figure).where(Figure.service_id == service_id, Figure.period == period_code))


def add_figure(
    db: Session,
    access: Access,
    actor: User | None,
    service: Service,
    period: Period,
    total: int,
    neighbourhood: int,
    source: str,
) -> Figure:
    """Record a new figure (refused when one exists for this service and period)."""
    if not access.can_enter_figures(service):
        raise ServiceError(_("Vous ne pouvez pas saisir les chiffres de ce service."), "service_id")
    total, neighbourhood = check_counts(total, neighbourhood)
    already = ServiceError(
        _(
            "Les chiffres de %(period)s sont déjà saisis pour ce service : corrigez-les plutôt.",
            period=period.code,
        ),
        "period",
    )
    if find_figure(db, service.id, period.code) is not None:
        raise already
    figure = Figure(
        service_id=service.id,
        period=period.code,
        period_start=period.start,
        period_end=period.end,
        users_total=total,
        users_neighbourhood=neighbourhood,
        source=source,
        entered_by_id=actor.id if actor is not None else None,
    )
    try:
        # a savepoint: two people entering the same figure at once get the French message
        with db.begin_nested():
            db.add(figure)
            db.flush()
    except IntegrityError as exc:
        raise already from exc
    audit.record(
        db,
        actor,
        "acces_services.figure.created",
        figure,
        summary=f"{service.name} – {period.code} : {neighbourhood}/{total}",
        changes={"users_total": [None, total], "users_neighbourhood": [None, neighbourhood]},
    )
    return figure


def correct_figure(
    db: Session,
    access: Access,
    actor: User,
    service: Service,
    figure: Figure,
    total: int,
    neighbourhood: int,
    source: str,
) -> dict[str, list[Any]]:
    """Correct a figure; the audit log keeps the previous values. Returns what changed."""
    if not access.can_enter_figures(service) or figure.service_id != service.id:
        raise ServiceError(_("Vous ne pouvez pas saisir les chiffres de ce service."), "service_id")
    total, neighbourhood = check_counts(total, neighbourhood)
    changes = audit.diff(figure, {"users_total": total, "users_neighbourhood": neighbourhood})
    if not changes:
        return changes
    figure.users_total, figure.users_neighbourhood = total, neighbourhood
    figure.source, figure.entered_by_id = source, actor.id
    db.flush()
    audit.record(
        db,
        actor,
        "acces_services.figure.corrected",
        figure,
        summary=f"{service.name} – {figure.period} : {neighbourhood}/{total}",
        changes=changes,
    )
    return changes


def figures_of_services(db: Session, service_ids: Iterable[int], limit: int = 500) -> list[Figure]:
    """The latest figures of these services, newest period first."""
    ids = list(service_ids)
    if not ids:
        return []
    stmt = (
        select(Figure)
        .where(Figure.service_id.in_(ids))
        .order_by(Figure.period_start.desc(), Figure.service_id)
        .limit(limit)
    )
    return list(db.scalars(stmt))


def get_figure(db: Session, figure_id: int) -> Figure | None:
    """A figure with its service (and the service's organisation)."""
    return db.scalar(
        select(Figure)
        .where(Figure.id == figure_id)
        .options(selectinload(Figure.service).selectinload(Service.organisation))
    )


@dataclass(frozen=True)
class ImportLine:
    """One line of an attendance CSV, as read (see :mod:`plugins.acces_services.csvio`)."""

    line: int
    number: str
    service: str
    period: str
    total: int | None
    neighbourhood: int | None
    #: a reading error already found (not a number…), reported with the line
    error: str = ""


@dataclass
class ImportReport:
    """What an import did (it wrote everything or nothing)."""

    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_figures(
    db: Session,
    access: Access,
    actor: User,
    lines: Sequence[ImportLine],
    today: date,
    kind: str,
    *,
    replace: bool,
) -> ImportReport:
    """Check every line, then write them all – or nothing, with each bad line reported.

    A line naming a service and period already entered is refused unless ``replace`` is set,
    in which case it corrects the figure (the audit log keeps the previous values).
    """
    report = ImportReport()
    if not lines:
        report.errors.append(_("Le fichier ne contient aucune ligne de chiffres."))
        return report
    services = list(db.scalars(select(Service).where(Service.space_id == access.space_id)))
    by_id = {s.id: s for s in services}
    by_name: dict[str, list[Service]] = {}
    for service in services:
        by_name.setdefault(fold(service.name), []).append(service)

    checked: list[tuple[Service, Period, int, int]] = []
    seen: dict[tuple[int, str], int] = {}
    for line in lines:
        try:
            if line.error:
                raise ServiceError(line.error)
            service = _import_service(line, by_id, by_name)
            if not access.can_enter_figures(service):
                raise ServiceError(
                    _("vous ne pouvez pas saisir les chiffres du service « %(name)s ».", name=service.name)
                )
            period = check_period(line.period, kind, today)
            total, neighbourhood = check_counts(line.total, line.neighbourhood)
            key = (service.id, period.code)
            if key in seen:
                raise ServiceError(
                    _(
                        "doublon : « %(name)s » pour %(period)s figure déjà à la ligne %(first)s.",
                        name=service.name,
                        period=period.code,
                        first=seen[key],
                    )
                )
            seen[key] = line.line
            checked.append((service, period, total, neighbourhood))
        except ServiceError as exc:
            report.errors.append(_("Ligne %(n)s : %(detail)s", n=line.line, detail=_lower_first(exc.message)))
    if report.errors:
        return report
    existing = {
        (f.service_id, f.period): f
        for f in db.scalars(select(Figure).where(Figure.service_id.in_({s.id for s, *_rest in checked})))
    }
    if not replace:
        for line, (service, period, _t, _n) in zip(lines, checked, strict=True):
            if (service.id, period.code) in existing:
                report.errors.append(
                    _(
                        "Ligne %(n)s : les chiffres de %(period)s sont déjà saisis pour « %(name)s » (cochez "
                        "« corriger les chiffres déjà saisis » pour les remplacer).",
                        n=line.line,
                        period=period.code,
                        name=service.name,
                    )
                )
        if report.errors:
            return report
    try:
        # a savepoint: a line refused while writing (someone entered the same figure meanwhile)
        # takes back the lines already written, so the file still counts as all or nothing
        with db.begin_nested():
            for service, period, total, neighbourhood in checked:
                figure = existing.get((service.id, period.code))
                if figure is None:
                    add_figure(db, access, actor, service, period, total, neighbourhood, "csv")
                    report.created += 1
                elif correct_figure(db, access, actor, service, figure, total, neighbourhood, "csv"):
                    report.corrected += 1
                else:
                    report.unchanged += 1
    except ServiceError as exc:
        report.created = report.corrected = report.unchanged = 0
        report.errors.append(
            _(
                "« %(name)s », %(period)s : %(detail)s",
                name=service.name,
                period=period.code,
                detail=exc.message,
            )
        )
    return report


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:] if message else message


def _import_service(
    line: ImportLine, by_id: dict[int, Service], by_name: dict[str, list[Service]]
) -> Service:
    number = line.number.strip().lstrip("#")
    if number:
        if not number.isdigit() or int(number) not in by_id:
            raise ServiceError(_("service n° %(number)s inconnu.", number=number[:20]))
        return by_id[int(number)]
    name = line.service.strip()
    if not name:
        raise ServiceError(_("indiquez le service (son nom ou son numéro)."))
    candidates = by_name.get(fold(name), [])
    if not candidates:
        raise ServiceError(_("service « %(name)s » inconnu.", name=name[:100]))
    if len(candidates) > 1:
        raise ServiceError(
            _("plusieurs services s'appellent « %(name)s » : indiquez son numéro.", name=name[:100])
        )
    return candidates[0]


def services_missing_figures(db: Session, space_id: int, period: Period) -> list[Service]:
    """Current services that existed during ``period`` and have no figure for it.

    This is what the end-of-period reminders will ask; ordered by organisation then name.
    """
    period_over = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=PARIS)
    entered = select(Figure.id).where(Figure.service_id == Service.id, Figure.period == period.code)
    stmt = (
        select(Service)
        .where(
            Service.space_id == space_id,
            or_(Service.archived_at.is_(None), Service.archived_at >= period_over),
            Service.created_at < period_over,
            ~exists(entered),
        )
        .options(selectinload(Service.organisation))
    )
    return sorted(db.scalars(stmt), key=lambda s: (s.organisation.name_key, fold(s.name)))


# =============================================================================================
# Indicator data
# =============================================================================================


@dataclass(frozen=True)
class FigureFact:
    """One figure with what the indicators need about its service."""

    service_id: int
    service_name: str
    category: str
    organisation: str
    period: str
    period_start: date
    total: int
    neighbourhood: int


def indicator_facts(
    db: Session, space_id: int, *, category: str | None = None, service_id: int | None = None
) -> list[FigureFact]:
    """Every figure of the platform (optionally of one category or one service), oldest first."""
    stmt = (
        select(
            Figure.service_id,
            Service.name,
            Service.category,
            Organisation.name,
            Figure.period,
            Figure.period_start,
            Figure.users_total,
            Figure.users_neighbourhood,
        )
        .join(Service, Service.id == Figure.service_id)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .where(Service.space_id == space_id)
        .order_by(Figure.period_start, Figure.service_id)
    )
    if category:
        stmt = stmt.where(Service.category == category)
    if service_id is not None:
        stmt = stmt.where(Service.id == service_id)
    return [FigureFact(*row) for row in db.execute(stmt)]


# =============================================================================================
# Proposals
# =============================================================================================

PROPOSAL_FIELDS = ("kind", "title", "body", "is_public", "meeting_id")


def platform_meetings(db: Session, space_id: int, limit: int = 200) -> list[Meeting]:
    """The platform's meetings that were not cancelled, latest first (where proposals are adopted)."""
    stmt = (
        select(Meeting)
        .where(Meeting.space_id == space_id, Meeting.status != CANCELLED)
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def upcoming_meetings(db: Session, space_id: int, now: datetime, limit: int = 5) -> list[Meeting]:
    """The platform's next meetings."""
    stmt = (
        select(Meeting)
        .where(Meeting.space_id == space_id, Meeting.status != CANCELLED, Meeting.ends_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return list(db.scalars(stmt))


def save_proposal(
    db: Session,
    space_id: int,
    actor: User | None,
    values: dict[str, Any],
    service_ids: Iterable[int],
    proposal: Proposal | None = None,
) -> Proposal:
    """Create or update a proposal (its status changes through :func:`change_status`), audited."""
    if values.get("kind") not in PROPOSAL_KINDS:
        raise ServiceError(_("Choisissez le type de document."), "kind")
    if not (values.get("title") or "").strip():
        raise ServiceError(_("Indiquez un titre."), "title")
    meeting_id = values.get("meeting_id")
    if meeting_id is not None:
        meeting = db.get(Meeting, meeting_id)
        if meeting is None or meeting.space_id != space_id:
            raise ServiceError(_("Choisissez une réunion de la plateforme."), "meeting_id")
    ids = set(service_ids)
    services = (
        list(db.scalars(select(Service).where(Service.id.in_(ids), Service.space_id == space_id)))
        if ids
        else []
    )
    if len(services) != len(ids):
        raise ServiceError(_("Choisissez des services du catalogue de la plateforme."), "service_ids")
    columns = {key: values[key] for key in PROPOSAL_FIELDS}
    if proposal is None:
        proposal = Proposal(space_id=space_id, created_by_id=actor.id if actor else None, **columns)
        proposal.services = services
        db.add(proposal)
        action, changes = "acces_services.proposal.created", {}
    else:
        changes = audit.diff(proposal, columns)
        old = sorted(s.id for s in proposal.services)
        if old != sorted(ids):
            changes["services"] = [",".join(map(str, old)), ",".join(map(str, sorted(ids)))]
        for key, value in columns.items():
            setattr(proposal, key, value)
        proposal.services = services
        action = "acces_services.proposal.updated"
    db.flush()
    audit.record(db, actor, action, proposal, summary=proposal.title, changes=changes)
    return proposal


def change_status(
    db: Session, proposal: Proposal, actor: User | None, status: str, answer: str, now: datetime
) -> dict[str, list[Any]]:
    """Move a proposal to ``status`` along the allowed transitions, with the answer; audited.

    An empty ``answer`` keeps the answer already recorded.
    """
    if status not in PROPOSAL_STATUSES:
        raise ServiceError(_("Choisissez un statut."), "status")
    answer = (answer or "").strip() or proposal.answer
    if status != proposal.status and status not in STATUS_TRANSITIONS[proposal.status]:
        raise ServiceError(
            _(
                "Une proposition « %(old)s » ne peut pas passer à « %(new)s ».",
                old=str(PROPOSAL_STATUSES[proposal.status]),
                new=str(PROPOSAL_STATUSES[status]),
            ),
            "status",
        )
    if status == ANSWERED and not answer:
        raise ServiceError(_("Indiquez la réponse des élus."), "answer")
    changes = audit.diff(proposal, {"status": status, "answer": answer})
    if not changes:
        return changes
    if status != proposal.status:
        proposal.status_changed_at = now
        if status == SUBMITTED:
            proposal.submitted_at = now
        if status == ANSWERED:
            proposal.answered_at = now
    proposal.status, proposal.answer = status, answer
    db.flush()
    audit.record(
        db, actor, "acces_services.proposal.status_changed", proposal, summary=proposal.title, changes=changes
    )
    return changes


def get_proposal(db: Session, proposal_id: int) -> Proposal | None:
    """A proposal with its services and meeting."""
    return db.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(selectinload(Proposal.services), selectinload(Proposal.meeting))
    )


def list_proposals(db: Session, space_id: int | None, *, public_only: bool) -> list[Proposal]:
    """The platform's proposals, latest first (only public ones when asked)."""
    stmt = select(Proposal).options(selectinload(Proposal.meeting), selectinload(Proposal.services))
    if space_id is not None:
        stmt = stmt.where(Proposal.space_id == space_id)
    if public_only:
        stmt = stmt.where(Proposal.is_public.is_(True))
    return list(db.scalars(stmt.order_by(Proposal.created_at.desc(), Proposal.id.desc())))


def proposals_for_service(db: Session, service_id: int, *, public_only: bool) -> list[Proposal]:
    """The proposals concerning a service, latest first (only public ones when asked)."""
    concerned = select(proposal_services.c.proposal_id).where(proposal_services.c.service_id == service_id)
    stmt = select(Proposal).where(Proposal.id.in_(concerned))
    if public_only:
        stmt = stmt.where(Proposal.is_public.is_(True))
    return list(db.scalars(stmt.order_by(Proposal.created_at.desc(), Proposal.id.desc())))

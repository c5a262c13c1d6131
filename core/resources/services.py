"""Resource services: add documents and links, decide who sees what, remove without losing.

Who sees a resource (the one rule every page, panel and download shares):

* attached to a **space** – ``public``: everyone; ``members``: the space's members (any role,
  directly or through their organisation); ``animators``: the space's animators;
* attached to a **meeting** – only people who may see the meeting (see
  :mod:`core.calendar.visibility`), and then ``public``: all of them; ``members``: the space's
  members and the meeting's invitees; ``animators``: the space's animators;
* admins see everything; removed resources are seen by nobody (they stay in the table with
  their file, and the audit log says who removed them).

Adding and removing belong to the space's animators (``core.space.manage`` for a space's
resources, ``core.meeting.manage`` for a meeting's) and to admins: the routes check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.calendar.models import Invitation, Meeting
from core.calendar.visibility import visible_meetings
from core.db import utcnow
from core.i18n import gettext as _
from core.resources import filetypes, storage
from core.resources.models import ANIMATORS, DOCUMENT, LINK, MEMBERS, PUBLIC, VISIBILITIES, Resource
from core.spaces.models import ANIMATOR, SpaceMembership

if TYPE_CHECKING:
    from core.accounts.models import User

DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024
_CHUNK = 64 * 1024


class ResourceError(ValueError):
    """Bad input for a resource; ``field`` names the form field the French message belongs to."""

    status_code = 400

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UploadTooLarge(ResourceError):
    """The file is larger than the per-file limit (answered with status 413)."""

    status_code = 413


# --------------------------------------------------------------------------------- visibility


def member_space_ids(db: Session, user: User | None) -> set[int]:
    """Spaces where ``user`` holds any role, directly or through an organisation (as
    :func:`core.accounts.permissions.roles_in_space` counts membership)."""
    if user is None or user.contact_id is None:
        return set()
    from core.directory.models import Affiliation

    org_ids = select(Affiliation.organisation_id).where(Affiliation.contact_id == user.contact_id)
    stmt = select(SpaceMembership.space_id).where(
        or_(SpaceMembership.contact_id == user.contact_id, SpaceMembership.organisation_id.in_(org_ids))
    )
    return set(db.scalars(stmt))


def animator_space_ids(db: Session, user: User | None) -> set[int]:
    """Spaces ``user`` animates (directly, through their contact)."""
    if user is None or user.contact_id is None:
        return set()
    stmt = select(SpaceMembership.space_id).where(
        SpaceMembership.contact_id == user.contact_id, SpaceMembership.role == ANIMATOR
    )
    return set(db.scalars(stmt))


def visible_clause(db: Session, user: User | None) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Resource`: the resources ``user`` may see (module docstring)."""
    live = Resource.removed_at.is_(None)
    if user is not None and user.is_admin:
        return live
    members = member_space_ids(db, user)
    animators = animator_space_ids(db, user)

    def in_spaces(ids: set[int]) -> ColumnElement[bool]:
        return Resource.space_id.in_(ids) if ids else false()

    invited: ColumnElement[bool] = false()
    if user is not None and user.contact_id is not None:
        invited = Resource.meeting_id.in_(
            select(Invitation.meeting_id).where(Invitation.contact_id == user.contact_id)
        )
    by_level = or_(
        Resource.visibility == PUBLIC,
        and_(Resource.visibility == MEMBERS, in_spaces(members)),
        and_(Resource.visibility == ANIMATORS, in_spaces(animators)),
    )
    meeting_level = or_(
        Resource.visibility == PUBLIC,
        and_(Resource.visibility == MEMBERS, or_(in_spaces(members), invited)),
        and_(Resource.visibility == ANIMATORS, in_spaces(animators)),
    )
    seen_meetings = select(Meeting.id).where(visible_meetings(db, user))
    return and_(
        live,
        or_(
            and_(Resource.meeting_id.is_(None), by_level),
            and_(Resource.meeting_id.in_(seen_meetings), meeting_level),
        ),
    )


def visible_resources(
    db: Session,
    user: User | None,
    space_id: int | None = None,
    meeting_id: int | None = None,
    category: str | None = None,
    *,
    include_meetings: bool = True,
    limit: int | None = None,
) -> list[Resource]:
    """The resources ``user`` may see, newest first, optionally of one space (its meetings'
    resources too unless ``include_meetings`` is false), one meeting or one category."""
    stmt = select(Resource).where(visible_clause(db, user))
    if space_id is not None:
        stmt = stmt.where(Resource.space_id == space_id)
        if not include_meetings:
            stmt = stmt.where(Resource.meeting_id.is_(None))
    if meeting_id is not None:
        stmt = stmt.where(Resource.meeting_id == meeting_id)
    if category is not None:
        stmt = stmt.where(Resource.category == category)
    stmt = stmt.order_by(Resource.created_at.desc(), Resource.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.scalars(stmt))


def can_see(db: Session, user: User | None, resource: Resource) -> bool:
    """Whether ``user`` may see (and download) ``resource``."""
    return bool(db.scalar(select(Resource.id).where(Resource.id == resource.id, visible_clause(db, user))))


def get_resource(db: Session, resource_id: int) -> Resource | None:
    """A resource that has not been removed."""
    return db.scalar(select(Resource).where(Resource.id == resource_id, Resource.removed_at.is_(None)))


def meeting_titles(db: Session, resources: Sequence[Resource]) -> dict[int, Meeting]:
    """The meetings the given resources are attached to, by id (one query)."""
    ids = {r.meeting_id for r in resources if r.meeting_id is not None}
    if not ids:
        return {}
    return {m.id: m for m in db.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


# ----------------------------------------------------------------------------------- writing


def _target(db: Session, space_id: int | None, meeting_id: int | None) -> tuple[int, int | None]:
    """The (space, meeting) a new resource belongs to; a meeting's resource carries its space."""
    if meeting_id is not None:
        meeting = db.get(Meeting, meeting_id)
        if meeting is None:
            raise ValueError(f"no meeting {meeting_id}")
        if space_id is not None and space_id != meeting.space_id:
            raise ValueError("the meeting belongs to another space")
        return meeting.space_id, meeting.id
    if space_id is None:
        raise ValueError("a resource belongs to a space or a meeting")
    return space_id, None


def _check_common(title: str, visibility: str, category: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ResourceError(_("Donnez un titre à la ressource."), "title")
    if len(title) > 300:
        raise ResourceError(_("Le titre ne doit pas dépasser 300 caractères."), "title")
    if visibility not in VISIBILITIES:
        raise ResourceError(_("Choisissez qui peut voir la ressource."), "visibility")
    if len(category) > 80:
        raise ResourceError(_("La catégorie ne doit pas dépasser 80 caractères."), "category")
    return title


def read_limited(source: bytes | IO[bytes], max_size: int) -> bytes:
    """The bytes of ``source``, refusing (without reading further) anything over ``max_size``."""
    if isinstance(source, bytes | bytearray):
        if len(source) > max_size:
            raise _too_large(max_size)
        return bytes(source)
    chunks: list[bytes] = []
    total = 0
    while chunk := source.read(_CHUNK):
        total += len(chunk)
        if total > max_size:
            raise _too_large(max_size)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_size: int) -> UploadTooLarge:
    megabytes = f"{max_size / (1024 * 1024):g}".replace(".", ",")
    return UploadTooLarge(
        _("Le fichier dépasse la taille maximale autorisée (%(size)s Mo).", size=megabytes), "file"
    )


def add_document(
    db: Session,
    data_dir: Path,
    *,
    title: str,
    data: bytes | IO[bytes],
    filename: str,
    space_id: int | None = None,
    meeting_id: int | None = None,
    visibility: str = MEMBERS,
    category: str = "",
    description: str = "",
    actor: User | None = None,
    max_size: int = DEFAULT_MAX_UPLOAD,
    now: datetime | None = None,
) -> Resource:
    """Store an uploaded document and its row, in the caller's transaction.

    The size is checked while reading, the type from the content (:mod:`core.resources.filetypes`),
    the file is stored under a random name (the client's name is only shown). Raises
    :class:`ResourceError` (or :class:`UploadTooLarge`) with a French message on bad input and
    :class:`core.resources.storage.StorageError` when the disk refuses the file; in every case
    nothing is kept once the transaction rolls back.
    """
    title = _check_common(title, visibility, category)
    space, meeting = _target(db, space_id, meeting_id)
    content = read_limited(data, max_size)
    shown_name = filetypes.clean_filename(filename)
    if not content:
        raise ResourceError(_("Choisissez un fichier à envoyer."), "file")
    try:
        kind = filetypes.detect(content, shown_name)
    except filetypes.FileTypeRefused as exc:
        raise ResourceError(str(exc), "file") from exc
    stored_name = storage.save(db, data_dir, content)
    return _insert(
        db,
        actor,
        now,
        f"{title} ({shown_name})",
        space_id=space,
        meeting_id=meeting,
        kind=DOCUMENT,
        title=title,
        description=description,
        category=category,
        visibility=visibility,
        filename=shown_name,
        stored_name=stored_name,
        content_type=kind.mime,
        size=len(content),
    )


def add_link(
    db: Session,
    *,
    title: str,
    url: str,
    space_id: int | None = None,
    meeting_id: int | None = None,
    visibility: str = MEMBERS,
    category: str = "",
    description: str = "",
    actor: User | None = None,
    now: datetime | None = None,
) -> Resource:
    """Add a link (http or https only; ``https://`` is added when no scheme is given)."""
    from core.web.forms import normalise_url

    title = _check_common(title, visibility, category)
    space, meeting = _target(db, space_id, meeting_id)
    if not (url or "").strip():
        raise ResourceError(_("Indiquez l'adresse du lien."), "url")
    try:
        clean_url = normalise_url(url)
    except ValueError as exc:
        raise ResourceError(str(exc), "url") from exc
    if len(clean_url) > 1000:
        raise ResourceError(_("L'adresse ne doit pas dépasser 1 000 caractères."), "url")
    return _insert(
        db,
        actor,
        now,
        f"{title} ({clean_url})",
        space_id=space,
        meeting_id=meeting,
        kind=LINK,
        title=title,
        description=description,
        category=category,
        visibility=visibility,
        url=clean_url,
    )


def _insert(db: Session, actor: User | None, now: datetime | None, summary: str, **values: Any) -> Resource:
    """Add the row (in the caller's transaction) and its audit entry."""
    values["description"] = (values.get("description") or "").strip()
    resource = Resource(
        created_by_id=actor.id if actor is not None else None, created_at=now or utcnow(), **values
    )
    db.add(resource)
    db.flush()
    audit.record(db, actor, f"resources.{resource.kind}.added", resource, summary=summary)
    return resource


def remove_resource(db: Session, resource: Resource, actor: User | None, now: datetime | None = None) -> None:
    """Hide a resource from everyone: the row and the file stay, an audit entry says who and when."""
    if resource.removed_at is not None:
        return
    resource.removed_at = now or utcnow()
    resource.removed_by_id = actor.id if actor is not None else None
    audit.record(
        db,
        actor,
        "resources.removed",
        resource,
        summary=resource.title,
        changes={"removed_at": [None, resource.removed_at.isoformat()]},
    )


def document_path(data_dir: Path, resource: Resource) -> Path | None:
    """The file of a document resource, or ``None`` when it is missing on disk."""
    if resource.kind != DOCUMENT:
        return None
    try:
        path = storage.path_of(data_dir, resource.stored_name)
    except ValueError:
        return None
    return path if path.is_file() else None

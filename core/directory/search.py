"""Directory search: one service function per list, used by pages, CSV export and benchmarks.

Matching ignores case and accents and treats every word typed as a prefix ("educ nat" finds
"Éducation Nationale"). It always goes through a full-text index, never a ``LIKE`` scan:

* SQLite: FTS5 external-content tables ``organisation_fts`` / ``contact_fts`` over
  ``(name_key, search_doc)``, ``unicode61 remove_diacritics 2``, kept in step by triggers;
* PostgreSQL: ``to_tsvector('simple', reseau_unaccent(search_doc))`` with GIN indexes
  ``ix_fts_organisations_search_doc`` / ``ix_fts_contacts_search_doc``.

Both are created by the migration ``core_directory_0001``. The documents themselves are
accent-folded by :func:`organisation_document` / :func:`contact_document` (the services keep
``search_doc`` in step), so the two backends see the same words. Results come most relevant
first (a match in the name counts more), then by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from core import i18n
from core.directory import vocab
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.directory.normalise import fold
from core.spaces.models import SpaceMembership

T = TypeVar("T")

PER_PAGE = 20
#: longest query taken into account, and most words (longer input is cut, never refused)
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
#: a name match weighs this much more than a match elsewhere in the document
NAME_WEIGHT = 10.0


# ------------------------------------------------------------------------------- documents


def _french(label: Any) -> str:
    with i18n.language("fr"):
        return str(label)


def organisation_document(org: Organisation) -> str:
    """The accent-folded text indexed for an organisation (name, kind, place, texts, tags, contact)."""
    tags = [t.tag for t in org.tags]
    labels = [_french(vocab.PILLARS[code]) for code in vocab.codes(tags, "pillar")] + [
        _french(vocab.THEMES[code]) for code in vocab.codes(tags, "theme")
    ]
    kind = vocab.ORGANISATION_KINDS.get(org.kind)
    host = (urlsplit(org.website).hostname or "") if org.website else ""
    parts = [
        org.name,
        _french(kind) if kind is not None else "",
        org.address,
        org.postcode,
        org.city,
        org.description,
        org.commitments,
        " ".join(labels),
        host,
        org.email,
    ]
    return fold(" ".join(p for p in parts if p))


def contact_document(contact: Contact, affiliations: Iterable[tuple[str, str]]) -> str:
    """The accent-folded text indexed for a contact: name, function, email, organisations and roles."""
    parts = [contact.first_name, contact.last_name, contact.function, contact.email]
    for organisation_name, role in affiliations:
        parts += [organisation_name, role]
    return fold(" ".join(p for p in parts if p))


# ---------------------------------------------------------------------------------- queries


def query_terms(text: str | None) -> list[str]:
    """The words of a user's query, folded to ``[0-9a-z]+`` (so nothing in them is syntax)."""
    words = fold((text or "")[:MAX_QUERY_LENGTH]).split()
    return list(dict.fromkeys(words))[:MAX_TERMS]


@dataclass(frozen=True)
class OrganisationFilters:
    """What the organisations list is narrowed to (every field optional)."""

    q: str = ""
    kind: str | None = None
    #: a pillar code of :data:`core.directory.vocab.PILLARS`
    pillar: str | None = None
    #: a theme code of :data:`core.directory.vocab.THEMES`
    theme: str | None = None
    signatory: bool | None = None
    #: organisations taking part in this space, themselves or through one of their contacts
    space_id: int | None = None


@dataclass(frozen=True)
class ContactFilters:
    """What the contacts list is narrowed to."""

    q: str = ""
    organisation_id: int | None = None


@dataclass(frozen=True)
class ResultPage(Generic[T]):
    """One page of results, with what pagination needs."""

    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        """The number of pages (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


def _full_text(
    db: Session, stmt: Select[Any], model: type[Organisation] | type[Contact], terms: list[str]
) -> tuple[Select[Any], ColumnElement[Any]]:
    """Restrict ``stmt`` to the rows matching every term (as prefixes); return it with a rank
    expression where smaller is better."""
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        fts_name = "organisation_fts" if model is Organisation else "contact_fts"
        fts = sa.table(fts_name, sa.column("rowid"))
        # each term quoted as an FTS5 string, then "*" for a prefix query; terms are [0-9a-z]+
        match = " ".join(f'"{term}"*' for term in terms)
        stmt = stmt.join(fts, fts.c.rowid == model.id).where(sa.literal_column(fts_name).op("MATCH")(match))
        bm25: ColumnElement[Any] = func.bm25(sa.literal_column(fts_name), NAME_WEIGHT, 1.0)
        return stmt, bm25
    if dialect == "postgresql":
        # the configuration must be a literal, not a parameter, or the GIN expression index
        # would not match a generic (prepared) plan
        config: ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
        vector = func.to_tsvector(config, func.reseau_unaccent(model.search_doc))
        tsquery = func.to_tsquery(config, " & ".join(f"{term}:*" for term in terms))
        stmt = stmt.where(vector.op("@@")(tsquery))
        name_rank = func.ts_rank(func.to_tsvector(config, model.name_key), tsquery)
        rank: ColumnElement[Any] = -(name_rank * NAME_WEIGHT + func.ts_rank(vector, tsquery))
        return stmt, rank
    raise NotImplementedError(f"directory search does not support {dialect!r}")


def _tagged(tag: str) -> ColumnElement[bool]:
    return Organisation.id.in_(select(OrganisationTag.organisation_id).where(OrganisationTag.tag == tag))


def organisations_statement(db: Session, filters: OrganisationFilters) -> Select[Any]:
    """The ordered query behind :func:`search_organisations` (for callers that need the SQL)."""
    stmt = select(Organisation)
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.pillar:
        stmt = stmt.where(_tagged(vocab.pillar_tag(filters.pillar)))
    if filters.theme:
        stmt = stmt.where(_tagged(vocab.theme_tag(filters.theme)))
    if filters.signatory is not None:
        stmt = stmt.where(Organisation.is_signatory.is_(filters.signatory))
    if filters.space_id is not None:
        direct = select(SpaceMembership.organisation_id).where(
            SpaceMembership.space_id == filters.space_id, SpaceMembership.organisation_id.is_not(None)
        )
        through_contacts = (
            select(Affiliation.organisation_id)
            .join(SpaceMembership, SpaceMembership.contact_id == Affiliation.contact_id)
            .where(SpaceMembership.space_id == filters.space_id)
        )
        stmt = stmt.where(sa.or_(Organisation.id.in_(direct), Organisation.id.in_(through_contacts)))
    terms = query_terms(filters.q)
    if terms:
        stmt, rank = _full_text(db, stmt, Organisation, terms)
        return stmt.order_by(rank, Organisation.name_key, Organisation.id)
    return stmt.order_by(Organisation.name_key, Organisation.id)


def contacts_statement(
    db: Session, filters: ContactFilters, *, include_unlisted: bool
) -> Select[Any]:
    """The ordered query behind :func:`search_contacts`."""
    stmt = select(Contact).where(Contact.anonymised_at.is_(None))
    if not include_unlisted:
        stmt = stmt.where(Contact.consent_listed.is_(True))
    if filters.organisation_id is not None:
        stmt = stmt.where(
            Contact.id.in_(
                select(Affiliation.contact_id).where(Affiliation.organisation_id == filters.organisation_id)
            )
        )
    terms = query_terms(filters.q)
    if terms:
        stmt, rank = _full_text(db, stmt, Contact, terms)
        return stmt.order_by(rank, Contact.name_key, Contact.id)
    return stmt.order_by(Contact.name_key, Contact.id)


def _page(
    db: Session, stmt: Select[Any], page: int, per_page: int | None, options: list[Any]
) -> ResultPage[Any]:
    if per_page is None:
        items = list(db.scalars(stmt.options(*options)).unique())
        return ResultPage(items=items, total=len(items), number=1, per_page=0)
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = int(db.scalar(count_stmt) or 0)
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    items = list(db.scalars(stmt.options(*options).limit(per_page).offset((number - 1) * per_page)).unique())
    return ResultPage(items=items, total=total, number=number, per_page=per_page)


def search_organisations(
    db: Session, filters: OrganisationFilters | None = None, *, page: int = 1, per_page: int | None = PER_PAGE
) -> ResultPage[Organisation]:
    """Organisations matching ``filters``, most relevant first, then by name.

    ``page`` is clamped to the existing pages; ``per_page=None`` returns every match on one
    page (CSV export). Tags are loaded with the organisations.
    """
    stmt = organisations_statement(db, filters or OrganisationFilters())
    return _page(db, stmt, page, per_page, [selectinload(Organisation.tags)])


def search_contacts(
    db: Session,
    filters: ContactFilters | None = None,
    *,
    include_unlisted: bool = False,
    page: int = 1,
    per_page: int | None = PER_PAGE,
) -> ResultPage[Contact]:
    """Contacts matching ``filters``, most relevant first, then by family name.

    Contacts who did not consent to be listed are left out unless ``include_unlisted`` (admins
    and animators); erased (anonymised) contacts never appear. Affiliations and their
    organisations are loaded with the contacts.
    """
    stmt = contacts_statement(db, filters or ContactFilters(), include_unlisted=include_unlisted)
    options = [selectinload(Contact.affiliations).selectinload(Affiliation.organisation)]
    return _page(db, stmt, page, per_page, options)

"""Directory pages: organisations and contacts (lists, details, forms), CSV export and import,
vCards. Routes parse the request, check permissions, call the services and render.

Who may do what: organisations are public; contacts (people) only for signed-in users, and
the contacts who did not consent to be listed only for admins and animators; admins and the
animators of any space edit; admins delete and import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import NoMatchFound, Route

from core.directory import csvio, search, services, vocab
from core.directory.forms import (
    AffiliationForm,
    ContactFilterForm,
    ContactForm,
    ImportForm,
    OrganisationFilterForm,
    OrganisationForm,
    choices,
)
from core.directory.models import Contact, Organisation
from core.directory.vcard import contact_vcard, vcard_filename
from core.i18n import PARIS
from core.spaces.models import Space
from core.web.context import RequestContext, page
from core.web.forms import BaseForm, bind

F = Any  # a form instance (WTForms forms are not generic)


# ----------------------------------------------------------------------------------- helpers


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _page_number(ctx: RequestContext) -> int:
    return _int(ctx.request.query_params.get("page")) or 1


def _require_editor(ctx: RequestContext) -> None:
    ctx.require_user()
    if not services.may_edit(ctx.db, ctx.user):
        raise HTTPException(403)


def _not_found() -> HTTPException:
    return HTTPException(404)


def _organisation_or_404(ctx: RequestContext) -> Organisation:
    organisation_id = _int(ctx.request.path_params["organisation_id"])
    org = services.get_organisation(ctx.db, organisation_id) if organisation_id else None
    if org is None:
        raise _not_found()
    return org


def _visible_contact_or_404(ctx: RequestContext) -> Contact:
    ctx.require_user()
    contact_id = _int(ctx.request.path_params["contact_id"])
    contact = services.get_contact(ctx.db, contact_id) if contact_id else None
    if contact is None or not services.may_see_contact(ctx.db, ctx.user, contact):
        raise _not_found()
    return contact


def _form(
    ctx: RequestContext, form_class: type[BaseForm], *, posted: bool, obj: Any = None, **data: Any
) -> F:
    """A form bound to the POSTed data when ``posted``, else to ``obj``/``data`` (another form
    of the same page was posted)."""
    if posted:
        return bind(ctx, form_class, obj=obj, **data)
    meta = {"locales": ("fr_FR", "fr") if ctx.language == "fr" else ("en",)}
    return form_class(formdata=None, obj=obj, meta=meta, **data)


def _apply_errors(form: F, errors: Mapping[str, str], fallback: str) -> None:
    for name, message in errors.items():
        field = form._fields.get(name) or form._fields[fallback]
        field.errors = [*field.errors, message]


def _label(vocabulary: Mapping[str, Any], code: str) -> str:
    label = vocabulary.get(code)
    return str(label) if label is not None else code


@dataclass(frozen=True)
class OrganisationView:
    """An organisation with the labels its pages show."""

    organisation: Organisation
    kind: str
    pillars: list[str]
    themes: list[str]


def _view(org: Organisation) -> OrganisationView:
    tags = [t.tag for t in org.tags]
    return OrganisationView(
        organisation=org,
        kind=_label(vocab.ORGANISATION_KINDS, org.kind),
        pillars=[_label(vocab.PILLARS, c) for c in vocab.codes(tags, "pillar")],
        themes=[_label(vocab.THEMES, c) for c in vocab.codes(tags, "theme")],
    )


def space_url(ctx: RequestContext, space: Space) -> str | None:
    """The page of a space, once the spaces area provides one (``spaces:detail``)."""
    try:
        return ctx.url_for("spaces:detail", slug=space.slug)
    except NoMatchFound:
        return None


def _role_label(ctx: RequestContext, role: str) -> str:
    declared = ctx.state.registry.space_roles.get(role)
    return str(declared.label) if declared is not None else role


def _attachment(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _today(ctx: RequestContext) -> str:
    return ctx.now().astimezone(PARIS).date().isoformat()


# ------------------------------------------------------------------------------ organisations


def _organisation_filters(ctx: RequestContext) -> tuple[F, search.OrganisationFilters, dict[str, str]]:
    """The filter form (from the query string), the filters it means and the query to keep."""
    form = OrganisationFilterForm(ctx.request.query_params, meta={"locales": ("fr_FR", "fr")})
    spaces = ctx.db.execute(
        select(Space.id, Space.name).where(Space.closed_at.is_(None)).order_by(Space.name)
    )
    form.espace.choices = choices([("", ctx._("Tous")), *((str(i), n) for i, n in spaces)])
    q = (form.q.data or "")[: search.MAX_QUERY_LENGTH]
    kind = form.type.data if form.type.data in vocab.ORGANISATION_KINDS else None
    pillar = form.pilier.data if form.pilier.data in vocab.PILLARS else None
    theme = form.theme.data if form.theme.data in vocab.THEMES else None
    signatory = {"oui": True, "non": False}.get(form.signataire.data or "")
    space_id = _int(form.espace.data)
    filters = search.OrganisationFilters(
        q=q, kind=kind, pillar=pillar, theme=theme, signatory=signatory, space_id=space_id
    )
    query = {
        "q": q,
        "type": kind or "",
        "pilier": pillar or "",
        "theme": theme or "",
        "signataire": form.signataire.data if signatory is not None else "",
        "espace": str(space_id) if space_id else "",
    }
    return form, filters, {k: v for k, v in query.items() if v}


@page
def organisations(ctx: RequestContext) -> Response:
    """The organisations: search, filters, 20 per page, most relevant then by name (public)."""
    form, filters, query = _organisation_filters(ctx)
    results = search.search_organisations(ctx.db, filters, page=_page_number(ctx))

    def url_for_page(number: int) -> str:
        return ctx.url_for("directory:organisations", query={**query, "page": number})

    return ctx.render(
        "directory/organisations.html",
        form=form,
        results=results,
        rows=[_view(o) for o in results.items],
        searched=bool(query),
        url_for_page=url_for_page,
        export_url=ctx.url_for("directory:organisations_csv", query=query),
        can_edit=services.may_edit(ctx.db, ctx.user),
        is_admin=bool(ctx.user and ctx.user.is_admin),
    )


@page
def organisations_csv(ctx: RequestContext) -> Response:
    """The filtered organisations as a CSV file for French Excel (public, like the list)."""
    _, filters, _query = _organisation_filters(ctx)
    results = search.search_organisations(ctx.db, filters, per_page=None)
    body = csvio.organisations_csv(results.items)
    return _attachment(body, "text/csv; charset=utf-8", f"annuaire-organisations-{_today(ctx)}.csv")


@page
def organisation(ctx: RequestContext) -> Response:
    """An organisation's page: every field, its contacts (signed-in users), its spaces, panels."""
    org = _organisation_or_404(ctx)
    user = ctx.user
    affiliations = (
        services.organisation_contacts(
            ctx.db,
            org.id,
            include_unlisted=services.may_see_unlisted(ctx.db, user),
            viewer_contact_id=user.contact_id,
        )
        if user is not None
        else []
    )
    ties = services.organisation_spaces(ctx.db, org.id, with_people=True)
    spaces: dict[int, dict[str, Any]] = {}
    for tie in ties:
        entry = spaces.setdefault(
            tie.space.id,
            {"space": tie.space, "url": space_url(ctx, tie.space), "roles": [], "through_people": False},
        )
        if tie.through is None:
            entry["roles"].append(_role_label(ctx, tie.role))
        else:
            entry["through_people"] = True
    return ctx.render(
        "directory/organisation.html",
        view=_view(org),
        org=org,
        affiliations=affiliations,
        spaces=list(spaces.values()),
        panels=ctx.state.hooks.partner_panels(ctx, org, None),
        can_edit=services.may_edit(ctx.db, user),
        is_admin=bool(user and user.is_admin),
    )


def _organisation_values(form: F) -> dict[str, Any]:
    values = {name: form[name].data for name in services.ORGANISATION_FIELDS}
    values.update(pillars=form.pillars.data or [], themes=form.themes.data or [])
    return values


def _organisation_form_page(ctx: RequestContext, form: F, org: Organisation | None, status: int) -> Response:
    return ctx.render(
        "directory/organisation_form.html",
        form=form,
        org=org,
        show_confirm=bool(form.confirm_duplicate.errors) or bool(form.confirm_duplicate.data),
        status_code=status,
    )


def _save_organisation(ctx: RequestContext, form: F, org: Organisation | None) -> Response:
    refuse = not form.confirm_duplicate.data
    try:
        if org is None:
            org = services.create_organisation(
                ctx.db, ctx.user, _organisation_values(form), refuse_duplicates=refuse
            )
            message = ctx._("L'organisation a été ajoutée à l'annuaire.")
        else:
            changes = services.update_organisation(
                ctx.db, ctx.user, org, _organisation_values(form), refuse_duplicates=refuse
            )
            message = ctx._("Modifications enregistrées.") if changes else ctx._("Aucune modification.")
    except services.InvalidInput as exc:
        _apply_errors(form, exc.errors, "name")
        if isinstance(exc, services.DuplicateSuspected):
            form.confirm_duplicate.errors = [ctx._("Cochez cette case pour enregistrer quand même.")]
        # nothing of this request is kept: the page is shown again with what was typed
        ctx.db.rollback()
        return _organisation_form_page(ctx, form, org, 400)
    return ctx.redirect(ctx.url_for("directory:organisation", organisation_id=org.id), flash=message)


@page
def organisation_new(ctx: RequestContext) -> Response:
    """Add an organisation (admins and animators)."""
    _require_editor(ctx)
    form = bind(ctx, OrganisationForm)
    if ctx.form is not None:
        return _save_organisation(ctx, form, None)
    return _organisation_form_page(ctx, form, None, 200)


@page
def organisation_edit(ctx: RequestContext) -> Response:
    """Edit an organisation (admins and animators)."""
    _require_editor(ctx)
    org = _organisation_or_404(ctx)
    tags = [t.tag for t in org.tags]
    form = bind(
        ctx,
        OrganisationForm,
        obj=org,
        pillars=vocab.codes(tags, "pillar"),
        themes=vocab.codes(tags, "theme"),
    )
    if ctx.form is not None:
        return _save_organisation(ctx, form, org)
    return _organisation_form_page(ctx, form, org, 200)


def _confirm_then_delete(
    ctx: RequestContext, delete: Callable[[], None], *, title: str, warning: str, done: str, message: str
) -> Response:
    """GET: ask for a confirmation; POST: ``delete()`` and go to ``done`` with ``message``."""
    if ctx.form is not None:
        delete()
        return ctx.redirect(done, flash=message)
    return ctx.render(
        "directory/confirm_delete.html",
        title=title,
        warning=warning,
        action=ctx.request.url.path,
        back=ctx.request.url.path.rsplit("/", 1)[0],
    )


@page
def organisation_delete(ctx: RequestContext) -> Response:
    """Confirm, then delete an organisation (admins)."""
    ctx.require_admin()
    org = _organisation_or_404(ctx)
    return _confirm_then_delete(
        ctx,
        lambda: services.delete_organisation(ctx.db, ctx.user, org),
        title=ctx._("Supprimer l'organisation « %(name)s »", name=org.name),
        warning=ctx._(
            "Ses rattachements de contacts et ses participations aux espaces seront supprimés aussi."
        ),
        done=ctx.url_for("directory:organisations"),
        message=ctx._("L'organisation « %(name)s » a été supprimée.", name=org.name),
    )


# ----------------------------------------------------------------------------------- contacts


def _contact_filters(
    ctx: RequestContext,
) -> tuple[F, search.ContactFilters, dict[str, str], Organisation | None]:
    form = ContactFilterForm(ctx.request.query_params, meta={"locales": ("fr_FR", "fr")})
    q = (form.q.data or "")[: search.MAX_QUERY_LENGTH]
    organisation_id = _int(ctx.request.query_params.get("organisation"))
    org = ctx.db.get(Organisation, organisation_id) if organisation_id else None
    filters = search.ContactFilters(q=q, organisation_id=org.id if org else None)
    query = {k: v for k, v in {"q": q, "organisation": str(org.id) if org else ""}.items() if v}
    return form, filters, query, org


@page
def contacts(ctx: RequestContext) -> Response:
    """The contacts (signed-in users; the unlisted ones only for admins and animators)."""
    user = ctx.require_user()
    form, filters, query, org = _contact_filters(ctx)
    include_unlisted = services.may_see_unlisted(ctx.db, user)
    results = search.search_contacts(
        ctx.db, filters, include_unlisted=include_unlisted, page=_page_number(ctx)
    )

    def url_for_page(number: int) -> str:
        return ctx.url_for("directory:contacts", query={**query, "page": number})

    can_edit = services.may_edit(ctx.db, user)
    return ctx.render(
        "directory/contacts.html",
        form=form,
        results=results,
        organisation=org,
        searched=bool(query),
        url_for_page=url_for_page,
        export_url=ctx.url_for("directory:contacts_csv", query=query) if can_edit else None,
        can_edit=can_edit,
        include_unlisted=include_unlisted,
    )


@page
def contacts_csv(ctx: RequestContext) -> Response:
    """The filtered contacts as a CSV file (admins and animators: it is personal data in bulk)."""
    _require_editor(ctx)
    _, filters, _query, _org = _contact_filters(ctx)
    results = search.search_contacts(ctx.db, filters, include_unlisted=True, per_page=None)
    body = csvio.contacts_csv(results.items)
    return _attachment(body, "text/csv; charset=utf-8", f"annuaire-contacts-{_today(ctx)}.csv")


@page
def contact(ctx: RequestContext) -> Response:
    """A contact's page: function, email, phone, organisations, spaces, plugins' panels."""
    person = _visible_contact_or_404(ctx)
    ties = services.contact_spaces(ctx.db, person.id)
    spaces = [
        {"space": t.space, "url": space_url(ctx, t.space), "role": _role_label(ctx, t.role)} for t in ties
    ]
    affiliations = sorted(person.affiliations, key=lambda a: (not a.is_primary, a.organisation.name_key))
    return ctx.render(
        "directory/contact.html",
        person=person,
        affiliations=affiliations,
        spaces=spaces,
        panels=ctx.state.hooks.partner_panels(ctx, None, person),
        can_edit=services.may_edit(ctx.db, ctx.user),
        is_admin=bool(ctx.user and ctx.user.is_admin),
    )


@page
def contact_vcf(ctx: RequestContext) -> Response:
    """A contact as a vCard file."""
    person = _visible_contact_or_404(ctx)
    body = contact_vcard(person, now=ctx.now())
    return _attachment(body, "text/vcard; charset=utf-8", vcard_filename(person))


def _organisation_choices(ctx: RequestContext, empty: str) -> list[Any]:
    return choices([("", empty), *((str(i), name) for i, name in services.organisation_choices(ctx.db))])


def _contact_values(form: F) -> dict[str, Any]:
    return {name: form[name].data for name in services.CONTACT_FIELDS}


def _contact_form_page(
    ctx: RequestContext, form: F, person: Contact | None, status: int, affiliation_form: F | None = None
) -> Response:
    affiliations = []
    if person is not None:
        affiliations = sorted(person.affiliations, key=lambda a: (not a.is_primary, a.organisation.name_key))
        if affiliation_form is None:
            affiliation_form = _form(ctx, AffiliationForm, posted=False)
        affiliation_form.organisation.choices = _organisation_choices(ctx, ctx._("Choisir une organisation"))
    else:
        form.organisation.choices = _organisation_choices(ctx, ctx._("Aucune pour l'instant"))
    return ctx.render(
        "directory/contact_form.html",
        form=form,
        person=person,
        affiliations=affiliations,
        affiliation_form=affiliation_form,
        show_confirm=bool(form.confirm_duplicate.errors) or bool(form.confirm_duplicate.data),
        status_code=status,
    )


def _form_failed(ctx: RequestContext, form: F, exc: services.InvalidInput, fallback: str) -> None:
    _apply_errors(form, exc.errors, fallback)
    if isinstance(exc, services.DuplicateSuspected):
        form.confirm_duplicate.errors = [ctx._("Cochez cette case pour enregistrer quand même.")]
    ctx.db.rollback()


@page
def contact_new(ctx: RequestContext) -> Response:
    """Add a contact, with a first organisation (admins and animators)."""
    _require_editor(ctx)
    preset = ctx.request.query_params.get("organisation", "")
    form = bind(ctx, ContactForm, organisation=preset if _int(preset) else "")
    if ctx.form is None:
        return _contact_form_page(ctx, form, None, 200)
    organisation_id = _int(form.organisation.data)
    org = ctx.db.get(Organisation, organisation_id) if organisation_id else None
    try:
        if form.organisation.data and org is None:
            raise services.InvalidInput({"organisation": ctx._("Cette organisation n'existe pas.")})
        services.clean_role(form.role.data)
        person = services.create_contact(
            ctx.db,
            ctx.user,
            _contact_values(form),
            now=ctx.now(),
            refuse_duplicates=not form.confirm_duplicate.data,
        )
        if org is not None:
            services.set_affiliation(ctx.db, ctx.user, person, org, form.role.data or person.function)
    except services.InvalidInput as exc:
        _form_failed(ctx, form, exc, "last_name")
        return _contact_form_page(ctx, form, None, 400)
    return ctx.redirect(
        ctx.url_for("directory:contact", contact_id=person.id),
        flash=ctx._("Le contact a été ajouté à l'annuaire."),
    )


@page
def contact_edit(ctx: RequestContext) -> Response:
    """Edit a contact and their organisations (admins and animators)."""
    _require_editor(ctx)
    person = _visible_contact_or_404(ctx)
    form = bind(ctx, ContactForm, obj=person)
    if ctx.form is None:
        return _contact_form_page(ctx, form, person, 200)
    try:
        changes = services.update_contact(
            ctx.db,
            ctx.user,
            person,
            _contact_values(form),
            now=ctx.now(),
            refuse_duplicates=not form.confirm_duplicate.data,
        )
    except services.InvalidInput as exc:
        _form_failed(ctx, form, exc, "last_name")
        return _contact_form_page(ctx, form, services.get_contact(ctx.db, person.id), 400)
    message = ctx._("Modifications enregistrées.") if changes else ctx._("Aucune modification.")
    return ctx.redirect(ctx.url_for("directory:contact", contact_id=person.id), flash=message)


@page
def affiliation_add(ctx: RequestContext) -> Response:
    """Tie a contact to an organisation, or change the role of an existing tie."""
    _require_editor(ctx)
    person = _visible_contact_or_404(ctx)
    affiliation_form = bind(ctx, AffiliationForm)
    organisation_id = _int(affiliation_form.organisation.data)
    org = ctx.db.get(Organisation, organisation_id) if organisation_id else None
    try:
        if org is None:
            raise services.InvalidInput({"organisation": ctx._("Choisissez une organisation de l'annuaire.")})
        services.set_affiliation(
            ctx.db,
            ctx.user,
            person,
            org,
            affiliation_form.role.data or "",
            is_primary=bool(affiliation_form.is_primary.data),
        )
    except services.InvalidInput as exc:
        _apply_errors(affiliation_form, exc.errors, "organisation")
        ctx.db.rollback()
        person = services.get_contact(ctx.db, person.id) or person
        form = _form(ctx, ContactForm, posted=False, obj=person)
        return _contact_form_page(ctx, form, person, 400, affiliation_form)
    return ctx.redirect(
        ctx.url_for("directory:contact_edit", contact_id=person.id),
        flash=ctx._("Rattachement à « %(name)s » enregistré.", name=org.name),
    )


@page
def affiliation_remove(ctx: RequestContext) -> Response:
    """Untie a contact from an organisation."""
    _require_editor(ctx)
    person = _visible_contact_or_404(ctx)
    affiliation_id = _int(ctx.request.path_params["affiliation_id"])
    affiliation = services.get_affiliation(ctx.db, affiliation_id) if affiliation_id else None
    if affiliation is None or affiliation.contact_id != person.id:
        raise _not_found()
    org = ctx.db.get(Organisation, affiliation.organisation_id)
    services.remove_affiliation(ctx.db, ctx.user, affiliation)
    return ctx.redirect(
        ctx.url_for("directory:contact_edit", contact_id=person.id),
        flash=ctx._("Rattachement à « %(name)s » retiré.", name=org.name if org else ""),
    )


@page
def contact_delete(ctx: RequestContext) -> Response:
    """Confirm, then delete a contact (admins)."""
    ctx.require_admin()
    person = _visible_contact_or_404(ctx)
    return _confirm_then_delete(
        ctx,
        lambda: services.delete_contact(ctx.db, ctx.user, person),
        title=ctx._("Supprimer le contact « %(name)s »", name=person.full_name),
        warning=ctx._(
            "Ses rattachements et ses participations aux espaces seront supprimés aussi ; "
            "un compte lié à ce contact continue d'exister."
        ),
        done=ctx.url_for("directory:contacts"),
        message=ctx._("Le contact « %(name)s » a été supprimé.", name=person.full_name),
    )


# ------------------------------------------------------------------------------------- import


def _columns_help() -> dict[str, tuple[csvio.Column, ...]]:
    return dict(csvio.COLUMNS)


@page
def import_csv(ctx: RequestContext) -> Response:
    """Upload a CSV file of organisations or contacts: check it (dry run) or import it (admins)."""
    ctx.require_admin()
    form = bind(ctx, ImportForm)
    report: csvio.ImportReport | None = None
    status = 200
    if ctx.form is not None:
        kind = form.kind.data if form.kind.data in csvio.KINDS else "organisations"
        form.kind.data = kind
        upload = ctx.form.get("file")
        dry_run = ctx.form.get("action") != "import"
        if not isinstance(upload, UploadFile) or not upload.filename:
            form.file.errors = [ctx._("Choisissez un fichier CSV.")]
            status = 400
        elif (upload.size or 0) > csvio.IMPORT_MAX_BYTES:
            form.file.errors = [
                ctx._(
                    "Le fichier est trop volumineux : %(max)s Mo au plus. Découpez-le en plusieurs fichiers.",
                    max=csvio.IMPORT_MAX_BYTES // (1024 * 1024),
                )
            ]
            status = 400
        else:
            data = upload.file.read(csvio.IMPORT_MAX_BYTES + 1)
            report = csvio.import_csv(
                ctx.db,
                ctx.user,
                data,
                kind=kind,
                dry_run=dry_run,
                allow_duplicates=bool(form.allow_duplicates.data),
                now=ctx.now(),
            )
            if not dry_run and not report.blocked:
                target = "directory:organisations" if kind == "organisations" else "directory:contacts"
                return ctx.redirect(ctx.url_for(target), flash=report.summary())
            status = 400 if report.blocked else 200
    return ctx.render(
        "directory/import.html",
        form=form,
        report=report,
        columns=_columns_help(),
        max_mb=csvio.IMPORT_MAX_BYTES // (1024 * 1024),
        status_code=status,
    )


routes = [
    Route("/", organisations, name="organisations"),
    Route("/organisations.csv", organisations_csv, name="organisations_csv"),
    Route("/organisations/nouvelle", organisation_new, methods=["GET", "POST"], name="organisation_new"),
    Route("/organisations/{organisation_id:int}", organisation, name="organisation"),
    Route(
        "/organisations/{organisation_id:int}/modifier",
        organisation_edit,
        methods=["GET", "POST"],
        name="organisation_edit",
    ),
    Route(
        "/organisations/{organisation_id:int}/supprimer",
        organisation_delete,
        methods=["GET", "POST"],
        name="organisation_delete",
    ),
    Route("/contacts", contacts, name="contacts"),
    Route("/contacts.csv", contacts_csv, name="contacts_csv"),
    Route("/contacts/nouveau", contact_new, methods=["GET", "POST"], name="contact_new"),
    Route("/contacts/{contact_id:int}", contact, name="contact"),
    Route("/contacts/{contact_id:int}/vcard", contact_vcf, name="contact_vcard"),
    Route("/contacts/{contact_id:int}/modifier", contact_edit, methods=["GET", "POST"], name="contact_edit"),
    Route(
        "/contacts/{contact_id:int}/supprimer", contact_delete, methods=["GET", "POST"], name="contact_delete"
    ),
    Route(
        "/contacts/{contact_id:int}/organisations", affiliation_add, methods=["POST"], name="affiliation_add"
    ),
    Route(
        "/contacts/{contact_id:int}/organisations/{affiliation_id:int}/retirer",
        affiliation_remove,
        methods=["POST"],
        name="affiliation_remove",
    ),
    Route("/import", import_csv, methods=["GET", "POST"], name="import"),
]

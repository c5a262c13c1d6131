"""A contact as a vCard 3.0 (built with ``vobject``, which does the escaping and folding)."""

from __future__ import annotations

from datetime import datetime

import vobject

from core.directory.models import Contact
from core.directory.normalise import fold


def contact_vcard(contact: Contact, *, now: datetime | None = None) -> str:
    """The vCard text of a contact whose affiliations (and their organisations) are loaded."""
    card = vobject.vCard()
    card.add("fn").value = contact.full_name or contact.last_name
    card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=contact.first_name)
    ties = sorted(contact.affiliations, key=lambda a: (not a.is_primary, a.id))
    if ties:
        card.add("org").value = [ties[0].organisation.name]
    if contact.function:
        card.add("title").value = contact.function
    role = ties[0].role if ties else ""
    if role and role != contact.function:
        card.add("role").value = role
    if contact.email:
        email = card.add("email")
        email.value = contact.email
        email.type_param = "INTERNET"
    if contact.phone:
        tel = card.add("tel")
        tel.value = contact.phone
        tel.type_param = "WORK"
    if now is not None:
        card.add("rev").value = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    card.add("uid").value = f"reseau-contact-{contact.id}"
    return str(card.serialize())


def vcard_filename(contact: Contact) -> str:
    """An ASCII file name for the download, e.g. ``lea-nguyen.vcf``."""
    stem = "-".join(fold(contact.full_name).split()) or f"contact-{contact.id}"
    return f"{stem[:60]}.vcf"

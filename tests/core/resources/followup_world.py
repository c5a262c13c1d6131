"""A small network for the follow-up and resources tests: two spaces, their animators and
members, an admin, an outsider, meetings with invitees from several organisations (names with
accents), so every permission and every page can be checked through HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from sqlalchemy.orm import Session

from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.calendar.models import MEMBERS, PUBLIC, Invitation, Meeting
from core.directory.models import Affiliation, Contact, Organisation
from core.directory.normalise import fold, name_key
from core.spaces.models import ANIMATOR, MEMBER, Space, SpaceMembership

PASSWORD = "mot-de-passe-de-test"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    """Ids of what :func:`build_world` created (objects stay usable after commit)."""

    space_a: Space
    space_b: Space
    meeting: Meeting
    public_meeting: Meeting
    meeting_b: Meeting
    orgs: dict[str, Organisation] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return self.users[who].email


def _org(db: Session, name: str, signatory: bool) -> Organisation:
    org = Organisation(name=name, name_key=name_key(name), is_signatory=signatory, kind="autre")
    db.add(org)
    db.flush()
    return org


def _contact(db: Session, first: str, last: str, org: Organisation | None, function: str = "") -> Contact:
    contact = Contact(
        first_name=first,
        last_name=last,
        function=function,
        email=f"{fold(first).replace(' ', '')}.{fold(last).replace(' ', '-')}@example.org",
        search_doc=fold(f"{first} {last} {function}"),
    )
    db.add(contact)
    db.flush()
    if org is not None:
        db.add(Affiliation(contact_id=contact.id, organisation_id=org.id, role=function))
    return contact


def _user(db: Session, email: str, name: str, contact: Contact | None, admin: bool = False) -> User:
    user = User(
        email=email,
        password_hash=_password_hash(),
        display_name=name,
        is_admin=admin,
        contact_id=contact.id if contact is not None else None,
    )
    db.add(user)
    db.flush()
    return user


def build_world(db: Session) -> World:
    """Create the world and commit it."""
    orgs = {
        "prefecture": _org(db, "Préfecture du Val-de-Marne", True),
        "ville": _org(db, "Ville de Villiers-sur-Marne", True),
        "caf": _org(db, "Caisse d'Allocations Familiales", True),
        "asso": _org(db, "Association Élan Solidaire", False),
    }
    contacts = {
        "anim_a": _contact(db, "Hélène", "Garnier", orgs["ville"], "Cheffe de projet"),
        "member_a": _contact(db, "Jérôme", "Bœuf", orgs["asso"], "Président"),
        "anim_b": _contact(db, "Noël", "Çelik", orgs["ville"], "Chargé de mission"),
        "outsider": _contact(db, "Zoë", "Lemaître", orgs["asso"], "Bénévole"),
        "prefet": _contact(db, "Françoise", "Dupré", orgs["prefecture"], "Déléguée du préfet"),
        "caf": _contact(db, "Aïcha", "Traoré", orgs["caf"], "Conseillère"),
        "walkin": _contact(db, "Mélanie", "Côté", orgs["asso"], "Habitante"),
        "no_org": _contact(db, "Éric", "Sans-Structure", None),
    }
    space_a = Space(slug="habitat", name="Groupe technique Habitat et cadre de vie", kind="core.espace")
    space_b = Space(slug="club", name="Club des acteurs de l'économie", kind="core.espace")
    db.add_all([space_a, space_b])
    db.flush()
    db.add_all(
        [
            SpaceMembership(space_id=space_a.id, role=ANIMATOR, contact_id=contacts["anim_a"].id),
            SpaceMembership(space_id=space_a.id, role=MEMBER, contact_id=contacts["member_a"].id),
            SpaceMembership(space_id=space_b.id, role=ANIMATOR, contact_id=contacts["anim_b"].id),
        ]
    )
    users = {
        "admin": _user(db, "admin@example.org", "Alice Admin", None, admin=True),
        "anim_a": _user(db, "helene@example.org", "Hélène Garnier", contacts["anim_a"]),
        "member_a": _user(db, "jerome@example.org", "Jérôme Bœuf", contacts["member_a"]),
        "anim_b": _user(db, "noel@example.org", "Noël Çelik", contacts["anim_b"]),
        "outsider": _user(db, "zoe@example.org", "Zoë Lemaître", contacts["outsider"]),
        "prefet": _user(db, "francoise@example.org", "Françoise Dupré", contacts["prefet"]),
    }
    meeting = Meeting(
        space_id=space_a.id,
        title="Groupe Habitat – réunion de printemps",
        starts_at=datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
        location="Hôtel de ville, place de l'Église",
        room="Salle des fêtes",
        visibility=MEMBERS,
    )
    public_meeting = Meeting(
        space_id=space_a.id,
        title="Réunion publique du quartier",
        starts_at=datetime(2026, 3, 12, 17, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 12, 19, 0, tzinfo=UTC),
        location="Maison de quartier",
        visibility=PUBLIC,
    )
    meeting_b = Meeting(
        space_id=space_b.id,
        title="Club – petit-déjeuner des entreprises",
        starts_at=datetime(2026, 3, 11, 7, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        visibility=MEMBERS,
    )
    db.add_all([meeting, public_meeting, meeting_b])
    db.flush()
    for key, org in (
        ("anim_a", "ville"),
        ("member_a", "asso"),
        ("prefet", "prefecture"),
        ("caf", "caf"),
        ("no_org", None),
    ):
        db.add(
            Invitation(
                meeting_id=meeting.id,
                contact_id=contacts[key].id,
                organisation_id=orgs[org].id if org else None,
                response="declined" if key == "caf" else "accepted",
            )
        )
    db.add(
        Invitation(
            meeting_id=meeting_b.id, contact_id=contacts["anim_b"].id, organisation_id=orgs["ville"].id
        )
    )
    db.commit()
    return World(space_a, space_b, meeting, public_meeting, meeting_b, orgs, contacts, users)


def sign_in(client: object, world: World, who: str) -> None:
    """Sign ``who`` (a key of ``world.users``) in on ``client``; ``None`` signs out."""
    from tests.helpers import login, logout

    logout(client)  # type: ignore[arg-type]
    if who != "anonymous":
        login(client, world.email(who), PASSWORD)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- sample files


def pdf_bytes(text: str = "Bonjour") -> bytes:
    """A real, small PDF."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def zip_bytes(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    """A zip archive with these entries (the first one stored uncompressed when asked, as ODF needs)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            compress = zipfile.ZIP_STORED if (stored_first and i == 0) else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buf.getvalue()


def docx_bytes(extra: list[tuple[str, bytes]] | None = None) -> bytes:
    """A minimal Word package."""
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            ),
            ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
            ("word/document.xml", b'<?xml version="1.0"?><w:document/>'),
            *(extra or []),
        ]
    )


def odt_bytes() -> bytes:
    """A minimal OpenDocument text (``mimetype`` first and stored)."""
    return zip_bytes(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
            ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest/>'),
        ],
        stored_first=True,
    )

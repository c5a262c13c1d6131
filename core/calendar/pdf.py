"""PDF documents of the follow-up: the sign-in sheet (émargement) and the published minutes.

Built with fpdf2 and the vendored DejaVu Sans fonts (``core/static/fonts``), so every name
prints with its accents whatever the machine's fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle

from core.i18n import format_date, format_datetime, format_time
from core.i18n import gettext as _

if TYPE_CHECKING:
    from core.calendar.attendance import OrgGroup
    from core.calendar.models import ActionItem, Decision, Meeting
    from core.spaces.models import Space

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FAMILY = "DejaVu"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
GREY = (235, 236, 240)
INK = (27, 27, 31)


class _Document(FPDF):
    """A4 portrait with the DejaVu fonts and a footer giving the page number."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        for style, filename in _FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONT_DIR / filename))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_text_color(*INK)
        self.set_font(FAMILY, size=10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Page %(n)s sur %(total)s", n=self.page_no(), total="{nb}"), align="R")


def _when(meeting: Meeting) -> str:
    start = format_datetime(meeting.starts_at)
    if format_date(meeting.starts_at) == format_date(meeting.ends_at):
        return f"{start} – {format_time(meeting.ends_at)}"
    return f"{start} – {format_datetime(meeting.ends_at)}"


def _where(meeting: Meeting) -> str:
    parts = [p for p in (meeting.location, meeting.room) if p]
    if meeting.online_url:
        parts.append(_("en ligne"))
    return ", ".join(parts)


def _heading(pdf: _Document, kicker: str, meeting: Meeting, space: Space) -> None:
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, kicker, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, 7, meeting.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 5.5, space.name, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5.5, _("Date : %(when)s", when=_when(meeting)), new_x="LMARGIN", new_y="NEXT")
    where = _where(meeting)
    if where:
        pdf.multi_cell(0, 5.5, _("Lieu : %(where)s", where=where), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def signin_sheet_pdf(
    meeting: Meeting, space: Space, groups: Sequence[OrgGroup], blank_lines: int, generated_at: datetime
) -> bytes:
    """The sign-in sheet: invitees grouped by organisation with a signature column, then
    ``blank_lines`` empty lines for people who come without an invitation."""
    pdf = _Document(_("Réseau – feuille d'émargement, éditée le %(d)s", d=format_datetime(generated_at)))
    pdf.set_title(_("Feuille d'émargement – %(title)s", title=meeting.title))
    pdf.set_author("Réseau")
    pdf.add_page()
    _heading(pdf, _("Feuille d'émargement"), meeting, space)
    group_style = FontFace(emphasis="BOLD", fill_color=GREY)
    headings = FontFace(emphasis="BOLD", fill_color=(210, 214, 224))
    with pdf.table(
        col_widths=(62, 48, 70),
        line_height=6,
        padding=2,
        headings_style=headings,
        repeat_headings=1,
        text_align=("LEFT", "LEFT", "LEFT"),
    ) as table:
        head = table.row()
        for label in (_("Nom et prénom"), _("Fonction"), _("Signature")):
            head.cell(label)
        for group in groups:
            row = table.row()
            name = group.organisation.name if group.organisation else _("Sans organisation")
            row.cell(name, colspan=3, style=group_style)
            for person in group.people:
                row = table.row()
                row.cell(person.contact.full_name + "\n ")
                row.cell(person.contact.function)
                row.cell(_("excusé·e") if person.declined else "")
        if blank_lines:
            row = table.row()
            row.cell(
                _("Personnes présentes sans invitation (nom, prénom, structure)"),
                colspan=3,
                style=group_style,
            )
            for _line in range(blank_lines):
                row = table.row()
                row.cell("\n ")
                row.cell("")
                row.cell("")
    return bytes(pdf.output())


def minutes_pdf(
    meeting: Meeting,
    space: Space,
    body_html: str,
    present: Sequence[OrgGroup],
    excused: Sequence[str],
    decisions: Sequence[Decision],
    action_items: Sequence[ActionItem],
    published_at: datetime,
) -> bytes:
    """The published minutes: who came, the sanitised compte rendu, decisions and actions."""
    pdf = _Document(_("Réseau – compte rendu publié le %(d)s", d=format_datetime(published_at)))
    pdf.set_title(_("Compte rendu – %(title)s", title=meeting.title))
    pdf.set_author("Réseau")
    pdf.add_page()
    _heading(pdf, _("Compte rendu"), meeting, space)

    def section(title: str) -> None:
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, size=10)

    section(_("Présents"))
    if present:
        for group in present:
            name = group.organisation.name if group.organisation else _("Sans organisation")
            people = ", ".join(p.contact.full_name for p in group.people if p.present)
            pdf.multi_cell(0, 5.5, f"{name} : {people}", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 5.5, _("Présences non relevées."), new_x="LMARGIN", new_y="NEXT")
    if excused:
        section(_("Excusés"))
        pdf.multi_cell(0, 5.5, ", ".join(excused), new_x="LMARGIN", new_y="NEXT")
    if body_html.strip():
        section(_("Compte rendu"))
        _write_html(pdf, body_html)
    if decisions:
        section(_("Décisions"))
        for number, decision in enumerate(decisions, start=1):
            pdf.multi_cell(0, 5.5, f"{number}. {decision.text}", new_x="LMARGIN", new_y="NEXT")
    if action_items:
        section(_("Actions à mener"))
        with pdf.table(
            col_widths=(80, 45, 30, 25),
            line_height=5.5,
            padding=1.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=GREY),
        ) as table:
            head = table.row()
            for label in (_("Action"), _("Responsable"), _("Échéance"), _("État")):
                head.cell(label)
            for item in action_items:
                row = table.row()
                row.cell(item.title)
                row.cell(item.owner.full_name if item.owner is not None else "")
                row.cell(format_date(item.due_on, "short") if item.due_on else "")
                row.cell(status_label(item.status))
    return bytes(pdf.output())


def status_label(status: str) -> str:
    """The French label of an action item's status."""
    from core.calendar.models import DONE, DROPPED

    if status == DONE:
        return _("faite")
    if status == DROPPED:
        return _("abandonnée")
    return _("à faire")


def _write_html(pdf: _Document, body_html: str) -> None:
    """The sanitised minutes, rendered by fpdf2; as plain text if fpdf2 cannot lay them out."""
    from core.calendar.minutes import plain_text

    styles: dict[str, FontFace | TextStyle] = {
        "code": FontFace(family=FAMILY),
        "pre": TextStyle(font_family=FAMILY, t_margin=2),
        "a": FontFace(color="#1f3a8a", emphasis="UNDERLINE"),
    }
    for level, size in ((1, 14), (2, 13), (3, 12), (4, 11), (5, 10), (6, 10)):
        styles[f"h{level}"] = TextStyle(
            font_family=FAMILY, font_style="B", color=INK, font_size_pt=size, t_margin=3, b_margin=1
        )
    try:
        pdf.write_html(body_html, font_family=FAMILY, warn_on_tags_not_matching=False, tag_styles=styles)
    except Exception:
        pdf.set_font(FAMILY, size=10)
        pdf.ln(2)
        pdf.multi_cell(0, 5.5, plain_text(body_html), new_x="LMARGIN", new_y="NEXT")

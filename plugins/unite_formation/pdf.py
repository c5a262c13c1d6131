"""The attestation de présence (PDF, fpdf2 with the core's DejaVu fonts so accents print)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

import core
from core.calendar.models import Meeting
from core.i18n import format_date, format_time
from core.i18n import gettext as _
from plugins.unite_formation.attendance import Rate
from plugins.unite_formation.models import Cycle, Registration

FONT_DIR = Path(core.__file__).resolve().parent / "static" / "fonts"
FAMILY = "DejaVu"


def attestation_pdf(
    cycle: Cycle,
    registration: Registration,
    rate: Rate,
    meetings: list[Meeting],
    trainers: list[str],
    *,
    issued_at: datetime,
) -> bytes:
    """One participant's attestation: the cycle, the sessions attended (dates and hours), the
    rate, the trainers and the organiser."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.set_title(_("Attestation de présence"))
    pdf.set_author(cycle.organiser or _("Unité Locale de Formation"))
    pdf.add_page()

    def para(text: str, height: float = 6) -> None:
        pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(FAMILY, "B", 18)
    pdf.multi_cell(0, 10, _("Attestation de présence"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FAMILY, "", 11)
    organiser = cycle.organiser or _("L'Unité Locale de Formation")
    para(
        _(
            "%(organiser)s atteste que %(name)s a suivi la formation « %(title)s ».",
            organiser=organiser,
            name=registration.full_name,
            title=cycle.title,
        )
    )
    if registration.organisation:
        para(_("Structure : %(org)s", org=registration.organisation))
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 12)
    para(_("Séances suivies"), 7)
    pdf.set_font(FAMILY, "", 11)
    minutes = 0
    for meeting in meetings:
        if meeting.id not in rate.meeting_ids:
            continue
        minutes += int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
        line = _(
            "%(day)s, de %(start)s à %(end)s",
            day=format_date(meeting.starts_at),
            start=format_time(meeting.starts_at),
            end=format_time(meeting.ends_at),
        )
        para(f"• {line}")
    pdf.ln(3)
    para(
        _(
            "Présence : %(present)s séance(s) sur %(total)s (%(percent)s %%), "
            "soit %(hours)s h %(minutes)02d de formation.",
            present=rate.present,
            total=rate.total,
            percent=rate.percent,
            hours=minutes // 60,
            minutes=minutes % 60,
        )
    )
    pdf.ln(4)
    if trainers:
        para(_("Formation assurée par : %(names)s", names=", ".join(trainers)))
    para(_("Organisateur : %(org)s", org=organiser))
    pdf.ln(8)
    para(_("Fait le %(day)s.", day=format_date(issued_at)))
    return bytes(pdf.output())

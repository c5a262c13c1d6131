"""The cache of serialised feed events, shared by every web worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class FeedEventCache(Base):
    """One meeting's VEVENT as a feed serves it, with the fingerprint of what it was built from.

    A cache, not data: a row is used only while its ``fingerprint`` (meeting SEQUENCE, last
    change, space name, output format) matches the meeting's current one, so a stale row is
    simply rebuilt. It lets a fresh worker serve a large feed without serialising every event
    again (``icalendar`` needs about half a millisecond per event).
    """

    __tablename__ = "feed_event_cache"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: ``BEGIN:VEVENT`` … ``END:VEVENT`` as produced by ``icalendar``
    body: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

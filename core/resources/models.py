"""The resources table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

# resource.kind
DOCUMENT = "document"
LINK = "link"

# resource.visibility
PUBLIC = "public"
MEMBERS = "members"
ANIMATORS = "animators"
VISIBILITIES = (PUBLIC, MEMBERS, ANIMATORS)


class Resource(Base):
    """A document (stored under a random name) or a link (http/https only).

    A resource is never deleted by the application: removing it sets ``removed_at`` (the
    file stays on disk, an audit entry says who removed it), so nothing is lost.
    """

    __tablename__ = "resources"
    __table_args__ = (Index("ix_resources_space_created", "space_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: free category, e.g. a plugin's ``club_economie.dispositif``
    category: Mapped[str] = mapped_column(String(80), default="", index=True)
    url: Mapped[str] = mapped_column(String(1000), default="")
    #: the uploader's file name, shown and offered on download, never used on disk
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: random name under the data directory
    stored_name: Mapped[str] = mapped_column(String(80), default="")
    content_type: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    visibility: Mapped[str] = mapped_column(String(20), default=MEMBERS)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when an animator removed the resource: hidden everywhere, kept with its file
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_document(self) -> bool:
        return self.kind == DOCUMENT

    @property
    def is_link(self) -> bool:
        return self.kind == LINK

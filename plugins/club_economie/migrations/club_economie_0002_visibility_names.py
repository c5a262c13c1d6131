"""club_economie: the members' visibility choices renamed ``<what>_visible``

Revision ID: club_economie_0002
Revises: club_economie_0001
Create Date: 2026-11-26 02:40:00

``show_email`` read as an email column to the personal-data tools (``*_email``), which then
looked people up by it; the four choices are renamed the same way for consistency.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "club_economie_0002"
down_revision: str | Sequence[str] | None = "club_economie_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (
    ("show_address", "address_visible"),
    ("show_contact", "contact_visible"),
    ("show_email", "email_visible"),
    ("show_phone", "phone_visible"),
)


def upgrade() -> None:
    with op.batch_alter_table("club_economie_members", schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(old, new_column_name=new)


def downgrade() -> None:
    with op.batch_alter_table("club_economie_members", schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(new, new_column_name=old)

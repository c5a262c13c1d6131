"""club_economie: one pending application per SIRET, enforced by a partial unique index

Revision ID: club_economie_0003
Revises: club_economie_0002
Create Date: 2026-11-26 03:30:00

The service refused a second pending application with the same SIRET, but two submissions at
the same instant on PostgreSQL could both pass that check; the index makes the database decide.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "club_economie_0003"
down_revision: str | Sequence[str] | None = "club_economie_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_club_economie_applications_pending_siret"
WHERE = "status IN ('new', 'info_requested') AND siret <> ''"


def upgrade() -> None:
    op.create_index(
        NAME,
        "club_economie_applications",
        ["siret"],
        unique=True,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="club_economie_applications")

"""index proposals by submission instant (the "no answer after 3 months" reminder reads a range)

Revision ID: acces_services_0002
Revises: acces_services_0001
Create Date: 2026-11-26 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "acces_services_0002"
down_revision: str | Sequence[str] | None = "acces_services_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_acces_services_proposals_submitted_at"),
        "acces_services_proposals",
        ["submitted_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_acces_services_proposals_submitted_at"), table_name="acces_services_proposals")

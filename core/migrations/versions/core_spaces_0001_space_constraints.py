"""space constraints: one membership row per holder and role; ad hoc spaces have an end date

Revision ID: core_spaces_0001
Revises: core_0002
Create Date: 2026-11-25 18:54:32.257870
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'core_spaces_0001'
down_revision: str | Sequence[str] | None = 'core_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('space_memberships', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_space_memberships_space_id_role_contact_id'), ['space_id', 'role', 'contact_id']
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_space_memberships_space_id_role_organisation_id'),
            ['space_id', 'role', 'organisation_id'],
        )
    # autogenerate does not compare check constraints: written by hand
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_spaces_adhoc_has_end'), 'is_permanent OR ends_on IS NOT NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_spaces_adhoc_has_end'), type_='check')
    with op.batch_alter_table('space_memberships', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_space_memberships_space_id_role_organisation_id'), type_='unique'
        )
        batch_op.drop_constraint(batch_op.f('uq_space_memberships_space_id_role_contact_id'), type_='unique')

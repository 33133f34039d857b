"""The stock index ends with the unit's id.

Allocation reads each group's first-expiring units a page at a time in (expiry, id) order. Units of one
collection day expire at the same minute, so without the id PostgreSQL sorted a whole day's units for each read,
a cost that grew with the stock (docs/benchmarks.md).

Revision ID: 0028
Revises: 0027
"""

from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

OLD = ['site_id', 'status', 'kind', 'blood_group', 'expires_at']


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_stock')
        batch_op.create_index('ix_unit_stock', OLD + ['id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_stock')
        batch_op.create_index('ix_unit_stock', OLD, unique=False)

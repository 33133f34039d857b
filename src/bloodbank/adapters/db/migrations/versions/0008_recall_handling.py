"""each unit a recall reached stays on the affected site's home page until the site records what it did

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 21:50:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recall_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('handled_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recall_unit', schema=None) as batch_op:
        batch_op.drop_column('handled_note')
        batch_op.drop_column('handled_by')
        batch_op.drop_column('handled_at')

"""a visit found not eligible may be overridden for a second screening the same day

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:00:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rescreen_allowed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rescreen_allowed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('rescreen_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('rescreen_reason')
        batch_op.drop_column('rescreen_allowed_by')
        batch_op.drop_column('rescreen_allowed_at')

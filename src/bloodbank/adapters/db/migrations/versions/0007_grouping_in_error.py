"""a patient's grouping may be marked entered in error, signed and confirmed by a second person

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_error_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('in_error_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('in_error_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('in_error_confirmed_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.drop_column('in_error_confirmed_by')
        batch_op.drop_column('in_error_reason')
        batch_op.drop_column('in_error_by')
        batch_op.drop_column('in_error_at')

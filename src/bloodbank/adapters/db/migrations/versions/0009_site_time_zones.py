"""every site keeps its own clock: an IANA time zone; a hospital may name its own

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sites existing before zones were cut in UTC; they keep that clock until an administrator sets theirs.
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False, server_default='UTC'))
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('time_zone', server_default=None)
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

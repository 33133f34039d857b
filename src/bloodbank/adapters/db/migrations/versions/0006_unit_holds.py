"""a unit held for a decision (excursion, cold chain, recall investigation) until a signed review decides it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('opened_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("decision IS NULL OR decision IN ('released', 'discarded')",
                       name=op.f('ck_unit_hold_decision_known')),
    sa.CheckConstraint(
        "(decision IS NULL AND decided_at IS NULL AND decided_by IS NULL AND decision_reason IS NULL)"
        " OR (decision IS NOT NULL AND decided_at IS NOT NULL AND decided_by IS NOT NULL"
        " AND decision_reason IS NOT NULL)",
        name=op.f('ck_unit_hold_decided_in_full')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_hold_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_hold'))
    )
    with op.batch_alter_table('unit_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_hold_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unit_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_hold_unit_id'))

    op.drop_table('unit_hold')

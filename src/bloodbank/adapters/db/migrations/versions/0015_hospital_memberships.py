"""hospital staff accounts belong to hospitals, and see only those hospitals' patients, orders and transfusions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:00:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hospital_membership',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('added_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column('added_by', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_hospital_membership_user_id_app_user')),
        sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'],
                                name=op.f('fk_hospital_membership_hospital_id_hospital')),
        sa.PrimaryKeyConstraint('user_id', 'hospital_id', name=op.f('pk_hospital_membership')),
    )
    op.create_index(op.f('ix_hospital_membership_hospital_id'), 'hospital_membership', ['hospital_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hospital_membership_hospital_id'), table_name='hospital_membership')
    op.drop_table('hospital_membership')

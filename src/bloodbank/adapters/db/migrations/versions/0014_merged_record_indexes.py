"""finding every record of a person reads an index, not the whole donor (or patient) table

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:40:00
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_donor_merged_into_id'), 'donor', ['merged_into_id'], unique=False)
    op.create_index(op.f('ix_patient_merged_into_id'), 'patient', ['merged_into_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_patient_merged_into_id'), table_name='patient')
    op.drop_index(op.f('ix_donor_merged_into_id'), table_name='donor')

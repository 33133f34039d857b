"""the donor's private screen runs on a session of its own, reaching one visit's question once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:05:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kiosk_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('opened_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column('ended_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_kiosk_session_visit_id_visit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_session_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('kiosk_session')

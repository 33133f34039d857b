"""mass-casualty incidents, their casualty counts (append-only), and orders and issues tagged with one

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-05 23:00:00
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.adapters.db.append_only import drop_append_only, make_append_only
from bloodbank.adapters.db.types import UTCDateTime

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

KINDS = "('explosion', 'air_strike', 'shooting', 'building_collapse', 'transport', 'fire', 'other')"


def upgrade() -> None:
    op.create_table(
        'incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('occurred_at', UTCDateTime(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('declared_at', UTCDateTime(), nullable=False),
        sa.Column('declared_by', sa.String(length=100), nullable=False),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.Column('closed_by', sa.String(length=100), nullable=True),
        sa.Column('close_note', sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN " + KINDS, name=op.f('ck_incident_kind_known')),
        sa.CheckConstraint("status IN ('declared', 'closed')", name=op.f('ck_incident_status_known')),
        sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_incident_closed_has_time')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_incident_site_id_site')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    )
    op.create_table(
        'casualty_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=True),
        sa.Column('basis', sa.String(length=10), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('change', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint("severity IN ('severe', 'moderate', 'minor')", name=op.f('ck_casualty_count_severity_known')),
        sa.CheckConstraint("basis IN ('expected', 'admitted')", name=op.f('ck_casualty_count_basis_known')),
        sa.CheckConstraint("change <> 0", name=op.f('ck_casualty_count_change_not_zero')),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_casualty_count_incident_id_incident')),
        sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_casualty_count_hospital_id_hospital')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_casualty_count')),
    )
    op.create_index(op.f('ix_casualty_count_incident_id'), 'casualty_count', ['incident_id'], unique=False)
    make_append_only("casualty_count")
    for table in ('blood_order', 'issue'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
            batch.create_index(op.f(f'ix_{table}_incident_id'), ['incident_id'], unique=False)
            batch.create_foreign_key(op.f(f'fk_{table}_incident_id_incident'), 'incident', ['incident_id'], ['id'])


def downgrade() -> None:
    for table in ('issue', 'blood_order'):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'fk_{table}_incident_id_incident'), type_='foreignkey')
            batch.drop_index(op.f(f'ix_{table}_incident_id'))
            batch.drop_column('incident_id')
    drop_append_only("casualty_count")
    op.drop_index(op.f('ix_casualty_count_incident_id'), table_name='casualty_count')
    op.drop_table('casualty_count')
    op.drop_table('incident')

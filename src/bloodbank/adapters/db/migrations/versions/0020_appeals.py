"""appeals to donors after an incident: invitations with their reasons, the outbox of messages, and the donor's
grid cell, contact hours, monthly limit and channels

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 01:30:00
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.adapters.db.types import UTCDateTime
from bloodbank.domain.appeal_rules import default_parameters
from bloodbank.domain.appeal_selection import grid_cell

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BATCH = 5000
DONOR_CHECKS = (
    ('contact_from_hour_valid', 'appeal_contact_from_hour BETWEEN 0 AND 23'),
    ('contact_until_hour_valid', 'appeal_contact_until_hour BETWEEN 1 AND 24'),
    ('monthly_limit_valid', 'appeal_monthly_limit BETWEEN 1 AND 31'),
)


def upgrade() -> None:
    with op.batch_alter_table('donor') as batch:
        batch.add_column(sa.Column('grid_cell', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('appeal_contact_from_hour', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('appeal_contact_until_hour', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('appeal_monthly_limit', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('appeal_channels', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('last_appealed_at', UTCDateTime(), nullable=True))
        for name, condition in DONOR_CHECKS:
            batch.create_check_constraint(op.f(f'ck_donor_{name}'), condition)
        batch.create_index('ix_donor_appeal_prefilter', ['appeals_opt_in', 'blood_group', 'grid_cell'], unique=False)
    _fill_grid_cells()
    op.create_table(
        'appeal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('started_by', sa.String(length=100), nullable=False),
        sa.Column('changed_at', UTCDateTime(), nullable=False),
        sa.Column('changed_by', sa.String(length=100), nullable=False),
        sa.Column('sized_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'paused', 'stopped')", name=op.f('ck_appeal_status_known')),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_appeal_incident_id_incident')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal')),
        sa.UniqueConstraint('incident_id', name=op.f('uq_appeal_incident_id')),
    )
    op.create_table(
        'appeal_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appeal_id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('blood_group', sa.String(length=3), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('slot_day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=5), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('responded_at', UTCDateTime(), nullable=True),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('invited', 'accepted', 'declined', 'expired')",
                           name=op.f('ck_appeal_invitation_status_known')),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_appeal_invitation_channel_known')),
        sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_invitation_appeal_id_appeal')),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_appeal_invitation_donor_id_donor')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_appeal_invitation_site_id_site')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name=op.f('fk_appeal_invitation_appointment_id_appointment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_invitation')),
        sa.UniqueConstraint('appeal_id', 'donor_id', name=op.f('uq_appeal_invitation_appeal_id_donor_id')),
    )
    op.create_index(op.f('ix_appeal_invitation_appeal_id'), 'appeal_invitation', ['appeal_id'], unique=False)
    op.create_index('ix_appeal_invitation_donor_created', 'appeal_invitation', ['donor_id', 'created_at'],
                    unique=False)
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=5), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')", name=op.f('ck_outbox_message_status_known')),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_outbox_message_channel_known')),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_outbox_message_donor_id_donor')),
        sa.ForeignKeyConstraint(['invitation_id'], ['appeal_invitation.id'],
                                name=op.f('fk_outbox_message_invitation_id_appeal_invitation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_message_idempotency_key')),
    )
    op.create_index(op.f('ix_outbox_message_donor_id'), 'outbox_message', ['donor_id'], unique=False)
    op.create_index(op.f('ix_outbox_message_invitation_id'), 'outbox_message', ['invitation_id'], unique=False)
    op.create_index('ix_outbox_message_due', 'outbox_message', ['status', 'next_attempt_at'], unique=False)


def _fill_grid_cells() -> None:
    connection = op.get_bind()
    donor = sa.table('donor', sa.column('id', sa.Integer), sa.column('latitude', sa.Float),
                     sa.column('longitude', sa.Float), sa.column('grid_cell', sa.Integer))
    degrees = default_parameters().grid_degrees
    last = 0
    while True:
        rows = connection.execute(
            sa.select(donor.c.id, donor.c.latitude, donor.c.longitude)
            .where(donor.c.id > last, donor.c.latitude.is_not(None), donor.c.longitude.is_not(None))
            .order_by(donor.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(donor.update().where(donor.c.id == sa.bindparam('donor_id')),
                           [{'donor_id': r.id, 'grid_cell': grid_cell(r.latitude, r.longitude, degrees)} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index('ix_outbox_message_due', table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_invitation_id'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_donor_id'), table_name='outbox_message')
    op.drop_table('outbox_message')
    op.drop_index('ix_appeal_invitation_donor_created', table_name='appeal_invitation')
    op.drop_index(op.f('ix_appeal_invitation_appeal_id'), table_name='appeal_invitation')
    op.drop_table('appeal_invitation')
    op.drop_table('appeal')
    with op.batch_alter_table('donor') as batch:
        batch.drop_index('ix_donor_appeal_prefilter')
        for name, _ in DONOR_CHECKS:
            batch.drop_constraint(op.f(f'ck_donor_{name}'), type_='check')
        for column in ('last_appealed_at', 'appeal_channels', 'appeal_monthly_limit', 'appeal_contact_until_hour',
                       'appeal_contact_from_hour', 'grid_cell'):
            batch.drop_column(column)

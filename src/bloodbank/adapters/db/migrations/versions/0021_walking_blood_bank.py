"""the walking blood bank: titres, the panel, supply cut-offs, activations and calls, bedside tests, and units
collected in an emergency (not fully tested) with the physician's signature on their issue, and the recipients
followed up when such a donation's full tests come back reactive

Revision ID: 0021
Create Date: 2026-12-06 01:30:00
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.adapters.db.types import UTCDateTime

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'titre',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('donation_id', sa.Integer(), nullable=True),
        sa.Column('anti_a', sa.Integer(), nullable=False),
        sa.Column('anti_b', sa.Integer(), nullable=False),
        sa.Column('tested_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('anti_a >= 0 AND anti_b >= 0', name=op.f('ck_titre_titres_not_negative')),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_titre_donor_id_donor')),
        sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_titre_donation_id_donation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_titre')),
    )
    op.create_index(op.f('ix_titre_donor_id'), 'titre', ['donor_id'], unique=False)
    op.create_table(
        'panel_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('consent_text_version', sa.String(length=20), nullable=False),
        sa.Column('joined_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.Column('available', sa.Boolean(), nullable=False),
        sa.Column('availability_note', sa.Text(), nullable=False),
        sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_panel_member_site_id_site')),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_panel_member_donor_id_donor')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_member')),
        sa.UniqueConstraint('site_id', 'donor_id', name=op.f('uq_panel_member_site_id_donor_id')),
    )
    op.create_index(op.f('ix_panel_member_donor_id'), 'panel_member', ['donor_id'], unique=False)
    op.create_table(
        'supply_cut_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('declared_at', UTCDateTime(), nullable=False),
        sa.Column('declared_by', sa.String(length=100), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.Column('ended_by', sa.String(length=100), nullable=True),
        sa.CheckConstraint('ended_at IS NULL OR ended_at >= declared_at',
                           name=op.f('ck_supply_cut_off_ends_after_declared')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_supply_cut_off_site_id_site')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_cut_off')),
    )
    op.create_index(op.f('ix_supply_cut_off_site_id'), 'supply_cut_off', ['site_id'], unique=False)
    op.create_table(
        'panel_activation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('cut_off_id', sa.Integer(), nullable=True),
        sa.Column('waiting', sa.JSON(), nullable=False),
        sa.Column('activated_at', UTCDateTime(), nullable=False),
        sa.Column('activated_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('incident_id IS NOT NULL OR cut_off_id IS NOT NULL',
                           name=op.f('ck_panel_activation_inside_an_emergency')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_panel_activation_site_id_site')),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_panel_activation_incident_id_incident')),
        sa.ForeignKeyConstraint(['cut_off_id'], ['supply_cut_off.id'],
                                name=op.f('fk_panel_activation_cut_off_id_supply_cut_off')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_activation')),
    )
    op.create_index(op.f('ix_panel_activation_site_id'), 'panel_activation', ['site_id'], unique=False)
    op.create_table(
        'panel_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activation_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint("outcome IN ('accepted', 'declined', 'no_answer')", name=op.f('ck_panel_call_outcome_known')),
        sa.ForeignKeyConstraint(['activation_id'], ['panel_activation.id'],
                                name=op.f('fk_panel_call_activation_id_panel_activation')),
        sa.ForeignKeyConstraint(['member_id'], ['panel_member.id'], name=op.f('fk_panel_call_member_id_panel_member')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_call')),
    )
    op.create_index(op.f('ix_panel_call_activation_id'), 'panel_call', ['activation_id'], unique=False)
    op.create_table(
        'rapid_test',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('donation_id', sa.Integer(), nullable=False),
        sa.Column('marker', sa.String(length=20), nullable=False),
        sa.Column('result', sa.String(length=12), nullable=False),
        sa.Column('kit', sa.String(length=80), nullable=False),
        sa.Column('lot', sa.String(length=40), nullable=False),
        sa.Column('tested_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_rapid_test_donation_id_donation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rapid_test')),
    )
    op.create_index(op.f('ix_rapid_test_donation_id'), 'rapid_test', ['donation_id'], unique=False)
    op.create_table(
        'recipient_follow_up',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('donation_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', UTCDateTime(), nullable=False),
        sa.Column('opened_by', sa.String(length=100), nullable=False),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.Column('closed_by', sa.String(length=100), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_recipient_follow_up_donation_id_donation')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_recipient_follow_up_unit_id_unit')),
        sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_recipient_follow_up_issue_id_issue')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_recipient_follow_up_patient_id_patient')),
        sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'],
                                name=op.f('fk_recipient_follow_up_hospital_id_hospital')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient_follow_up')),
        sa.UniqueConstraint('donation_id', 'issue_id', name=op.f('uq_recipient_follow_up_donation_id_issue_id')),
    )
    op.create_index(op.f('ix_recipient_follow_up_donation_id'), 'recipient_follow_up', ['donation_id'], unique=False)
    op.create_index(op.f('ix_recipient_follow_up_patient_id'), 'recipient_follow_up', ['patient_id'], unique=False)
    with op.batch_alter_table('site') as batch:
        batch.add_column(sa.Column('titre_threshold', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('titre_validity_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('panel_screen_validity_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('donation') as batch:
        batch.add_column(sa.Column('emergency', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('activation_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_donation_activation_id_panel_activation'), 'panel_activation',
                                 ['activation_id'], ['id'])
    with op.batch_alter_table('unit') as batch:
        batch.add_column(sa.Column('emergency_use', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('anticoagulant', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('refrigerated_at', UTCDateTime(), nullable=True))
    with op.batch_alter_table('issue') as batch:
        batch.add_column(sa.Column('signature_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('cut_off_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_issue_signature_id_signature'), 'signature', ['signature_id'], ['id'])
        batch.create_foreign_key(op.f('fk_issue_cut_off_id_supply_cut_off'), 'supply_cut_off', ['cut_off_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('issue') as batch:
        batch.drop_constraint(op.f('fk_issue_cut_off_id_supply_cut_off'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_issue_signature_id_signature'), type_='foreignkey')
        batch.drop_column('cut_off_id')
        batch.drop_column('signature_id')
    with op.batch_alter_table('unit') as batch:
        batch.drop_column('refrigerated_at')
        batch.drop_column('anticoagulant')
        batch.drop_column('emergency_use')
    with op.batch_alter_table('donation') as batch:
        batch.drop_constraint(op.f('fk_donation_activation_id_panel_activation'), type_='foreignkey')
        batch.drop_column('activation_id')
        batch.drop_column('emergency')
    with op.batch_alter_table('site') as batch:
        batch.drop_column('panel_screen_validity_days')
        batch.drop_column('titre_validity_days')
        batch.drop_column('titre_threshold')
    for table in ('recipient_follow_up', 'rapid_test', 'panel_call', 'panel_activation', 'supply_cut_off',
                  'panel_member', 'titre'):
        op.drop_table(table)

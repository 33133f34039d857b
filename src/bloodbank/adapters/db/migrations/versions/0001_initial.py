"""initial schema: sites, donors, visits, consent, appointments, donations, audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 21:12:58.422732
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types
from bloodbank.adapters.db.append_only import drop_append_only, make_append_only


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=True),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_entity_id'), ['entity_id'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('din_counter',
    sa.Column('facility_code', sa.String(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('facility_code', 'year', name=op.f('pk_din_counter'))
    )
    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('facility_code', sa.String(length=5), nullable=False),
    sa.Column('rule_set', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('chairs', sa.Integer(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('chairs > 0', name=op.f('ck_site_chairs_positive')),
    sa.CheckConstraint('slot_minutes > 0', name=op.f('ck_site_slot_minutes_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('code', name=op.f('uq_site_code'))
    )
    op.create_table('donor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_number', sa.String(length=20), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('blood_group', sa.String(length=3), nullable=True),
    sa.Column('preferred_site_id', sa.Integer(), nullable=True),
    sa.Column('appeals_opt_in', sa.Boolean(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('group_discrepancy', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("sex IN ('F', 'M')", name=op.f('ck_donor_sex_known')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['donor.id'], name=op.f('fk_donor_merged_into_id_donor')),
    sa.ForeignKeyConstraint(['preferred_site_id'], ['site.id'], name=op.f('fk_donor_preferred_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor')),
    sa.UniqueConstraint('donor_number', name=op.f('uq_donor_donor_number'))
    )
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.create_index('ix_donor_name_dob', ['family_name', 'date_of_birth'], unique=False)
        batch_op.create_index(batch_op.f('ix_donor_phone'), ['phone'], unique=False)

    op.create_table('slot_counter',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_slot_counter_booked_not_negative')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_slot_counter_site_id_site')),
    sa.PrimaryKeyConstraint('site_id', 'starts_at', name=op.f('pk_slot_counter'))
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('booked_by', sa.String(length=100), nullable=False),
    sa.Column('status_changed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'cancelled', 'checked_in', 'no_show')", name=op.f('ck_appointment_status_known')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_appointment_donor_id_donor')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_appointment_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index('ix_appointment_site_slot', ['site_id', 'starts_at'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('checked_in_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('checked_in_by', sa.String(length=100), nullable=False),
    sa.Column('rule_set', sa.String(length=20), nullable=True),
    sa.Column('questionnaire', sa.JSON(), nullable=False),
    sa.Column('weight_kg', sa.Double(), nullable=True),
    sa.Column('hemoglobin_g_dl', sa.Double(), nullable=True),
    sa.Column('systolic', sa.Integer(), nullable=True),
    sa.Column('diastolic', sa.Integer(), nullable=True),
    sa.Column('pulse', sa.Integer(), nullable=True),
    sa.Column('temperature_c', sa.Double(), nullable=True),
    sa.Column('eligible', sa.Boolean(), nullable=True),
    sa.Column('decision_reasons', sa.JSON(), nullable=False),
    sa.Column('next_eligible_date', sa.Date(), nullable=True),
    sa.Column('screened_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('screened_by', sa.String(length=100), nullable=True),
    sa.Column('withdrawn_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_step', sa.String(length=20), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('checked_in', 'screened', 'deferred', 'consented', 'collected', 'withdrawn')", name=op.f('ck_visit_status_known')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_visit_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_visit_donor_id_donor')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_visit_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_donor_id'), ['donor_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('text_version', sa.String(length=20), nullable=False),
    sa.Column('given_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('withdrawn_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_consent_donor_id_donor')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_consent_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_consent_visit_id'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_donor_id'), ['donor_id'], unique=False)

    op.create_table('deferral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('lifted_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('lifted_by', sa.String(length=100), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind = 'permanent' OR ends_on IS NOT NULL", name=op.f('ck_deferral_temporary_has_end')),
    sa.CheckConstraint("kind IN ('temporary', 'permanent')", name=op.f('ck_deferral_kind_known')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_deferral_ends_after_start')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_deferral_donor_id_donor')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_deferral_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deferral'))
    )
    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferral_donor_id'), ['donor_id'], unique=False)

    op.create_table('donation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('facility_code', sa.String(length=5), nullable=False),
    sa.Column('din_year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('bag_type', sa.String(length=40), nullable=False),
    sa.Column('bag_lot', sa.String(length=40), nullable=False),
    sa.Column('phlebotomist', sa.String(length=100), nullable=False),
    sa.Column('planned_volume_ml', sa.Integer(), nullable=True),
    sa.Column('max_volume_ml', sa.Integer(), nullable=True),
    sa.Column('volume_ml', sa.Integer(), nullable=True),
    sa.Column('volume_flag', sa.Text(), nullable=True),
    sa.Column('started_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_donation_ends_after_start')),
    sa.CheckConstraint('volume_ml IS NULL OR volume_ml > 0', name=op.f('ck_donation_volume_positive')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donation_donor_id_donor')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_donation_site_id_site')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_donation_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation')),
    sa.UniqueConstraint('din', name=op.f('uq_donation_din')),
    sa.UniqueConstraint('facility_code', 'din_year', 'serial', name=op.f('uq_donation_facility_code_din_year_serial')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_donation_visit_id'))
    )
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donation_donor_id'), ['donor_id'], unique=False)

    op.create_table('self_exclusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_self_exclusion_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_exclusion')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_self_exclusion_visit_id'))
    )
    op.create_table('adverse_reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("severity IN ('mild', 'moderate', 'severe')", name=op.f('ck_adverse_reaction_severity_known')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_adverse_reaction_donation_id_donation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_reaction'))
    )
    with op.batch_alter_table('adverse_reaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_reaction_donation_id'), ['donation_id'], unique=False)

    make_append_only("audit_entry")
    op.execute("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    drop_append_only("audit_entry")
    with op.batch_alter_table('adverse_reaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_reaction_donation_id'))

    op.drop_table('adverse_reaction')
    op.drop_table('self_exclusion')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donation_donor_id'))

    op.drop_table('donation')
    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferral_donor_id'))

    op.drop_table('deferral')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_donor_id'))

    op.drop_table('consent')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_donor_id'))

    op.drop_table('visit')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_site_slot')
        batch_op.drop_index(batch_op.f('ix_appointment_donor_id'))

    op.drop_table('appointment')
    op.drop_table('slot_counter')
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_phone'))
        batch_op.drop_index('ix_donor_name_dob')

    op.drop_table('donor')
    op.drop_table('site')
    op.drop_table('din_counter')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_entity_id'))

    op.drop_table('audit_entry')

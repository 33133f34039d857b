"""blood side: units, lab results, patients, orders, issue, transfusion, inventory

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:41:56.319964
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types
from bloodbank.adapters.db.append_only import drop_append_only, make_append_only


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('opened_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall'))
    )
    op.create_table('hospital',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_hospital_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital')),
    sa.UniqueConstraint('code', name=op.f('uq_hospital_code'))
    )
    op.create_table('temperature_excursion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('storage_location', sa.String(length=60), nullable=False),
    sa.Column('started_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('lowest_c', sa.Double(), nullable=False),
    sa.Column('highest_c', sa.Double(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_temperature_excursion_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_temperature_excursion'))
    )
    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_site_id', sa.Integer(), nullable=False),
    sa.Column('to_site_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('dispatched_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('dispatched_by', sa.String(length=100), nullable=False),
    sa.Column('received_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('received_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('dispatched', 'received')", name=op.f('ck_transfer_status_known')),
    sa.CheckConstraint('from_site_id <> to_site_id', name=op.f('ck_transfer_between_two_sites')),
    sa.ForeignKeyConstraint(['from_site_id'], ['site.id'], name=op.f('fk_transfer_from_site_id_site')),
    sa.ForeignKeyConstraint(['to_site_id'], ['site.id'], name=op.f('fk_transfer_to_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer'))
    )
    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('date_of_birth_estimated', sa.Boolean(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('hospital_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_patient_hospital_id_hospital')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['patient.id'], name=op.f('fk_patient_merged_into_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient'))
    )
    op.create_table('blood_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('needed_by', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('ordered_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'allocated', 'issued', 'fulfilled', 'cancelled')", name=op.f('ck_blood_order_status_known')),
    sa.CheckConstraint("urgency IN ('routine', 'urgent', 'emergency', 'massive_transfusion')", name=op.f('ck_blood_order_urgency_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_blood_order_quantity_positive')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_blood_order_hospital_id_hospital')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_blood_order_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blood_order'))
    )
    with op.batch_alter_table('blood_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blood_order_hospital_id'), ['hospital_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blood_order_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_antibody',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('antibody', sa.String(length=30), nullable=False),
    sa.Column('clinically_significant', sa.Boolean(), nullable=False),
    sa.Column('identified_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_antibody_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_antibody'))
    )
    with op.batch_alter_table('patient_antibody', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_antibody_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_identifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=60), nullable=False),
    sa.Column('added_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_identifier_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_identifier')),
    sa.UniqueConstraint('system', 'value', name=op.f('uq_patient_identifier_system_value'))
    )
    with op.batch_alter_table('patient_identifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_identifier_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('sample_number', sa.String(length=40), nullable=False),
    sa.Column('taken_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('taken_by', sa.String(length=100), nullable=False),
    sa.Column('received_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_sample_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_sample')),
    sa.UniqueConstraint('sample_number', name=op.f('uq_patient_sample_sample_number'))
    )
    with op.batch_alter_table('patient_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_sample_patient_id'), ['patient_id'], unique=False)

    op.create_table('special_requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('requirement', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_special_requirement_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_special_requirement'))
    )
    with op.batch_alter_table('special_requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_special_requirement_patient_id'), ['patient_id'], unique=False)

    op.create_table('antibody_screen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=True),
    sa.Column('positive', sa.Boolean(), nullable=False),
    sa.Column('tested_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('manually_edited', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_antibody_screen_patient_id_patient')),
    sa.ForeignKeyConstraint(['sample_id'], ['patient_sample.id'], name=op.f('fk_antibody_screen_sample_id_patient_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_antibody_screen'))
    )
    with op.batch_alter_table('antibody_screen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_antibody_screen_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_grouping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=True),
    sa.Column('blood_group', sa.String(length=3), nullable=False),
    sa.Column('tested_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('manually_edited', sa.Boolean(), nullable=False),
    sa.Column('historical', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_grouping_patient_id_patient')),
    sa.ForeignKeyConstraint(['sample_id'], ['patient_sample.id'], name=op.f('fk_patient_grouping_sample_id_patient_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_grouping'))
    )
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_grouping_patient_id'), ['patient_id'], unique=False)

    op.create_table('donor_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('opened_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('closed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_donor_follow_up_donation_id_donation')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_follow_up_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_follow_up'))
    )
    with op.batch_alter_table('donor_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donor_follow_up_donor_id'), ['donor_id'], unique=False)

    op.create_table('test_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('test', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=15), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=True),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("outcome IN ('negative', 'reactive', 'indeterminate', 'positive', 'typed')", name=op.f('ck_test_result_outcome_known')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_test_result_donation_id_donation')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['test_result.id'], name=op.f('fk_test_result_superseded_by_id_test_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_result'))
    )
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.create_index('ix_test_result_current', ['donation_id', 'test', 'superseded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_test_result_donation_id'), ['donation_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('product_code', sa.String(length=5), nullable=False),
    sa.Column('division', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('blood_group', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('volume_ml', sa.Integer(), nullable=True),
    sa.Column('collected_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('storage_location', sa.String(length=60), nullable=False),
    sa.Column('irradiated', sa.Boolean(), nullable=False),
    sa.Column('irradiated_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('leucoreduced', sa.Boolean(), nullable=False),
    sa.Column('cmv_negative', sa.Boolean(), nullable=False),
    sa.Column('low_titer', sa.Boolean(), nullable=False),
    sa.Column('bacterial_screened', sa.Boolean(), nullable=False),
    sa.Column('label_printed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('label_verified_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('label_verified_by', sa.String(length=100), nullable=True),
    sa.Column('released_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('released_by', sa.String(length=100), nullable=True),
    sa.Column('discard_reason', sa.String(length=30), nullable=True),
    sa.Column('discard_note', sa.Text(), nullable=True),
    sa.Column('status_changed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('collected', 'quarantined', 'available', 'reserved', 'in_transit', 'issued', 'transfused', 'returned', 'processed', 'discarded', 'recalled')", name=op.f('ck_unit_status_known')),
    sa.CheckConstraint('volume_ml IS NULL OR volume_ml > 0', name=op.f('ck_unit_volume_positive')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_unit_donation_id_donation')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_unit_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('din', 'product_code', 'division', name=op.f('uq_unit_din_product_code_division'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_din'), ['din'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index('ix_unit_stock', ['site_id', 'status', 'kind', 'blood_group', 'expires_at'], unique=False)

    op.create_table('crossmatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint("result IN ('compatible', 'incompatible')", name=op.f('ck_crossmatch_result_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_crossmatch_patient_id_patient')),
    sa.ForeignKeyConstraint(['sample_id'], ['patient_sample.id'], name=op.f('fk_crossmatch_sample_id_patient_sample')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_crossmatch_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossmatch'))
    )
    with op.batch_alter_table('crossmatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crossmatch_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crossmatch_unit_id'), ['unit_id'], unique=False)

    op.create_table('excursion_unit',
    sa.Column('excursion_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['excursion_id'], ['temperature_excursion.id'], name=op.f('fk_excursion_unit_excursion_id_temperature_excursion')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_excursion_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('excursion_id', 'unit_id', name=op.f('pk_excursion_unit'))
    )
    op.create_table('recall_unit',
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status_before', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['recall_id'], ['recall.id'], name=op.f('fk_recall_unit_recall_id_recall')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_recall_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('recall_id', 'unit_id', name=op.f('pk_recall_unit'))
    )
    op.create_table('reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reserved_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('reserved_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('released_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('released_by', sa.String(length=100), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['blood_order.id'], name=op.f('fk_reservation_order_id_blood_order')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reservation_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation'))
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_order_id'), ['order_id'], unique=False)
        batch_op.create_index('uq_reservation_live_unit', ['unit_id'], unique=True, sqlite_where=sa.text('released_at IS NULL'), postgresql_where=sa.text('released_at IS NULL'))

    op.create_table('transfer_item',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('received_ok', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_item_transfer_id_transfer')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_transfer_item_unit_id_unit')),
    sa.PrimaryKeyConstraint('transfer_id', 'unit_id', name=op.f('pk_transfer_item'))
    )
    with op.batch_alter_table('transfer_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_unit_event_site_id_site')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_event_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_event'))
    )
    with op.batch_alter_table('unit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_event_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_parent',
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['unit.id'], name=op.f('fk_unit_parent_child_id_unit')),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_parent_id_unit')),
    sa.PrimaryKeyConstraint('child_id', 'parent_id', name=op.f('pk_unit_parent'))
    )
    with op.batch_alter_table('unit_parent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_parent_id'), ['parent_id'], unique=False)

    op.create_table('issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('crossmatch_id', sa.Integer(), nullable=True),
    sa.Column('electronic', sa.Boolean(), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('issued_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('scanned_unit', sa.String(length=40), nullable=False),
    sa.Column('scanned_patient', sa.String(length=60), nullable=False),
    sa.Column('follow_up_done_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['crossmatch_id'], ['crossmatch.id'], name=op.f('fk_issue_crossmatch_id_crossmatch')),
    sa.ForeignKeyConstraint(['order_id'], ['blood_order.id'], name=op.f('fk_issue_order_id_blood_order')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_issue_patient_id_patient')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_issue_reservation_id_reservation')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_issue_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue'))
    )
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issue_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issue_unit_id'), ['unit_id'], unique=False)

    op.create_table('transfusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('started_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.Column('administered_by', sa.String(length=100), nullable=False),
    sa.Column('checked_by', sa.String(length=100), nullable=True),
    sa.Column('vitals', sa.JSON(), nullable=False),
    sa.Column('volume_given_ml', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_transfusion_issue_id_issue')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_transfusion_patient_id_patient')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_transfusion_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfusion')),
    sa.UniqueConstraint('issue_id', name=op.f('uq_transfusion_issue_id'))
    )
    with op.batch_alter_table('transfusion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfusion_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfusion_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('returned_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('received_by', sa.String(length=100), nullable=False),
    sa.Column('minutes_out_of_storage', sa.Integer(), nullable=False),
    sa.Column('kept_in_cold_chain', sa.Boolean(), nullable=False),
    sa.Column('restocked', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_unit_return_issue_id_issue')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_return_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_return'))
    )
    with op.batch_alter_table('unit_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_return_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_return_unit_id'), ['unit_id'], unique=False)

    op.create_table('transfusion_reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfusion_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('imputability', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reported_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('reported_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['transfusion_id'], ['transfusion.id'], name=op.f('fk_transfusion_reaction_transfusion_id_transfusion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfusion_reaction'))
    )
    with op.batch_alter_table('transfusion_reaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfusion_reaction_transfusion_id'), ['transfusion_id'], unique=False)

    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_panel', sa.JSON(), server_default=sa.text('\'["hiv", "hbv", "hcv", "syphilis"]\''), nullable=False))
    make_append_only("unit_event")


def downgrade() -> None:
    drop_append_only("unit_event")
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('test_panel')

    with op.batch_alter_table('transfusion_reaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfusion_reaction_transfusion_id'))

    op.drop_table('transfusion_reaction')
    with op.batch_alter_table('unit_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_return_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_return_issue_id'))

    op.drop_table('unit_return')
    with op.batch_alter_table('transfusion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfusion_unit_id'))
        batch_op.drop_index(batch_op.f('ix_transfusion_patient_id'))

    op.drop_table('transfusion')
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issue_unit_id'))
        batch_op.drop_index(batch_op.f('ix_issue_patient_id'))

    op.drop_table('issue')
    with op.batch_alter_table('unit_parent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_parent_id'))

    op.drop_table('unit_parent')
    with op.batch_alter_table('unit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_event_unit_id'))

    op.drop_table('unit_event')
    with op.batch_alter_table('transfer_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_item_unit_id'))

    op.drop_table('transfer_item')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index('uq_reservation_live_unit', sqlite_where=sa.text('released_at IS NULL'), postgresql_where=sa.text('released_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_reservation_order_id'))

    op.drop_table('reservation')
    op.drop_table('recall_unit')
    op.drop_table('excursion_unit')
    with op.batch_alter_table('crossmatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crossmatch_unit_id'))
        batch_op.drop_index(batch_op.f('ix_crossmatch_patient_id'))

    op.drop_table('crossmatch')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_stock')
        batch_op.drop_index(batch_op.f('ix_unit_donation_id'))
        batch_op.drop_index(batch_op.f('ix_unit_din'))

    op.drop_table('unit')
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_result_donation_id'))
        batch_op.drop_index('ix_test_result_current')

    op.drop_table('test_result')
    with op.batch_alter_table('donor_follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_follow_up_donor_id'))

    op.drop_table('donor_follow_up')
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_grouping_patient_id'))

    op.drop_table('patient_grouping')
    with op.batch_alter_table('antibody_screen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_antibody_screen_patient_id'))

    op.drop_table('antibody_screen')
    with op.batch_alter_table('special_requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_special_requirement_patient_id'))

    op.drop_table('special_requirement')
    with op.batch_alter_table('patient_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_sample_patient_id'))

    op.drop_table('patient_sample')
    with op.batch_alter_table('patient_identifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_identifier_patient_id'))

    op.drop_table('patient_identifier')
    with op.batch_alter_table('patient_antibody', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_antibody_patient_id'))

    op.drop_table('patient_antibody')
    with op.batch_alter_table('blood_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blood_order_patient_id'))
        batch_op.drop_index(batch_op.f('ix_blood_order_hospital_id'))

    op.drop_table('blood_order')
    op.drop_table('patient')
    op.drop_table('transfer')
    op.drop_table('temperature_excursion')
    op.drop_table('hospital')
    op.drop_table('recall')

"""Massive transfusion protocols, their rounds, a hospital's ratio, and pre-printed emergency identities

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.adapters.db.types import UTCDateTime

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table(
        'hospital_mtp_ratio',
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('red_cells', sa.Integer(), nullable=False),
        sa.Column('plasma', sa.Integer(), nullable=False),
        sa.Column('platelets', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_at', UTCDateTime(), nullable=False),
        sa.Column('set_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('red_cells > 0 AND plasma >= 0 AND platelets >= 0',
                           name=op.f('ck_hospital_mtp_ratio_counts_in_range')),
        _fk('hospital_mtp_ratio', 'hospital_id', 'hospital'),
        sa.PrimaryKeyConstraint('hospital_id', name=op.f('pk_hospital_mtp_ratio')),
    )
    op.create_table(
        'massive_transfusion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('red_cells', sa.Integer(), nullable=False),
        sa.Column('plasma', sa.Integer(), nullable=False),
        sa.Column('platelets', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('activated_at', UTCDateTime(), nullable=False),
        sa.Column('activated_by', sa.String(length=100), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.Column('ended_by', sa.String(length=100), nullable=True),
        sa.Column('end_signature_id', sa.Integer(), nullable=True),
        sa.Column('end_note', sa.Text(), nullable=False),
        sa.CheckConstraint('ended_at IS NULL OR ended_at >= activated_at',
                           name=op.f('ck_massive_transfusion_ends_after_activation')),
        _fk('massive_transfusion', 'hospital_id', 'hospital'),
        _fk('massive_transfusion', 'patient_id', 'patient'),
        _fk('massive_transfusion', 'incident_id', 'incident'),
        _fk('massive_transfusion', 'end_signature_id', 'signature'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_massive_transfusion')),
    )
    op.create_index(op.f('ix_massive_transfusion_hospital_id'), 'massive_transfusion', ['hospital_id'])
    op.create_index(op.f('ix_massive_transfusion_patient_id'), 'massive_transfusion', ['patient_id'])
    op.create_table(
        'mtp_round',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mtp_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('emergency', sa.Boolean(), nullable=False),
        sa.Column('prepared_at', UTCDateTime(), nullable=False),
        sa.Column('prepared_by', sa.String(length=100), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=True),
        sa.Column('issued_by', sa.String(length=100), nullable=True),
        sa.Column('returned_at', UTCDateTime(), nullable=True),
        sa.Column('returned_by', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['mtp_id'], ['massive_transfusion.id'],
                                name=op.f('fk_mtp_round_mtp_id_massive_transfusion')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mtp_round')),
        sa.UniqueConstraint('mtp_id', 'number', name=op.f('uq_mtp_round_mtp_id_number')),
    )
    op.create_index(op.f('ix_mtp_round_mtp_id'), 'mtp_round', ['mtp_id'])
    op.create_table(
        'mtp_round_unit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('return_id', sa.Integer(), nullable=True),
        _fk('mtp_round_unit', 'round_id', 'mtp_round'),
        _fk('mtp_round_unit', 'unit_id', 'unit'),
        _fk('mtp_round_unit', 'reservation_id', 'reservation'),
        _fk('mtp_round_unit', 'issue_id', 'issue'),
        _fk('mtp_round_unit', 'return_id', 'unit_return'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mtp_round_unit')),
        sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_mtp_round_unit_round_id_unit_id')),
    )
    op.create_index(op.f('ix_mtp_round_unit_round_id'), 'mtp_round_unit', ['round_id'])
    op.create_index(op.f('ix_mtp_round_unit_unit_id'), 'mtp_round_unit', ['unit_id'])
    op.create_table(
        'identity_pack',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('printed_at', UTCDateTime(), nullable=False),
        sa.Column('printed_by', sa.String(length=100), nullable=False),
        _fk('identity_pack', 'hospital_id', 'hospital'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_pack')),
    )
    op.create_index(op.f('ix_identity_pack_hospital_id'), 'identity_pack', ['hospital_id'])
    op.create_table(
        'emergency_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pack_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('registered_at', UTCDateTime(), nullable=True),
        sa.Column('registered_by', sa.String(length=100), nullable=True),
        _fk('emergency_identity', 'pack_id', 'identity_pack'),
        _fk('emergency_identity', 'patient_id', 'patient'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_identity')),
        sa.UniqueConstraint('number', name=op.f('uq_emergency_identity_number')),
    )
    op.create_index(op.f('ix_emergency_identity_pack_id'), 'emergency_identity', ['pack_id'])
    op.create_index(op.f('ix_emergency_identity_patient_id'), 'emergency_identity', ['patient_id'])


def downgrade() -> None:
    for table, indexes in (('emergency_identity', ('patient_id', 'pack_id')), ('identity_pack', ('hospital_id',)),
                           ('mtp_round_unit', ('unit_id', 'round_id')), ('mtp_round', ('mtp_id',)),
                           ('massive_transfusion', ('patient_id', 'hospital_id'))):
        for column in indexes:
            op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
    op.drop_table('hospital_mtp_ratio')

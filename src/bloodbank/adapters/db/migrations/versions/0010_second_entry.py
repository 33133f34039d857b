"""a blood group or infection-marker result typed by hand counts once a blind second entry agrees

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SOURCE_KNOWN = "source IN ('analyser', 'manual', 'unrecorded')"


def upgrade() -> None:
    # Results and groupings already stored were counted under the rule of their day and keep counting: where
    # they came from was not kept, so they are "unrecorded", which needs no second entry. Every new row says.
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False, server_default='unrecorded'))
        batch_op.add_column(sa.Column('second_entry_outcome', sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column('second_entry_value', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('second_entry_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('second_entry_by', sa.String(length=100), nullable=True))
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.alter_column('source', server_default=None)
        batch_op.create_check_constraint(op.f('ck_test_result_source_known'), SOURCE_KNOWN)
        batch_op.create_check_constraint(
            op.f('ck_test_result_second_entry_in_full'),
            "(second_entry_at IS NULL AND second_entry_by IS NULL AND second_entry_outcome IS NULL)"
            " OR (second_entry_at IS NOT NULL AND second_entry_by IS NOT NULL AND second_entry_outcome IS NOT NULL)")

    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False, server_default='unrecorded'))
        batch_op.add_column(sa.Column('second_entry_group', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('second_entry_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('second_entry_by', sa.String(length=100), nullable=True))
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.alter_column('source', server_default=None)
        batch_op.create_check_constraint(op.f('ck_patient_grouping_source_known'), SOURCE_KNOWN)
        batch_op.create_check_constraint(
            op.f('ck_patient_grouping_second_entry_in_full'),
            "(second_entry_at IS NULL AND second_entry_by IS NULL AND second_entry_group IS NULL)"
            " OR (second_entry_at IS NOT NULL AND second_entry_by IS NOT NULL AND second_entry_group IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table('patient_grouping', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_patient_grouping_second_entry_in_full'), type_='check')
        batch_op.drop_constraint(op.f('ck_patient_grouping_source_known'), type_='check')
        batch_op.drop_column('second_entry_by')
        batch_op.drop_column('second_entry_at')
        batch_op.drop_column('second_entry_group')
        batch_op.drop_column('source')
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_test_result_second_entry_in_full'), type_='check')
        batch_op.drop_constraint(op.f('ck_test_result_source_known'), type_='check')
        batch_op.drop_column('second_entry_by')
        batch_op.drop_column('second_entry_at')
        batch_op.drop_column('second_entry_value')
        batch_op.drop_column('second_entry_outcome')
        batch_op.drop_column('source')

"""a donor's blood group is confirmed only by the laboratory; a declared one is a hint

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blood_group_confirmed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A group stands confirmed where a current ABO/RhD typing of one of the donor's donations says so.
    op.execute(
        "UPDATE donor SET blood_group_confirmed = " + sa.true().compile(dialect=op.get_bind().dialect).string +
        " WHERE blood_group IS NOT NULL AND EXISTS (SELECT 1 FROM test_result JOIN donation"
        " ON donation.id = test_result.donation_id WHERE donation.donor_id = donor.id"
        " AND test_result.test = 'abo_rh' AND test_result.superseded_by_id IS NULL"
        " AND test_result.value = donor.blood_group)"
    )


def downgrade() -> None:
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.drop_column('blood_group_confirmed')

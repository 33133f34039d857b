"""donors imported in bulk after 0020 were written without their appeal grid cell: an appeal never found them

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 04:30:00
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.domain.appeal_rules import default_parameters
from bloodbank.domain.appeal_selection import grid_cell

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    connection = op.get_bind()
    donor = sa.table('donor', sa.column('id', sa.Integer), sa.column('latitude', sa.Float),
                     sa.column('longitude', sa.Float), sa.column('grid_cell', sa.Integer))
    degrees = default_parameters().grid_degrees
    last = 0
    while True:
        rows = connection.execute(
            sa.select(donor.c.id, donor.c.latitude, donor.c.longitude)
            .where(donor.c.id > last, donor.c.grid_cell.is_(None), donor.c.latitude.is_not(None),
                   donor.c.longitude.is_not(None))
            .order_by(donor.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(donor.update().where(donor.c.id == sa.bindparam('donor_id')),
                           [{'donor_id': r.id, 'grid_cell': grid_cell(r.latitude, r.longitude, degrees)} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    pass  # the cells are what the ORM would have written: nothing to take back

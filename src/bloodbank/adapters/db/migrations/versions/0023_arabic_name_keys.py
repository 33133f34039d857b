"""Arabic names' search keys in their folded form

Names are now found across Arabic spellings (taa marbuta and haa, alef maqsura and yaa, alef wasla, tatweel,
Persian yaa and kaf). The keys of names written before hold the old form: they are written again, for the names
that hold one of those letters only.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.domain.search_keys import donor_name_tokens

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BATCH = 5000
FOLDED = frozenset("\u0640ةىٱیک")


def upgrade() -> None:
    connection = op.get_bind()
    donor = sa.table('donor', sa.column('id', sa.Integer), sa.column('given_name', sa.String),
                     sa.column('family_name', sa.String))
    token = sa.table('donor_name_token', sa.column('donor_id', sa.Integer), sa.column('token', sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(donor.c.id, donor.c.given_name, donor.c.family_name)
            .where(donor.c.id > last).order_by(donor.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [row for row in rows if FOLDED & set(f"{row.given_name}{row.family_name}")]
        if changed:
            connection.execute(token.delete().where(token.c.donor_id.in_([row.id for row in changed])))
            connection.execute(token.insert(), [
                {"donor_id": row.id, "token": t}
                for row in changed for t in sorted(donor_name_tokens(row.given_name, row.family_name))])
        last = rows[-1].id


def downgrade() -> None:
    pass  # the folded keys find everything the old ones did: nothing to undo

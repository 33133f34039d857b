"""erasure requests are closed by the erasure or declined with a reason; the outbox's message bodies are sealed;
"I can come now" is indexed for the appeals that read it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:00:00

A request a donor filed from their page gains its outcome ('erased' or
'declined'), when and by whom it was closed, and a decline's reason (sealed).
Requests whose donor is already erased are closed as erased.

The outbox's bodies (sign-in links and codes, appeal links) become sealed
values. Rows already stored are sealed in place, so this revision needs the
data key when the outbox holds any message; downgrading opens them again.
"""
from alembic import op
import sqlalchemy as sa

import bloodbank.adapters.db.types
from bloodbank.adapters.data_keys import active_ring
from bloodbank.domain.errors import DataKeyUnavailable


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

BATCH = 500
CONTEXT = 'outbox_message.body'


def upgrade() -> None:
    with op.batch_alter_table('donor_erasure_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('closed_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_donor_erasure_request_outcome_known'),
                                         "outcome IS NULL OR outcome IN ('erased', 'declined')")
    op.create_index(op.f('ix_donor_portal_choice_available_until'), 'donor_portal_choice', ['available_until'],
                    unique=False)
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE donor_erasure_request SET outcome = 'erased', "
        "closed_at = (SELECT e.erased_at FROM donor_erasure e WHERE e.donor_id = donor_erasure_request.donor_id) "
        "WHERE EXISTS (SELECT 1 FROM donor_erasure e WHERE e.donor_id = donor_erasure_request.donor_id)"))
    ring = _ring_if_needed(bind, 'seal')
    if ring is not None:
        _rewrite(bind, lambda text: ring.seal(CONTEXT, text.encode()))


def downgrade() -> None:
    bind = op.get_bind()
    ring = _ring_if_needed(bind, 'open')
    if ring is not None:
        _rewrite(bind, lambda token: ring.open(CONTEXT, token).decode())
    with op.batch_alter_table('donor_erasure_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_donor_erasure_request_outcome_known'), type_='check')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('outcome')
    op.drop_index(op.f('ix_donor_portal_choice_available_until'), table_name='donor_portal_choice')


def _ring_if_needed(bind, verb: str):
    stored = bind.execute(sa.text("SELECT COUNT(*) FROM outbox_message")).scalar_one()
    if not stored:
        return None
    try:
        return active_ring()
    except DataKeyUnavailable as error:
        raise DataKeyUnavailable(
            f"The outbox holds {stored} message(s) to {verb}, which needs the data key, and none can be used: "
            f"{error.message} Nothing was changed.") from None


def _rewrite(bind, change) -> None:
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, body FROM outbox_message WHERE id > :last ORDER BY id LIMIT {BATCH}"), {'last': last}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE outbox_message SET body = :value WHERE id = :id"),
                     [{'id': row_id, 'value': change(value)} for row_id, value in rows])
        last = rows[-1][0]

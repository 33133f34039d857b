"""donors' confidences are sealed in the database with a key kept outside it; every private answer is stored

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00

Questionnaire answers, eligibility reasons, deferral codes and reasons, test
outcomes, follow-ups, discard reasons (and the reasons a discard writes on
the unit's reservation and holds), unit event details and recall reasons
become Text holding values sealed with the current data key
(adapters.data_keys); the CHECK on a result's outcome goes, as the database
sees only sealed values (the outcome is still checked before it is stored).
The `self_exclusion` table, whose rows were the confidence itself, becomes
`confidential_answer`, a sealed answer per visit asked.

Rows already stored are sealed in place, so this revision needs the data key
when the database holds any; an empty database (a new installation) needs
none. Downgrading opens every value again, and needs the key likewise.
"""
from alembic import op
import sqlalchemy as sa

import bloodbank.adapters.db.types
from bloodbank.adapters.data_keys import active_ring
from bloodbank.adapters.db.append_only import drop_append_only, make_append_only
from bloodbank.domain.errors import DataKeyUnavailable


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BATCH = 500
# table -> column -> the type it had before, for the way back.
SEALED = {
    'visit': {'questionnaire': sa.JSON(), 'decision_reasons': sa.JSON(), 'rescreen_reason': sa.Text()},
    'consent': {'withdrawal_note': sa.Text()},
    'deferral': {'code': sa.String(length=40), 'reason': sa.Text(), 'lift_reason': sa.Text()},
    'test_result': {'outcome': sa.String(length=15), 'value': sa.String(length=20),
                    'correction_reason': sa.Text(), 'second_entry_outcome': sa.String(length=15),
                    'second_entry_value': sa.String(length=20)},
    'donor_follow_up': {'reason': sa.String(length=40), 'detail': sa.Text(), 'outcome': sa.Text()},
    'unit': {'discard_reason': sa.String(length=30), 'discard_note': sa.Text()},
    'unit_event': {'detail': sa.JSON()},
    'unit_hold': {'decision_reason': sa.Text()},
    'reservation': {'release_reason': sa.Text()},
    'recall': {'reason': sa.Text()},
}
OUTCOME_KNOWN = "outcome IN ('negative', 'reactive', 'indeterminate', 'positive', 'typed')"
NO = 'not'


def upgrade() -> None:
    bind = op.get_bind()
    ring = _ring_if_needed(bind, _stored(bind) + _count(bind, 'self_exclusion', 'id'), 'seal')
    # The rows of unit_event are rewritten sealed, the same content: its guard is lifted for this revision only.
    drop_append_only('unit_event')
    for table, columns in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, before in columns.items():
                if not isinstance(before, sa.Text):
                    batch_op.alter_column(column, existing_type=before, type_=sa.Text(),
                                          postgresql_using=f'{column}::text')
            if table == 'test_result':
                batch_op.drop_constraint(op.f('ck_test_result_outcome_known'), type_='check')
            if table == 'donor_follow_up':
                batch_op.create_index(op.f('ix_donor_follow_up_donation_id'), ['donation_id'], unique=False)
    op.create_table(
        'confidential_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_confidential_answer_visit_id_visit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_confidential_answer')),
        sa.UniqueConstraint('visit_id', name=op.f('uq_confidential_answer_visit_id')),
    )
    if ring is not None:
        answer = ring.seal('confidential_answer.answer', NO.encode())
        bind.execute(sa.text(
            "INSERT INTO confidential_answer (visit_id, recorded_at, answer) "
            "SELECT visit_id, recorded_at, :answer FROM self_exclusion ORDER BY id"), {'answer': answer})
        # Each its own nonce: one ciphertext shared by every "not" would mark them all alike.
        _rewrite(bind, 'confidential_answer', 'answer', lambda _old: ring.seal('confidential_answer.answer',
                                                                                 NO.encode()))
        for table, columns in SEALED.items():
            for column in columns:
                context = f'{table}.{column}'
                _rewrite(bind, table, column, lambda text, context=context: ring.seal(context, text.encode()))
    op.drop_table('self_exclusion')
    make_append_only('unit_event')


def downgrade() -> None:
    bind = op.get_bind()
    ring = _ring_if_needed(bind, _stored(bind) + _count(bind, 'confidential_answer', 'id'), 'open')
    drop_append_only('unit_event')
    op.create_table(
        'self_exclusion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_self_exclusion_visit_id_visit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_self_exclusion')),
        sa.UniqueConstraint('visit_id', name=op.f('uq_self_exclusion_visit_id')),
    )
    if ring is not None:
        rows = bind.execute(sa.text("SELECT visit_id, recorded_at, answer FROM confidential_answer ORDER BY id"))
        excluded = [{'visit_id': visit_id, 'recorded_at': at} for visit_id, at, answer in rows
                    if ring.open('confidential_answer.answer', answer).decode() == NO]
        if excluded:
            bind.execute(sa.text("INSERT INTO self_exclusion (visit_id, recorded_at) "
                                 "VALUES (:visit_id, :recorded_at)"), excluded)
        for table, columns in SEALED.items():
            for column in columns:
                context = f'{table}.{column}'
                _rewrite(bind, table, column, lambda token, context=context: ring.open(context, token).decode())
    op.drop_table('confidential_answer')
    for table, columns in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'donor_follow_up':
                batch_op.drop_index(op.f('ix_donor_follow_up_donation_id'))
            for column, before in columns.items():
                if not isinstance(before, sa.Text):
                    using = f'{column}::json' if isinstance(before, sa.JSON) else None
                    batch_op.alter_column(column, existing_type=sa.Text(), type_=before, postgresql_using=using)
            if table == 'test_result':
                batch_op.create_check_constraint(op.f('ck_test_result_outcome_known'), OUTCOME_KNOWN)
    make_append_only('unit_event')


def _count(bind, table: str, column: str) -> int:
    return bind.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")).scalar_one()


def _stored(bind) -> int:
    return sum(_count(bind, table, column) for table, columns in SEALED.items() for column in columns)


def _ring_if_needed(bind, stored: int, verb: str):
    if not stored:
        return None
    try:
        return active_ring()
    except DataKeyUnavailable as error:
        raise DataKeyUnavailable(
            f"This database holds {stored} stored confidence(s) to {verb}, which needs the data key, and none can "
            f"be used: {error.message} Nothing was changed."
        ) from None


def _rewrite(bind, table: str, column: str, change) -> None:
    """Every non-null value of the column through `change`, in batches by id."""
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL ORDER BY id LIMIT {BATCH}"),
            {'last': last}).all()
        if not rows:
            return
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     [{'id': row_id, 'value': change(value)} for row_id, value in rows])
        last = rows[-1][0]

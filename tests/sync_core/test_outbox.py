"""The outbox's states and transitions (plugins/xero/outbox.py)."""
from bm.extensions import db
from plugins.xero import outbox
from plugins.xero.models import OutboxEntry, WriteBatch
from plugins.xero.outbox import State


def entry(kind="client", object_id=1, state=State.PENDING, batch_id=None, attempts=0):
    return OutboxEntry(kind=kind, object_id=object_id, state=state, batch_id=batch_id, attempts=attempts,
                       last_error="", detail={})


def saved(*entries):
    db.session.add_all(entries)
    db.session.commit()
    return entries


def batch(key="k1"):
    made = WriteBatch(tenant_id="t", kind="contact", method="PUT", idempotency_key=key, body=[], object_ids=[])
    db.session.add(made)
    db.session.commit()
    return made.id


def states(kind="client"):
    db.session.expire_all()
    return {e.object_id: (e.state, e.batch_id) for e in db.session.scalars(
        db.select(OutboxEntry).where(OutboxEntry.kind == kind))}


def ids(query):
    return sorted(db.session.scalars(query))


def test_the_open_states_are_pending_and_attention():
    assert outbox.OPEN == (State.PENDING, State.ATTENTION)
    assert [str(s) for s in State] == ["pending", "attention", "done", "dropped"]


def test_claim_ties_each_entry_to_the_batch_and_counts_the_attempt():
    first, second = entry(attempts=0), entry(object_id=2, attempts=2)
    outbox.claim([first, second], 7)
    assert (first.batch_id, first.attempts, second.batch_id, second.attempts) == (7, 1, 7, 3)


def test_done_leaves_the_batch_and_keeps_a_note_only_when_given():
    sent = entry(batch_id=3)
    sent.last_error = "earlier"
    outbox.done(sent)
    assert (sent.state, sent.batch_id, sent.last_error) == (State.DONE, None, "earlier")
    outbox.done(sent, note="kept Xero's")
    assert sent.last_error == "kept Xero's"
    outbox.done(sent, note="")
    assert sent.last_error == ""


def test_refuse_waits_for_the_user_with_xeros_message_and_the_detail_only_when_given():
    sent = entry(batch_id=3)
    sent.detail = {"version": 2}
    outbox.refuse(sent, "Name taken")
    assert (sent.state, sent.last_error, sent.batch_id, sent.detail) == (State.ATTENTION, "Name taken", None,
                                                                        {"version": 2})
    outbox.refuse(sent, "again", detail={"fix": 1})
    assert sent.detail == {"fix": 1}
    outbox.refuse(sent, "again", detail={})
    assert sent.detail == {}


def test_release_puts_an_entry_back_in_the_queue_out_of_its_batch():
    sent = entry(state=State.ATTENTION, batch_id=3)
    outbox.release(sent)
    assert (sent.state, sent.batch_id) == (State.PENDING, None)


def test_retry_refused_requeues_only_a_refused_entry_in_no_batch():
    refused, carried, pending = entry(state=State.ATTENTION), entry(state=State.ATTENTION, batch_id=4), entry()
    for one in (refused, carried, pending):
        outbox.retry_refused(one)
    assert (refused.state, carried.state, pending.state) == (State.PENDING, State.ATTENTION, State.PENDING)
    outbox.retry_refused(None)  # an object with no entry: nothing to do


def test_is_refused():
    assert outbox.is_refused(entry(state=State.ATTENTION))
    assert not outbox.is_refused(entry(state=State.PENDING))
    assert not outbox.is_refused(None)


def test_open_entry_makes_one_pending_entry_and_reuses_it(core_db):
    made = outbox.open_entry("client", 5)
    assert (made.kind, made.object_id, made.state, made.detail) == ("client", 5, State.PENDING, {})
    db.session.commit()
    assert outbox.open_entry("client", 5) is made
    assert outbox.open_entry("invoice", 5) is not made


def test_open_entry_requeues_a_refused_entry_unless_a_batch_carries_it(core_db):
    key = batch()
    refused, carried = saved(entry(object_id=1, state=State.ATTENTION), entry(object_id=2, state=State.ATTENTION,
                                                                           batch_id=key))
    assert outbox.open_entry("client", 1) is refused and refused.state == State.PENDING
    assert outbox.open_entry("client", 2) is carried and carried.state == State.ATTENTION


def test_closed_entries_are_not_waiting(core_db):
    saved(entry(object_id=1, state=State.DONE), entry(object_id=2, state=State.DROPPED),
          entry(object_id=3, state=State.ATTENTION), entry(object_id=4), entry(kind="invoice", object_id=5),
          entry(object_id=9))
    assert outbox.waiting_entry("client", 1) is None and outbox.waiting_entry("client", 2) is None
    assert outbox.waiting_entry("client", 3).state == State.ATTENTION
    assert sorted(outbox.waiting_entries("client", [1, 2, 3, 4, 5])) == [3, 4]
    assert outbox.open_count() == 4


def test_unsent_waiting_and_in_flight_queries(core_db):
    key = batch()
    saved(entry(object_id=1), entry(object_id=2, batch_id=key), entry(object_id=3, state=State.ATTENTION),
          entry(object_id=4, state=State.ATTENTION, batch_id=key), entry(object_id=5, state=State.DONE, batch_id=key),
          entry(kind="invoice", object_id=6))
    assert ids(db.select(OutboxEntry.object_id).where(outbox.unsent("client"))) == [1]
    assert ids(outbox.waiting_ids("client")) == [1, 2]
    assert ids(db.select(OutboxEntry.object_id).where(outbox.in_flight("client"))) == [2, 4]


def test_retry_all_refused_requeues_the_kinds_refused_entries_in_no_batch(core_db):
    key = batch()
    saved(entry(object_id=1, state=State.ATTENTION), entry(object_id=2, state=State.ATTENTION, batch_id=key),
          entry(object_id=3, state=State.DONE), entry(kind="payment", object_id=4, state=State.ATTENTION))
    outbox.retry_all_refused(("client", "invoice"))
    db.session.commit()
    assert states() == {1: (State.PENDING, None), 2: (State.ATTENTION, key), 3: (State.DONE, None)}
    assert states("payment") == {4: (State.ATTENTION, None)}


def test_finish_unsent_closes_the_objects_pending_entries_in_no_batch(core_db):
    key = batch()
    saved(entry(object_id=1), entry(object_id=2, batch_id=key), entry(object_id=3, state=State.ATTENTION),
          entry(object_id=4), entry(kind="invoice", object_id=1))
    outbox.finish_unsent("client", [1, 2, 3])
    db.session.commit()
    assert states() == {1: (State.DONE, None), 2: (State.PENDING, key), 3: (State.ATTENTION, None),
                        4: (State.PENDING, None)}
    assert states("invoice") == {1: (State.PENDING, None)}


def test_finish_and_drop_open_touch_only_the_objects_open_entries_in_no_batch(core_db):
    key = batch()
    saved(entry(object_id=1), entry(object_id=1, state=State.ATTENTION), entry(object_id=2),
          entry(object_id=3, batch_id=key), entry(kind="invoice", object_id=1))
    outbox.finish_open("client", 1)
    outbox.drop_open("client", 2)
    outbox.drop_open("client", 3)
    db.session.commit()
    db.session.expire_all()
    rows = sorted((e.kind, e.object_id, e.state, e.batch_id) for e in db.session.scalars(db.select(OutboxEntry)))
    assert rows == [("client", 1, State.DONE, None), ("client", 1, State.DONE, None),
                    ("client", 2, State.DROPPED, None), ("client", 3, State.PENDING, key),
                    ("invoice", 1, State.PENDING, None)]


def test_drop_all_open_drops_open_entries_in_a_batch_or_not(core_db):
    key = batch()
    saved(entry(object_id=1), entry(object_id=2, batch_id=key), entry(object_id=3, state=State.ATTENTION),
          entry(object_id=4, state=State.DONE))
    outbox.drop_all_open()
    db.session.commit()
    assert states() == {1: (State.DROPPED, None), 2: (State.DROPPED, key), 3: (State.DROPPED, None),
                        4: (State.DONE, None)}

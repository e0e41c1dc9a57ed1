"""Batched writes: saved with their key before they leave, answered, settled when the answer is lost
(plugins/xero/sync/batches.py). Xero is a script of answers; the outbox and batches are real rows."""
from datetime import timedelta

import pytest

from bm.extensions import db
from bm.models import utcnow
from plugins.xero.api import WriteFailed, XeroValidationError
from plugins.xero.models import OutboxEntry, WriteBatch
from plugins.xero.outbox import State
from plugins.xero.sync import batches
from plugins.xero.sync.batches import BatchState, RecordKind


class Xero:
    """Answers each write with the next of ``answers`` (a list of elements, or an exception to raise)."""

    def __init__(self, *answers):
        self.answers, self.writes = list(answers), []

    def write(self, method, path, key, records, idempotency_key):
        self.writes.append((method, path, key, [dict(r) for r in records], idempotency_key))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Run:
    def __init__(self):
        self.errors = []

    def note_error(self, message, record=None):
        self.errors.append(message)


class Kind:
    """A RecordKind whose records "arrive" when listed in ``in_xero``; it records what it was asked,
    and the run and client it was given."""

    def __init__(self, in_xero=()):
        self.in_xero, self.calls, self.given = set(in_xero), [], []
        self.kind = RecordKind("contact", "Contacts", self.take_answers, self.arrived, self.read_back, self.recover)

    def take_answers(self, batch, answers, run):
        self.given.append(run)
        self.calls.append(("answers", batch.id, [(entry.object_id, element) for entry, element in answers]))
        for entry, _element in answers:
            entry.state = State.DONE

    def arrived(self, batch):
        return {object_id: "found" for object_id in batch.object_ids if object_id in self.in_xero}

    def read_back(self, xero, batch, run):
        self.given += [xero, run]
        self.calls.append(("read_back", batch.id))

    def recover(self, batch, arrived, run):
        self.given.append(run)
        self.calls.append(("recover", batch.id, sorted(arrived)))

    def was_given_only(self, *things):
        return self.given and all(any(given is thing for thing in things) for given in self.given)


def entries(*object_ids):
    made = [OutboxEntry(kind="client", object_id=object_id, state=State.PENDING, detail={}) for object_id in object_ids]
    db.session.add_all(made)
    db.session.commit()
    return made


def saved_batch(kind, *object_ids):
    return batches.save("tenant", kind, [(entry, {"Name": f"N{entry.object_id}"}) for entry in entries(*object_ids)])


def outbox():
    db.session.expire_all()
    return {e.object_id: (e.state, e.batch_id, e.attempts) for e in db.session.scalars(db.select(OutboxEntry))}


def test_save_keeps_the_key_body_and_objects_and_claims_the_entries(core_db):
    batch = saved_batch(Kind().kind, 1, 2)
    db.session.expire_all()
    stored = db.session.get(WriteBatch, batch.id)
    assert (stored.tenant_id, stored.kind, stored.method, stored.state) == ("tenant", "contact", "PUT", "sending")
    assert stored.body == [{"Name": "N1"}, {"Name": "N2"}] and stored.object_ids == [1, 2]
    assert stored.idempotency_key.startswith("bm-") and stored.first_sent_at is not None
    assert outbox() == {1: ("pending", batch.id, 1), 2: ("pending", batch.id, 1)}


def test_send_gives_each_entry_its_answer_and_closes_the_batch(core_db):
    kind = Kind()
    batch = saved_batch(kind.kind, 1, 2)
    db.session.add(OutboxEntry(kind="client", object_id=3, state=State.PENDING, detail={}))
    db.session.commit()
    xero, run = Xero([{"ContactID": "x1"}, {"ContactID": "x2"}]), Run()
    batches.send(xero, batch, kind.kind, run)
    assert kind.was_given_only(run)
    assert xero.writes == [("PUT", "Contacts", "Contacts", [{"Name": "N1"}, {"Name": "N2"}], batch.idempotency_key)]
    assert kind.calls == [("answers", batch.id, [(1, {"ContactID": "x1"}), (2, {"ContactID": "x2"})])]
    db.session.expire_all()
    stored = db.session.get(WriteBatch, batch.id)
    assert stored.state == BatchState.DONE and stored.done_at is not None


def test_an_entry_no_longer_in_the_batch_gets_no_answer(core_db):
    kind = Kind()
    batch = saved_batch(kind.kind, 1, 2)
    db.session.get(OutboxEntry, 1).batch_id = None
    db.session.commit()
    batches.send(Xero([{"ContactID": "x1"}, {"ContactID": "x2"}]), batch, kind.kind, Run())
    assert kind.calls == [("answers", batch.id, [(2, {"ContactID": "x2"})])]


def test_a_refused_request_answers_every_record_with_xeros_messages(core_db):
    kind = Kind()
    batch = saved_batch(kind.kind, 1, 2)
    batches.send(Xero(XeroValidationError(["Name taken.", "Bad email."])), batch, kind.kind, Run())
    refusal = {"StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": "Name taken."},
                                                                      {"Message": "Bad email."}]}
    assert kind.calls == [("answers", batch.id, [(1, refusal), (2, refusal)])]


def test_after_a_server_error_what_arrived_is_kept_and_the_rest_goes_in_a_new_batch_with_a_new_key(core_db):
    kind, run = Kind(in_xero={1}), Run()
    batch = saved_batch(kind.kind, 1, 2, 3)
    xero = Xero(WriteFailed("Xero answered with an error (500) while saving."), [{"ContactID": "x2"},
                                                                                  {"ContactID": "x3"}])
    batches.send(xero, batch, kind.kind, run)
    second = db.session.scalars(db.select(WriteBatch).where(WriteBatch.id != batch.id)).one()
    assert [write[3] for write in xero.writes] == [[{"Name": "N1"}, {"Name": "N2"}, {"Name": "N3"}],
                                                  [{"Name": "N2"}, {"Name": "N3"}]]
    assert xero.writes[1][4] == second.idempotency_key != batch.idempotency_key
    assert kind.calls[:2] == [("read_back", batch.id), ("recover", batch.id, [1])]
    assert kind.calls[2] == ("answers", second.id, [(2, {"ContactID": "x2"}), (3, {"ContactID": "x3"})])
    assert db.session.get(WriteBatch, batch.id).state == BatchState.SETTLED
    assert second.object_ids == [2, 3] and second.state == BatchState.DONE
    assert outbox()[1] == ("done", None, 1) and run.errors == []
    assert kind.was_given_only(xero, run)


def test_after_the_last_resend_fails_the_rest_waits_for_the_next_sync(core_db):
    kind, run = Kind(), Run()
    batch = saved_batch(kind.kind, 1, 2)
    failure = WriteFailed("Xero answered with an error (503) while saving.")
    xero = Xero(failure, failure, failure)
    batches.send(xero, batch, kind.kind, run)
    assert len(xero.writes) == 3 and len({write[4] for write in xero.writes}) == 3
    assert run.errors == ["Xero answered with an error (503) while saving. 2 records not in Xero will be sent again "
                          "on the next sync."]
    assert {state for state, batch_id, _ in outbox().values()} == {"pending"}
    assert all(batch_id is None for _, batch_id, _ in outbox().values())
    assert db.session.scalar(db.select(db.func.count()).select_from(WriteBatch).where(
        WriteBatch.state == BatchState.SETTLED)) == 3


def test_one_record_left_is_named_in_the_singular(core_db):
    kind, run = Kind(), Run()
    failure = WriteFailed("Failed.")
    batches.send(Xero(failure), saved_batch(kind.kind, 1), kind.kind, run, resends=0)
    assert run.errors == ["Failed. 1 record not in Xero will be sent again on the next sync."]


def test_nothing_is_resent_when_everything_arrived(core_db):
    kind, run = Kind(in_xero={1, 2}), Run()
    xero = Xero(WriteFailed("Failed."))
    batches.send(xero, saved_batch(kind.kind, 1, 2), kind.kind, run)
    assert len(xero.writes) == 1 and run.errors == []
    assert outbox() == {1: ("done", None, 1), 2: ("done", None, 1)}


def sending(kind, *object_ids, age=timedelta(0), state=BatchState.SENDING):
    batch = saved_batch(kind.kind, *object_ids)
    batch.first_sent_at, batch.state = utcnow() - age, state
    db.session.commit()
    return batch


def test_a_young_batch_with_nothing_arrived_goes_again_with_its_own_key(core_db):
    kind = Kind()
    batch = sending(kind, 1, age=timedelta(minutes=3, seconds=50))
    xero, run = Xero([{"ContactID": "x1"}]), Run()
    batches.settle_interrupted(xero, "tenant", [kind.kind], run)
    assert [write[4] for write in xero.writes] == [batch.idempotency_key]
    assert db.session.get(WriteBatch, batch.id).state == BatchState.DONE and kind.was_given_only(run)


def test_every_interrupted_batch_is_settled_after_one_is_resent(core_db):
    kind, run = Kind(), Run()
    young, old = sending(kind, 1), sending(kind, 2, age=timedelta(hours=1))
    batches.settle_interrupted(Xero([{"ContactID": "x1"}]), "tenant", [kind.kind], run)
    assert [call[:2] for call in kind.calls] == [("answers", young.id), ("recover", old.id)]
    assert kind.was_given_only(run)


@pytest.mark.parametrize(("age", "in_xero", "state"), [
    (timedelta(minutes=4, seconds=10), set(), BatchState.SENDING),  # the key may be forgotten: never resent
    (timedelta(0), {1}, BatchState.SENDING),  # something arrived: link it, queue the rest
    (timedelta(0), set(), BatchState.FAILED),  # a server error's key is never sent again
])
def test_other_interrupted_batches_are_settled_from_what_arrived(core_db, age, in_xero, state):
    kind = Kind(in_xero)
    batch = sending(kind, 1, 2, age=age, state=state)
    xero, run = Xero(), Run()
    batches.settle_interrupted(xero, "tenant", [kind.kind], run)
    assert xero.writes == [] and kind.calls == [("recover", batch.id, sorted(in_xero))] and kind.was_given_only(run)
    assert outbox() == {1: ("done" if in_xero else "pending", None, 1), 2: ("pending", None, 1)}
    assert db.session.get(WriteBatch, batch.id).state == BatchState.SETTLED


def test_only_this_organisations_open_batches_of_the_kinds_asked_are_settled(core_db):
    kind = Kind()
    ours = sending(kind, 1, age=timedelta(hours=1))
    theirs = sending(kind, 2, age=timedelta(hours=1))
    theirs.tenant_id = "other"
    finished = sending(kind, 3, age=timedelta(hours=1), state=BatchState.DONE)
    invoices = sending(kind, 4, age=timedelta(hours=1))
    invoices.kind = "invoice"
    db.session.commit()
    assert batches.interrupted_count("tenant") == 2
    batches.settle_interrupted(Xero(), "tenant", [kind.kind], Run())
    assert kind.calls == [("recover", ours.id, [])]
    assert batches.interrupted_count("tenant") == 1 and batches.interrupted_count("other") == 1
    assert db.session.get(WriteBatch, finished.id).state == BatchState.DONE


def test_updates_go_with_a_fresh_key_and_once_more_after_a_server_error():
    xero = Xero(WriteFailed("Failed."), [{"ContactID": "x1"}])
    assert batches.send_updates(xero, "Contacts", [{"ContactID": "x1"}]) == [{"ContactID": "x1"}]
    assert [write[:4] for write in xero.writes] == [("POST", "Contacts", "Contacts", [{"ContactID": "x1"}])] * 2
    assert xero.writes[0][4] != xero.writes[1][4] and xero.writes[0][4].startswith("bm-")
    with pytest.raises(WriteFailed):
        batches.send_updates(Xero(WriteFailed("1"), WriteFailed("2"), []), "Contacts", [{}])
    refused = batches.send_updates(Xero(XeroValidationError(["No."])), "Contacts", [{}, {}])
    assert refused == [{"StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": "No."}]}] * 2


@pytest.mark.parametrize(("element", "refused"), [
    ({"StatusAttributeString": "ERROR"}, True), ({"StatusAttributeString": "OK"}, False), ({}, False),
    ({"HasErrors": True}, True), ({"HasValidationErrors": True}, True),
    ({"StatusAttributeString": "OK", "HasErrors": False, "HasValidationErrors": False}, False),
])
def test_refused(element, refused):
    assert batches.refused(element) is refused


def test_messages():
    assert batches.messages({"ValidationErrors": [{"Message": "Name taken."}, {"Message": "Bad email."}]}) == \
        "Name taken. Bad email."
    assert batches.messages({"ValidationErrors": [{}]}) == "Xero refused it."
    assert batches.messages({"ValidationErrors": None}) == "Xero refused it."
    assert batches.messages({}) == "Xero refused it."


def test_a_record_kind_recovers_nothing_by_default():
    kind = RecordKind("contact", "Contacts", None, None, None)
    assert kind.recover(None, {}, None) is None

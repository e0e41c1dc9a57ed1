"""The sync's invoice and payment decisions (plugins/xero/sync/invoice_plan.py), from plain values."""
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace as Obj

import pytest

from plugins.xero.sync.invoice_plan import (LinkedNews, PaymentDecision, inbound_action, invoice_outbound,
                                            linked_news, payment_decisions, payment_outbound)

EDITED_HERE = datetime(2026, 11, 20, 10, 0, 0)
LAST_SYNC = datetime(2026, 11, 20, 9, 0, 0)


def xero_at(moment, status="DRAFT"):
    return {"Status": status, "UpdatedDateUTC": moment.isoformat() + "Z"}


def link(status="DRAFT", updated=LAST_SYNC):
    return Obj(xero_status=status, xero_updated_at=updated)


def invoice(status="draft", updated=EDITED_HERE):
    return Obj(status=status, updated_at=updated)


UNSENT, IN_BATCH = Obj(batch_id=None), Obj(batch_id=4)


@pytest.mark.parametrize(("link_", "ours", "in_baseline", "status", "client_id", "action"), [
    (object(), object(), True, "VOIDED", 1, "update"),
    (None, object(), True, "VOIDED", 1, "recognise"),
    (None, None, True, "VOIDED", 1, "skip"),
    (None, None, False, "VOIDED", 1, "forget"),
    (None, None, False, "DELETED", None, "forget"),
    (None, None, False, "DRAFT", 1, "import"),
    (None, None, False, "AUTHORISED", 0, "import"),
    (None, None, False, "PAID", None, "remember"),
])
def test_inbound_action(link_, ours, in_baseline, status, client_id, action):
    assert inbound_action({"Status": status}, link_, ours, in_baseline, client_id) == action


def test_gone_in_xero_or_void_here_changes_nothing_but_the_status():
    assert linked_news(link(), invoice(), {"Status": "VOIDED"}, UNSENT) == LinkedNews("VOIDED")
    assert linked_news(link(), invoice(), {"Status": "DELETED"}, None) == LinkedNews("DELETED")
    assert linked_news(link("AUTHORISED"), invoice("void"), {"Status": "PAID"}, None) == LinkedNews("PAID")


def test_the_links_status_stands_when_xero_sends_none():
    assert linked_news(link("VOIDED"), invoice(), {}, None) == LinkedNews("VOIDED")


def test_approved_in_xero_its_values_and_payments_win():
    news = linked_news(link(), invoice("draft"), {"Status": "AUTHORISED"}, None)
    assert news == LinkedNews("AUTHORISED", takes_values=True, approves=True, supersedes=False, takes_payments=True)
    news = linked_news(link(), invoice("awaiting_payment"), {"Status": "PAID"}, UNSENT)
    assert news == LinkedNews("PAID", takes_values=True, approves=False, supersedes=True, takes_payments=True)
    assert not linked_news(link(), invoice(), {"Status": "AUTHORISED"}, IN_BATCH).supersedes


def test_a_draft_edited_only_in_xero_takes_the_edit():
    assert linked_news(link(), invoice(), xero_at(EDITED_HERE), None) == LinkedNews("DRAFT", takes_values=True)
    assert linked_news(link(), invoice("awaiting_payment"), xero_at(EDITED_HERE), None) == LinkedNews("DRAFT")


def test_a_draft_whose_practice_edit_is_in_flight_keeps_it():
    assert linked_news(link(), invoice(), xero_at(datetime(2027, 1, 1)), IN_BATCH) == LinkedNews("DRAFT")


def test_a_draft_edited_only_here_keeps_the_practice_edit():
    for unchanged in ({"Status": "DRAFT"}, xero_at(LAST_SYNC), xero_at(datetime(2026, 11, 20, 8))):
        assert linked_news(link(), invoice(), unchanged, UNSENT) == LinkedNews("DRAFT")


def test_a_draft_edited_on_both_sides_goes_to_the_newer_edit():
    xero_newer = xero_at(datetime(2026, 11, 20, 10, 0, 0, 1000))
    assert linked_news(link(), invoice(), xero_newer, UNSENT) == LinkedNews(
        "DRAFT", takes_values=True, supersedes=True, conflict="Xero")
    assert linked_news(link(), invoice("awaiting_payment"), xero_newer, UNSENT) == LinkedNews(
        "DRAFT", takes_values=False, supersedes=True, conflict="Xero")
    for not_newer in (EDITED_HERE, datetime(2026, 11, 20, 9, 59, 59, 999000)):
        assert linked_news(link(), invoice(), xero_at(not_newer), UNSENT) == LinkedNews("DRAFT", conflict="practice")


def test_a_link_with_no_recorded_xero_time_counts_any_xero_time_as_an_edit():
    assert linked_news(link(updated=None), invoice(), xero_at(datetime(2020, 1, 1)), UNSENT).conflict == "practice"


def payment(payment_id, amount, day="2026-11-21", reference=""):
    return {"PaymentID": payment_id, "Amount": amount, "Date": day, "Reference": reference}


def decide(payments, status="awaiting_payment", due="100.00", known=(), sent=()):
    return payment_decisions("INV-9", payments, known, sent, status, Decimal(due),
                             lambda day: day and date.fromisoformat(day))


def test_new_payments_are_recorded_until_the_invoice_is_paid():
    decisions = decide([payment("a", 60, reference="first"), payment("b", 40)])
    assert decisions == [
        PaymentDecision("record", "a", Decimal(60), date(2026, 11, 21), "first"),
        PaymentDecision("record", "b", Decimal(40), date(2026, 11, 21), ""),
    ]


def test_a_payment_over_what_is_due_or_on_an_invoice_not_awaiting_payment_is_refused():
    over, after_paid = decide([payment("a", 100), payment("b", "0.01")])[1], decide([payment("c", "100.01")])[0]
    assert (over.action, after_paid.action) == ("refuse", "refuse")
    assert over.message == ("A payment of 0.01 in Xero on invoice INV-9 could not be recorded here: the invoice "
                            "here is paid with 0.00 due.")
    assert after_paid.message.endswith("the invoice here is awaiting payment with 100.00 due.")
    draft = decide([payment("d", 10)], status="draft")[0]
    assert (draft.action, draft.message.split(": ")[1]) == ("refuse", "the invoice here is draft with 100.00 due.")
    assert decide([payment("e", None)])[0].action == "refuse"


def test_known_blank_and_repeated_payments_are_left_out():
    decisions = decide([{"Amount": 5}, "not a payment", payment("k", 5), payment("a", 10), payment("a", 10),
                        payment("b", 1)], known=["k"])
    assert [d.payment_id for d in decisions] == ["a", "b"]
    assert decide(None) == []


def test_a_refused_payment_keeps_what_xero_sent():
    assert decide([payment("a", 150, reference="R")]) == [PaymentDecision(
        "refuse", "a", Decimal(150), date(2026, 11, 21), "R",
        message="A payment of 150 in Xero on invoice INV-9 could not be recorded here: the invoice here is "
                "awaiting payment with 100.00 due.")]


def test_a_payment_without_a_positive_amount_is_refused_saying_what_xero_sent():
    zero, negative, blank = decide([payment("a", 0, reference="R7"), payment("b", -5), payment("c", None, day=None)])
    assert (zero.action, negative.action, blank.action) == ("refuse", "refuse", "refuse")
    assert zero.message == ("A payment in Xero on invoice INV-9 dated 21 Nov 2026 (reference R7) could not be recorded "
                            "here: Xero sent it with an amount of 0. Check the payment on the invoice in Xero; it is "
                            "read again when the invoice changes there.")
    assert negative.message.startswith("A payment in Xero on invoice INV-9 dated 21 Nov 2026 could not be recorded "
                                       "here: Xero sent it with an amount of -5.")
    assert blank.message.startswith("A payment in Xero on invoice INV-9 could not be recorded here: Xero sent it "
                                    "without an amount.")


def test_payments_below_one_and_a_balance_below_one_are_still_recorded():
    decisions = decide([payment("a", "99.50"), payment("b", "0.50")])
    assert [d.action for d in decisions] == ["record", "record"]


def test_a_payment_sent_from_here_whose_answer_was_lost_is_matched_by_amount_and_day():
    ours, other = Obj(amount=Decimal(30), date=date(2026, 11, 21)), Obj(amount=Decimal(30), date=date(2026, 11, 22))
    decisions = decide([payment("a", 30), payment("b", 30)], sent=[other, ours])
    assert decisions[0] == PaymentDecision("match", "a", Decimal(30), date(2026, 11, 21), "", ours=ours)
    assert decisions[1].action == "record"  # ``ours`` is matched once only


def test_invoice_outbound():
    draft, void = Obj(status="draft"), Obj(status="void")
    assert invoice_outbound(None, link(), True) == "done"
    assert invoice_outbound(void, None, True) == "done"
    assert invoice_outbound(void, link("DRAFT"), True) == "update"
    assert invoice_outbound(draft, link("SUBMITTED"), False) == "update"
    assert invoice_outbound(draft, link("AUTHORISED"), True) == "done"
    assert invoice_outbound(draft, None, True) == "create"
    assert invoice_outbound(draft, None, False) == "wait"


def test_payment_outbound():
    assert payment_outbound(None) == ("wait", "The invoice is not in Xero yet; the payment follows it.")
    assert payment_outbound(link("SUBMITTED")) == (
        "wait", "Waiting for the invoice to be approved in Xero; the payment is sent on the first sync after that.")
    assert payment_outbound(link("VOIDED")) == ("refuse", "The invoice is voided in Xero, so this payment was not sent.")
    assert payment_outbound(link("PAID")) == (
        "refuse", "Xero shows this invoice as fully paid already, so this payment was not sent.")
    assert payment_outbound(link("AUTHORISED")) == ("send", "")

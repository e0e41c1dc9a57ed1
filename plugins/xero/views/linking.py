"""Linking Xero contacts to practice clients: Merge (per system or per field) and Link all with undo."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from bm import services
from bm.auth import admin_required
from bm.extensions import db
from bm.inputs import record_id, whole_number
from bm.models import Client

from .. import bulk_linking, jobs, merging
from ..models import LinkBatch
from ..sync.fields import FIELD_LABELS, SYNCED_FIELDS, client_values, practice_values
from . import NOT_IN_ORGANISATION, blueprint, connection_or_404

bp = blueprint("xero_linking", __name__)


@bp.app_template_global("xero_batches_to_undo")
def batches_to_undo(tenant_id):
    """Recent "Link all" batches that can still be undone, for the notice on the Xero page."""
    return bulk_linking.undoable_batches(tenant_id)


@bp.route("/contacts/<contact_id>/merge", methods=["GET", "POST"])
def merge(contact_id):
    """Show both records side by side (GET), then link them keeping the chosen values (POST)."""
    connection = connection_or_404()
    contact = connection.organisation_contact(contact_id)
    if contact is None:
        flash(NOT_IN_ORGANISATION.format(connection.organisation_name), "error")
        return redirect(url_for("xero.index"))
    client = db.session.get(Client, request.values.get("client_id", type=record_id) or 0)
    if client is None:
        flash("Choose the practice client to merge with.", "error")
        return redirect(url_for("xero.index"))
    if request.method == "GET":
        return render_template("xero/merge.html", contact=contact, client=client, fields=SYNCED_FIELDS,
                               labels=FIELD_LABELS, ours=practice_values(client),
                               theirs=client_values(contact.data))
    try:
        merging.merge(connection.tenant_id, contact, client, merging.merge_choices(request.form))
        db.session.commit()
    except merging.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("xero.index"))
    jobs.queue_sync("merge")
    flash(f"{client.name} is now linked to {contact.name} in Xero.", "success")
    return redirect(url_for("xero.index"))


@bp.route("/link-all")
@admin_required
def review_bulk():
    """The review screen of "Link all at N% or above": every pair it would link, and why."""
    connection = connection_or_404()
    threshold = bulk_linking.clamp_threshold(request.args.get("threshold", bulk_linking.DEFAULT_THRESHOLD))
    return render_template("xero/bulk_review.html", plan=bulk_linking.bulk_plan(connection.tenant_id, threshold),
                           lowest=bulk_linking.LOWEST_THRESHOLD)


@bp.route("/link-all", methods=["POST"])
@admin_required
def link_all():
    """Link the pairs left ticked on the review screen in one batch that can be undone."""
    connection = connection_or_404()
    threshold = bulk_linking.clamp_threshold(request.form.get("threshold"))
    chosen = {_pair(value) for value in request.form.getlist("pair")} - {None}
    if not chosen:
        flash("Tick at least one pair to link.", "error")
        return redirect(url_for("xero_linking.review_bulk", threshold=threshold))
    try:
        batch, linked, notes = bulk_linking.link_batch(connection, threshold, chosen,
                                                request.form.get("use"), current_user.email)
        db.session.commit()
    except merging.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("xero_linking.review_bulk", threshold=threshold))
    if batch is not None:
        flash(_linked_message(batch, linked, request.form.get("use")), "success")
    for note in notes:
        flash(f"Not linked: {note}", "warning")
    return redirect(url_for("xero.index"))


def _pair(value):
    contact_id, _, client_id = value.partition("|")
    client_id = whole_number(client_id, minimum=1)
    return (contact_id, client_id) if contact_id and client_id is not None else None


def _linked_message(batch, linked, use):
    count = f"{len(linked)} client{'s' if len(linked) != 1 else ''}"
    then = ("They took Xero's values." if use == "xero"
            else "Xero gets the practice's values on the next sync; until then Undo changes nothing in Xero.")
    return Markup('Linked {} to their Xero contacts. {} <button class="button secondary" form="undo-batch-{}">Undo</button>'
                  ).format(count, then, batch.id)


@bp.route("/link-all/<int:batch_id>/undo", methods=["POST"])
@admin_required
def undo(batch_id):
    """Undo a "Link all" batch: remove its links and revert what it changed."""
    connection = connection_or_404()
    batch = db.session.get(LinkBatch, batch_id)
    if batch is None or batch.tenant_id != connection.tenant_id:
        abort(404)
    try:
        outcome = bulk_linking.undo_batch(batch)
    except (merging.LinkRefused, services.ValidationError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("xero.index"))
    for message, category in _undo_messages(outcome):
        flash(message, category)
    return redirect(url_for("xero.index"))


def _undo_messages(outcome):
    done = [f"Undone: {outcome.unlinked} link{'s' if outcome.unlinked != 1 else ''} removed"]
    if outcome.restored:
        done.append(f"{outcome.restored} value{'s' if outcome.restored != 1 else ''} taken from Xero put back")
    if outcome.cancelled:
        done.append(f"{outcome.cancelled} queued update{'s' if outcome.cancelled != 1 else ''} to Xero cancelled")
    yield "; ".join(done) + ".", "success"
    if outcome.kept:
        yield (f"Changed since the links were made, so left as they are now: {', '.join(sorted(outcome.kept))}.", "warning")
    if outcome.synced:
        yield (f"Already synced with Xero since the links were made: {', '.join(sorted(outcome.synced))}. "
               "Whatever that sync wrote to Xero stays there; these were only unlinked.", "warning")


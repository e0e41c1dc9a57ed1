"""The hook specifications: the one contract between BrightManager and its plugins.

Plugins are found through the ``bm.plugins`` entry-point group and implement any of these
with ``@bm.hookimpl``. Hooks are always called with keyword arguments, so an implementation
may accept only the arguments it needs. Specs gain arguments over time; they never change
the meaning of existing ones.

A disabled plugin (Tools > Plugins) receives no hook calls at all.
"""
import pluggy

hookspec = pluggy.HookspecMarker("bm")
hookimpl = pluggy.HookimplMarker("bm")


# ---------------------------------------------------------------------------------------------
# Lifecycle hooks
#
# Fired by bm/services.py inside the user's database transaction, after the change has been
# flushed and before it is committed. An implementation may stage rows on ``db.session`` (for
# example an outbox entry) or call ``bm.jobs.enqueue_after_commit``; it must not commit, and
# must not make network calls. Each implementation runs in its own savepoint: if it raises,
# its savepoint alone is rolled back, the error is logged, the user sees a warning and the
# change itself still commits. Return values are ignored.
# ---------------------------------------------------------------------------------------------


@hookspec
def client_created(client, source):
    """A practice client was created (one at a time, not by an import).

    :param client: the new ``bm.models.Client``, flushed, so ``client.id`` is set.
    :param source: ``"user"`` or the name of the plugin that created it.
    """


@hookspec
def client_updated(client, changes, source):
    """A practice client's fields were changed by a user or a plugin.

    Not fired when nothing changed. Archiving and unarchiving fire ``client_archived`` (for
    archiving) and this hook with ``{"archived": (old, new)}``.

    :param client: the ``bm.models.Client`` after the change.
    :param changes: ``{field: (old_value, new_value)}`` for every field that changed.
    :param source: who made the change: ``"user"`` or the name of the plugin that made it
        (a sync plugin ignores its own changes to avoid echoing them back).
    """


@hookspec
def client_archived(client):
    """A practice client was archived.

    :param client: the archived ``bm.models.Client``.
    """


@hookspec
def clients_imported(clients):
    """A CSV import committed new clients (fired once for the whole import).

    :param clients: the list of new ``bm.models.Client`` objects, flushed.
    """


@hookspec
def invoice_created(invoice, source):
    """An invoice was created (by a user or by a plugin), with its lines.

    :param invoice: the new ``bm.models.Invoice``, flushed, with ``number`` assigned.
    :param source: ``"user"`` or the name of the plugin that created it.
    """


@hookspec
def invoice_updated(invoice, changes, source):
    """An invoice changed: its fields or lines were edited, or it was approved or voided.

    :param invoice: the ``bm.models.Invoice`` after the change.
    :param changes: ``{field: (old, new)}``; edited lines appear as ``"lines": (old, new)``
        with lists of line dicts, a status change as ``"status": (old, new)``.
    :param source: ``"user"`` or the name of the plugin that made the change.
    """


@hookspec
def payment_recorded(payment, source):
    """A payment was recorded against an invoice.

    :param payment: the new ``bm.models.Payment``; ``payment.invoice`` shows the new
        amount paid and status.
    :param source: ``"user"`` or the name of the plugin that recorded it.
    """


# ---------------------------------------------------------------------------------------------
# UI contributions
#
# Called while rendering; they return data from ``bm.ui`` and the core draws it. They must be
# quick (no network calls). One that raises is logged and its contribution left out.
# ---------------------------------------------------------------------------------------------


@hookspec
def integrations():
    """Cards for Tools > Integrations.

    :return: a list of ``bm.ui.IntegrationCard``.
    """


@hookspec
def client_actions(client):
    """Buttons for the top right of a client file.

    :param client: the ``bm.models.Client`` being shown.
    :return: a list of ``bm.ui.Action``.
    """


@hookspec
def client_panels(client):
    """Extra blocks for a client file (for example its sync status).

    :param client: the ``bm.models.Client`` being shown.
    :return: a list of ``bm.ui.Panel``.
    """


@hookspec
def invoice_badges(invoices):
    """Short labels beside invoices' numbers, in lists and on the invoice page.

    :param invoices: the ``bm.models.Invoice`` objects shown (a page of the list, or the one on the
        invoice page), so that a plugin looks them up together rather than with queries per invoice.
    :return: ``{invoice.id: [bm.ui.Badge]}``; invoices without badges may be left out.
    """


@hookspec
def invoice_panels(invoice):
    """Extra blocks for an invoice page (for example why it is not synced).

    :param invoice: the ``bm.models.Invoice`` being shown.
    :return: a list of ``bm.ui.Panel``.
    """


@hookspec(firstresult=True)
def invoice_lock_reason(invoice):
    """Why users may not edit an invoice's fields here, when another system owns them.

    :param invoice: the ``bm.models.Invoice``.
    :return: a sentence shown to the user (e.g. "Approved in Xero: Xero's values win"),
        or None to leave the invoice editable. The first plugin to return one wins.
    """


@hookspec
def attention_banners(user):
    """Banners across the top of every page when something needs a person (e.g. a sync failing).

    Called on every page a signed-in user sees, so it must cost at most an indexed query or two
    (cache anything slower). Return nothing when all is well.

    :param user: the signed-in ``bm.models.User`` (links for admins only may depend on ``user.is_admin``).
    :return: a list of ``bm.ui.Banner``.
    """


# ---------------------------------------------------------------------------------------------
# Setup hooks: called once per app by create_app() and the worker.
# ---------------------------------------------------------------------------------------------


@hookspec
def register_blueprints():
    """Blueprints to mount on the app. Their routes answer 404 while the plugin is disabled.

    :return: a list of ``flask.Blueprint``.
    """


@hookspec
def register_commands():
    """Click commands to add under ``flask --app bm.wsgi`` (or ``bm``).

    :return: a list of ``click.Command`` (a ``click.Group`` for several).
    """


@hookspec
def periodic_jobs():
    """Jobs the workers run on a timer (skipped while the plugin is disabled).

    :return: a list of ``bm.ui.PeriodicJob``.
    """

"""Admin endpoints (JSON, only with --admin): reset, seed, clock, faults, limits, variants, stats,
apps, webhooks."""
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request

from . import demo, seeding
from .context import current
from .formats import date_from_ms

bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")


@bp.before_request
def refuse_cross_site_writes():
    """Changes need a JSON body and no foreign Origin, so no web page open in a browser can make them.

    A page on another site can send a "simple" cross-origin POST (a form or text/plain body)
    without asking first; a JSON content type makes the browser ask (CORS), and the sandbox
    never says yes. A browser names the page's origin on every cross-site POST: refuse others.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin)[:2] != urlsplit(request.host_url)[:2]:
        return jsonify({"error": f"requests from {origin} are not allowed"}), 403
    if not request.is_json:
        return jsonify({"error": "send a JSON body (Content-Type: application/json)"}), 415
    return None


def _body():
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message):
    return jsonify({"error": message}), 400


@bp.post("/reset")
def reset():
    """Back to the demo state: data, clock, limits, variants, faults, stats, idempotency, webhooks."""
    sandbox = current()
    extra_uris = sandbox.store.get("app", demo.CLIENT_ID)["redirect_uris"]
    sandbox.store.clear()
    for part in (sandbox.limits, sandbox.variants, sandbox.idempotency, sandbox.stats, sandbox.webhooks):
        part.reset()
    sandbox.faults.configure()
    demo.install(sandbox, extra_uris)
    return jsonify({"reset": True})


@bp.post("/seed")
def seed():
    """Fill an organisation with generated contacts, customers, invoices and bank accounts."""
    body = _body()
    try:
        sizes = {name: int(body.get(name, 0)) for name in ("contacts", "customers", "invoices",
                                                          "bank_accounts")}
        seed_value = int(body.get("seed", 1))
    except (TypeError, ValueError):
        return _bad("sizes must be integers")
    result = seeding.seed(current(), body.get("organisation", "Demo Company (UK)"),
                          sizes["contacts"], sizes["customers"], sizes["invoices"],
                          sizes["bank_accounts"], seed_value)
    return jsonify(result)


def _clock_state():
    clock = current().clock
    now = clock.now_ms()
    return {"now": date_from_ms(now).isoformat().replace("+00:00", "Z"), "now_ms": now,
            "offset_seconds": clock.offset}


@bp.get("/clock")
def clock():
    """The sandbox time."""
    return jsonify(_clock_state())


@bp.post("/clock")
def advance_clock():
    """Move the sandbox clock forward by `advance_seconds`."""
    try:
        seconds = float(_body().get("advance_seconds", 0))
    except (TypeError, ValueError):
        return _bad("advance_seconds must be a number")
    if seconds < 0:
        return _bad("the clock only moves forward")
    current().clock.advance(seconds)
    return jsonify(_clock_state())


@bp.post("/faults")
def faults():
    """Replace the fault rules (`{"seed": 1, "rules": [...]}`; `{"rules": []}` clears)."""
    body = _body()
    try:
        current().faults.configure(body.get("rules") or [], body.get("seed"))
    except (TypeError, ValueError) as error:
        return _bad(str(error))
    injector = current().faults
    return jsonify({"seed": injector.seed, "rules": injector.rules})


@bp.post("/limits")
def limits():
    """Switch rate limits off or on, or change them (partial updates)."""
    try:
        return jsonify(current().limits.configure(**_body()))
    except (TypeError, ValueError) as error:
        return _bad(str(error))


@bp.get("/variants")
def variants():
    """The behaviour switches in force (see variants.CHOICES)."""
    return jsonify(current().variants.snapshot())


@bp.post("/variants")
def set_variants():
    """Change behaviour switches (partial), e.g. `{"modified_since": "after", "offline_seconds": 600}`."""
    try:
        return jsonify(current().variants.configure(**_body()))
    except ValueError as error:
        return _bad(str(error))


@bp.get("/stats")
def stats():
    """Calls per endpoint and tenant, responses by status, and 429s served."""
    sandbox = current()
    return jsonify({**sandbox.stats.snapshot(), "faults_injected": sandbox.faults.injected})


@bp.post("/stats/reset")
def reset_stats():
    """Start counting calls from zero."""
    current().stats.reset()
    return jsonify(current().stats.snapshot())


@bp.post("/apps")
def apps():
    """Add redirect URIs to a registered app."""
    body = _body()
    store = current().store
    app = store.get("app", body.get("client_id", ""))
    uris = body.get("redirect_uris")
    if app is None or not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        return _bad("give a known client_id and a list of redirect_uris")
    app["redirect_uris"] = list(dict.fromkeys(app["redirect_uris"] + uris))
    store.put("app", app["client_id"], app)
    return jsonify({"client_id": app["client_id"], "redirect_uris": app["redirect_uris"]})


@bp.post("/webhooks")
def webhooks():
    """Subscribe a delivery URL with a signing key (intent-to-receive runs first)."""
    body = _body()
    if not isinstance(body.get("url"), str) or not isinstance(body.get("key"), str):
        return _bad("give url and key")
    result = current().webhooks.subscribe(body["url"], body["key"], request.host_url.rstrip("/"))
    return jsonify(result)


@bp.post("/webhooks/flush")
def flush_webhooks():
    """Wait until queued webhook events are delivered (up to `timeout` seconds)."""
    try:
        timeout = float(_body().get("timeout", 30))
    except (TypeError, ValueError):
        return _bad("timeout must be a number")
    return jsonify(current().webhooks.flush(timeout))

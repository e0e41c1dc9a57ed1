"""App-wide pages and plumbing: home, assets, error pages, response headers, template helpers."""
import logging
from importlib import resources

from flask import Blueprint, current_app, has_request_context, redirect, render_template, request, send_file, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import BadRequest

from . import submissions
from .auth import public
from .extensions import htmx
from .localtime import local_time
from .plugins import current_plugins

bp = Blueprint("views", __name__)
log = logging.getLogger(__name__)
HTMX_FILE = resources.files("js_lib_htmx") / "static" / "htmx" / "htmx.min.js"


@bp.route("/")
def home():
    """Send users to the client list."""
    return redirect(url_for("clients.index"))


@bp.route("/assets/htmx.min.js")
@public
def htmx_js():
    """Serve htmx from the installed package (the app works offline: no CDN)."""
    with resources.as_file(HTMX_FILE) as path:
        return send_file(path, mimetype="text/javascript", max_age=86400)


class NulByteSent(BadRequest):
    """A form or address held a NUL byte, which no text column can store (PostgreSQL refuses it)."""


ERROR_PAGES = {
    403: (403, "Not allowed", "Only an admin can do this."),
    404: (404, "Not found", "There is nothing at this address. It may have been removed."),
    CSRFError: (400, "Page expired", "This form had expired. Go back, reload the page and try again."),
    413: (413, "File too large", "The upload is larger than this app accepts."),
    NulByteSent: (400, "Invisible characters", "What you sent holds invisible control characters "
                  "(a NUL byte) that cannot be saved. Go back, remove them and try again."),
    500: (500, "Something went wrong", "The error has been logged. Please try again."),
}


def attention_banners():
    """The banners enabled plugins raise for the signed-in user (none for a visitor)."""
    if not current_user.is_authenticated:
        return []
    return current_plugins().collect("attention_banners", user=current_user._get_current_object())


def _error_page(status, title, message):
    def render(_error):
        return render_template("error.html", title=title, message=message), status

    return render


class SessionCookies(SecureCookieSessionInterface):
    """Session cookies marked Secure whenever the request came over https (or BM_SECURE_COOKIES)."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def install(app):
    """Attach error pages, headers and template helpers to the app."""
    public(app.view_functions["static"])
    app.session_interface = SessionCookies()

    for error, (status, title, message) in ERROR_PAGES.items():
        app.register_error_handler(error, _error_page(status, title, message))

    @app.before_request
    def refuse_nul_bytes():
        for values in (request.args, request.form):
            if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
                raise NulByteSent()

    @app.after_request
    def headers(response):
        response.headers.add("Vary", "HX-Request")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'",
        )
        if request.is_secure and app.config["BM_HSTS_SECONDS"]:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['BM_HSTS_SECONDS']}")
        view = app.view_functions.get(request.endpoint)
        if current_user.is_authenticated and not getattr(view, "bm_public", False):
            # A signed-in page may hold client data: never kept by the browser or a proxy.
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.filters["localtime"] = local_time

    @app.context_processor
    def helpers():
        return {
            "app_name": current_app.config["BM_APP_NAME"],
            "csrf_token": generate_csrf,
            "new_form_token": submissions.new_token,
            "base_template": "_partial.html" if htmx and not htmx.boosted else "base.html",
            "attention_banners": attention_banners,
        }

"""Logging in and out, the login requirement on every page, and the admin role."""
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from . import services, throttle
from .extensions import db, htmx, login_manager
from .models import User, password_matches

bp = Blueprint("auth", __name__)


def public(view):
    """Mark a view as reachable without logging in (login page, assets, webhooks)."""
    view.bm_public = True
    return view


def admin_required(view):
    """Answer 403 unless the current user is an admin."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.bm_admin_only = True  # the hostile-input property checks staff are refused here
    return wrapped


@login_manager.user_loader
def load_user(session_token):
    return services.session_user(session_token)


@bp.before_app_request
def require_login():
    """Send anonymous visitors to the login page, whatever they asked for."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "bm_public", False) or current_user.is_authenticated:
        return None
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if htmx:
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def safe_next(target):
    """Return ``target`` if it is a path on this site, else the home page (no open redirects)."""
    if not target:
        return url_for("clients.index")
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target
            or not target.isprintable()):  # CR/LF would split the Location header
        return url_for("clients.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign a user in."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    error = None
    email = (request.form.get("email") or "").strip().lower()
    if request.method == "POST":
        error = throttle.refusal(email)
        if error is None:
            user = db.session.scalar(select(User).where(User.email == email))
            # Hash even for an unknown or blocked user, so timing tells nothing about either.
            if password_matches(user, request.form.get("password") or "") and user is not None and user.active:
                throttle.forget_failures(email)
                sign_in(user)
                db.session.commit()
                return throttle.remember_device(redirect(safe_next(request.args.get("next"))), email)
            throttle.record_failure(email)
            error = "That email and password do not match an active user."
        db.session.commit()
    status = 200 if error is None else 400
    return render_template("auth/login.html", error=error, email=email), status


def sign_in(user):
    """Start a new server-side session for ``user`` in this browser (nothing carried over)."""
    session.clear()
    services.start_session(user)
    login_user(user)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign the current user out, ending the session on the server too."""
    services.end_session(current_user.session_token)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))

"""Logging in and out, the login requirement on every page, and the admin role."""
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, func, select

from .extensions import db, htmx, login_manager
from .models import LoginAttempt, User, utcnow

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

    return wrapped


@login_manager.user_loader
def load_user(session_token):
    return db.session.scalar(select(User).where(User.session_token == session_token, User.active.is_(True)))


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


def _too_many_attempts(email):
    window = timedelta(seconds=current_app.config["BM_LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
    recent = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.email == email, LoginAttempt.attempted_at >= since
        )
    )
    return recent >= current_app.config["BM_LOGIN_ATTEMPTS"]


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign a user in."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    error = None
    email = (request.form.get("email") or "").strip().lower()
    if request.method == "POST":
        if _too_many_attempts(email):
            error = "Too many failed attempts. Wait 15 minutes and try again."
            db.session.commit()
        else:
            user = db.session.scalar(select(User).where(User.email == email))
            if user and user.active and user.check_password(request.form.get("password") or ""):
                session.clear()  # a fresh session at login: nothing carried over from before
                login_user(user)
                user.last_login_at = utcnow()
                db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
                db.session.commit()
                return redirect(safe_next(request.args.get("next")))
            db.session.add(LoginAttempt(email=email, remote_addr=request.remote_addr or ""))
            db.session.commit()
            error = "That email and password do not match an active user."
    status = 200 if error is None else 400
    return render_template("auth/login.html", error=error, email=email), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign the current user out."""
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))

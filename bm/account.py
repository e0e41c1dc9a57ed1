"""A user's own account: changing their password, and setting one through a reset link."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import services
from .auth import public, sign_in
from .extensions import db
from .models import password_matches

bp = Blueprint("account", __name__)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change your own password; every other session of yours ends."""
    errors = {}
    if request.method == "POST":
        user = current_user._get_current_object()
        if not password_matches(user, request.form.get("current_password") or ""):
            errors["current_password"] = "That is not your current password."
        else:
            try:
                services.change_password(user, request.form.get("password") or "",
                                         request.form.get("confirmation") or "")
                sign_in(user)  # the change ended every session, this one too: start afresh here
                db.session.commit()
                flash("Password changed. You were signed out everywhere else.", "success")
                return redirect(url_for("clients.index"))
            except services.ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
    return render_template("account/password.html", errors=errors), 400 if errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    """Set a new password through a one-time link an admin made."""
    user = services.password_reset_user(token)
    errors = {} if user else {"_form": "This link has expired or was already used. Ask an admin for a new one."}
    if user and request.method == "POST":
        try:
            services.reset_password(token, request.form.get("password") or "", request.form.get("confirmation") or "")
            db.session.commit()
            flash("Your password is set. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template("account/reset.html", user=user, errors=errors), 400 if errors else 200

"""Managing who can log in (admins only)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from . import mail, services
from .auth import admin_required
from .extensions import db
from .models import User
from .proxy import external_url_for

bp = Blueprint("users", __name__, url_prefix="/tools/users")


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    """List users and add a new one."""
    values, errors = {"role": "staff"}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            user = services.create_user(values.get("email"), values.get("password"),
                                        values.get("role", "staff"), values.get("name", ""))
            db.session.commit()
            flash(f"User {user.email} added.", "success")
            return redirect(url_for("users.index"))
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    return _users_page(values, errors)


def _users_page(values, errors, reset_link=None):
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("users/index.html", users=users, values=values, errors=errors,
                           reset_link=reset_link), 400 if errors else 200


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@admin_required
def reset_password(user_id):
    """Make a one-time link that lets a user set a new password: e-mailed, or shown to the admin."""
    user = db.session.get(User, user_id) or abort(404)
    url = external_url_for("account.reset_password", token=services.create_password_reset(user))
    db.session.commit()
    if mail.configured():
        try:
            mail.send(user.email, f"Set your {current_app.config['BM_APP_NAME']} password",
                      f"Set a new password with this link (it works once, within "
                      f"{current_app.config['BM_PASSWORD_RESET_HOURS']} hours):\n\n{url}\n")
            flash(f"A password reset link was e-mailed to {user.email}.", "success")
            return redirect(url_for("users.index"))
        except mail.MailNotSent as exc:
            flash(f"The e-mail could not be sent ({exc}); give {user.email} this link instead.", "warning")
    return _users_page({"role": "staff"}, {}, reset_link={"email": user.email, "url": url})


@bp.route("/<int:user_id>", methods=["POST"])
@admin_required
def update(user_id):
    """Change a user's role or access."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id and (request.form.get("role") == "staff" or request.form.get("active") == "0"):
        flash("You cannot remove your own admin access.", "error")
        return redirect(url_for("users.index"))
    try:
        services.update_user(
            user,
            role=request.form.get("role") or None,
            active={"1": True, "0": False}.get(request.form.get("active")),
        )
        db.session.commit()
        flash(f"User {user.email} updated.", "success")
    except services.ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
    return redirect(url_for("users.index"))

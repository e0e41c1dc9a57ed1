"""Managing who can log in (admins only)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from . import services
from .auth import admin_required
from .extensions import db
from .models import User

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
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("users/index.html", users=users, values=values, errors=errors), 400 if errors else 200


@bp.route("/<int:user_id>", methods=["POST"])
@admin_required
def update(user_id):
    """Change a user's role, access or password."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id and (request.form.get("role") == "staff" or request.form.get("active") == "0"):
        flash("You cannot remove your own admin access.", "error")
        return redirect(url_for("users.index"))
    try:
        services.update_user(
            user,
            role=request.form.get("role") or None,
            active={"1": True, "0": False}.get(request.form.get("active")),
            password=request.form.get("password") or None,
        )
        db.session.commit()
        flash(f"User {user.email} updated.", "success")
    except services.ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
    return redirect(url_for("users.index"))

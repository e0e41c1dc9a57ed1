"""The Tools menu: Integrations (cards from plugins), Plugins (admins) and Settings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from . import services
from .auth import admin_required
from .extensions import db
from .plugins import current_plugins

bp = Blueprint("tools", __name__, url_prefix="/tools")
SETTINGS_FIELDS = ("practice_name", "practice_address", "invoice_prefix", "invoice_next_number",
                   "payment_terms_days", "history_days")


@bp.route("/integrations")
def integrations():
    """List the integrations that enabled plugins offer."""
    cards = current_plugins().collect("integrations")
    return render_template("tools/integrations.html", cards=cards)


@bp.route("/plugins")
@admin_required
def plugins():
    """List installed plugins with their on/off state."""
    manager = current_plugins()
    installed = [
        {"name": name, "enabled": manager.is_enabled(name),
         "description": (getattr(plugin, "__doc__", "") or "").strip().splitlines()[0:1]}
        for name, plugin in manager.installed()
    ]
    return render_template("tools/plugins.html", installed=installed)


@bp.route("/plugins/<name>", methods=["POST"])
@admin_required
def set_plugin(name):
    """Enable or disable an installed plugin."""
    manager = current_plugins()
    if name not in dict(manager.installed()):
        abort(404)
    enabled = request.form.get("enabled") == "1"
    manager.set_enabled(name, enabled)
    db.session.commit()
    flash(f"Plugin {name} {'enabled' if enabled else 'disabled'}.", "success")
    return redirect(url_for("tools.plugins"))


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    """Show and change the practice's name and address, invoice numbering, payment terms and history retention."""
    current = services.practice_settings()
    values = {field: getattr(current, field) for field in SETTINGS_FIELDS}
    errors = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            services.update_practice_settings(values)
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("tools.settings"))
        except services.ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    db.session.commit()
    return render_template("tools/settings.html", values=values, errors=errors), 400 if errors else 200

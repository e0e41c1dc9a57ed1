"""Flask commands: create-user, seed-demo, worker and db upgrade."""
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import Client, Invoice, User


def test_create_user_admin_from_the_command_line(app):
    result = app.test_cli_runner().invoke(args=["create-user", "Boss@Example.com", "--admin", "--password", "violet-harbour-lantern"])
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.is_admin and user.check_password("violet-harbour-lantern")


def test_create_user_prompts_for_the_password_twice(app):
    result = app.test_cli_runner().invoke(args=["create-user", "ann@example.com"], input="violet-harbour-lantern\nviolet-harbour-lantern\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ann@example.com"))
    assert user.role == "staff" and user.check_password("violet-harbour-lantern")


def test_create_user_refuses_a_taken_email(app, make_user):
    make_user("ann@example.com")
    result = app.test_cli_runner().invoke(args=["create-user", "ann@example.com", "--password", "violet-harbour-lantern"])
    assert result.exit_code != 0
    assert "A user with this email already exists." in result.output


def test_create_user_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "ann@example.com", "--password", "abc"])
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_seed_demo_creates_the_demo_once(app, web):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com / admin" in first.output
    assert db.session.scalar(select(func.count()).select_from(Client)) == 8
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and second.output == ""
    assert db.session.scalar(select(func.count()).select_from(Client)) == 8
    web.login("admin@example.com", "admin")
    assert "Harbour View Cafe Ltd" in web.get("/clients/").get_data(as_text=True)


def test_demo_invoices_cover_each_status(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    statuses = set(db.session.scalars(select(Invoice.status)))
    assert statuses == {"draft", "awaiting_payment", "paid"}


def test_worker_burst_runs_and_stops(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_db_upgrade_defaults_to_every_head(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade", "--help"])
    assert result.exit_code == 0
    assert "every plugin" in result.output

"""Account security: throttling that never locks the owner out, login timing, one-time form tokens,
production headers and cookies."""
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import requests
from sqlalchemy import func, select

from bm.extensions import db
from bm.jobs import redis_connection
from bm.models import Client, Invoice, LoginAttempt, Payment, utcnow
from support import free_port, html, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_LOGIN_ATTEMPTS": 3, "BM_LOGIN_ADDRESS_ATTEMPTS": 6, "BM_LOGIN_WINDOW_SECONDS": 600}


def browser(app, address):
    from bm.testing import Browser

    client = app.test_client()
    client.environ_base.update(address)
    return Browser(client)


def fail(who, email, times=1):
    for _ in range(times):
        assert who.post("/login", {"email": email, "password": "a wrong guess"}).status_code == 400


def failures(email, count):
    """Record ``count`` failed sign-ins for ``email`` just now, from addresses elsewhere."""
    db.session.add_all(LoginAttempt(email=email, remote_addr=f"203.0.113.{n}", attempted_at=utcnow())
                       for n in range(count))
    db.session.commit()


def age_failures(seconds):
    """Move every recorded failure ``seconds`` into the past (instead of waiting)."""
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.attempted_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_one_address_trying_many_emails_is_refused_for_the_window(app, make_user):
    make_user("ann@example.com")
    attacker = browser(app, ATTACKER)
    for number in range(6):
        fail(attacker, f"guess{number}@example.com")
    response = attacker.post("/login", {"email": "ann@example.com", "password": "password"})
    assert response.status_code == 400
    assert "Too many failed attempts from your network. Try again in 10 minutes." in html(response)
    assert browser(app, OWNER).post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_an_address_may_try_again_once_the_window_has_passed(app, make_user):
    make_user("ann@example.com")
    attacker = browser(app, ATTACKER)
    for number in range(6):
        fail(attacker, f"guess{number}@example.com")
    age_failures(580)
    assert "Try again in 1 minute." in html(attacker.post("/login", {"email": "x@example.com", "password": "x"}))
    age_failures(20)
    assert attacker.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_guessing_an_email_from_elsewhere_slows_a_new_browser_down_but_never_locks_it(app, make_user):
    make_user("ann@example.com")
    failures("ann@example.com", 5)
    owner = browser(app, OWNER)
    response = owner.post("/login", {"email": "ann@example.com", "password": "password"})
    assert response.status_code == 400
    assert "Too many failed attempts for this email. Wait 4 seconds and try again." in html(response)
    age_failures(4)
    assert owner.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


@pytest.mark.parametrize("count, message", [
    (3, "Wait 1 second and"), (4, "Wait 2 seconds"), (5, "Wait 4 seconds"), (6, "Wait 8 seconds"),
    (7, "Wait 8 seconds"), (30, "Wait 8 seconds"),
])
def test_the_wait_doubles_up_to_the_configured_most(app, make_user, count, message):
    app.config["BM_LOGIN_MAX_DELAY_SECONDS"] = 8
    make_user("ann@example.com")
    failures("ann@example.com", count)
    assert message in html(browser(app, OWNER).post("/login", {"email": "ann@example.com", "password": "password"}))


def test_below_the_limit_there_is_no_wait(app, make_user):
    make_user("ann@example.com")
    failures("ann@example.com", 2)
    assert browser(app, OWNER).post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_a_browser_that_signed_in_before_is_never_slowed_down(app, make_user):
    make_user("ann@example.com")
    owner = browser(app, OWNER)
    owner.login("ann@example.com")
    owner.post("/logout")
    owner.token = None  # signing out ended the session and its CSRF token
    failures("ann@example.com", 20)
    assert owner.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_the_known_browser_cookie_cannot_be_forged(app, make_user):
    make_user("ann@example.com")
    failures("ann@example.com", 5)
    owner = browser(app, OWNER)
    owner.client.set_cookie("bm_known_device", '["forged"].signature')
    assert owner.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 400


@pytest.mark.parametrize("email", ["nobody@example.com", "blocked@example.com"])
def test_an_unknown_or_blocked_email_costs_a_password_hash_like_a_real_one(web, make_user, email):
    from bm import models, services

    user = make_user("blocked@example.com")
    services.update_user(user, active=False)
    db.session.commit()
    with mock.patch.object(models, "check_password_hash", wraps=models.check_password_hash) as check:
        assert web.post("/login", {"email": email, "password": "password"}).status_code == 400
    assert check.call_count == 1
    if email.startswith("nobody"):
        assert check.call_args.args[0].startswith(models.generate_password_hash("x").split("$")[0])


def new_invoice_form(staff, client):
    page = html(staff.get(f"/invoices/new?client_id={client.id}"))
    return {"client_id": client.id, "form_token": FORM_TOKEN.search(page).group(1), "date": "2026-01-10",
            "lines-0-description": "Accounts", "lines-0-quantity": "1", "lines-0-unit_price": "100",
            "lines-0-tax_rate": "20"}


def test_posting_new_invoice_twice_makes_one_invoice_and_shows_the_first(staff, make_client):
    form = new_invoice_form(staff, make_client())
    first = staff.post("/invoices/new", form)
    second = staff.post("/invoices/new", form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    assert "This invoice was already saved; here it is." in html(staff.get(second.headers["Location"]))


def test_a_refused_invoice_can_be_fixed_and_posted_with_the_same_form(staff, make_client):
    form = new_invoice_form(staff, make_client())
    assert staff.post("/invoices/new", form | {"lines-0-unit_price": "ten"}).status_code == 400
    assert staff.post("/invoices/new", form).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_posting_a_payment_twice_records_it_once(staff, approved):
    page = html(staff.get(f"/invoices/{approved.id}"))
    form = {"form_token": FORM_TOKEN.search(page).group(1), "amount": "10", "date": "2026-01-12"}
    assert staff.post(f"/invoices/{approved.id}/payments", form).status_code == 302
    assert staff.post(f"/invoices/{approved.id}/payments", form).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_posting_a_new_client_twice_creates_one(staff):
    token = FORM_TOKEN.search(html(staff.get("/clients/new"))).group(1)
    locations = {staff.post("/clients/new", {"name": "Acme", "form_token": token}).headers["Location"]
                 for _ in range(2)}
    assert len(locations) == 1
    assert db.session.scalar(select(func.count()).select_from(Client)) == 1


@pytest.fixture
def gunicorn(app, make_user):
    """The app served by gunicorn with two worker processes on the test database."""
    make_user("ann@example.com")
    port = free_port()
    redis_url = app.config.get("REDIS_URL") or f"unix://{redis_connection(app).socket_file}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BM_INSTANCE_PATH": app.instance_path,
           "REDIS_URL": redis_url, "BM_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "bm.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{base}/login")
    yield base
    process.terminate()
    process.wait(timeout=20)


def test_two_posts_of_one_form_at_the_same_instant_make_one_invoice(gunicorn, make_client):
    client_id = make_client().id
    db.session.commit()  # on SQLite an open transaction here would hold the write lock the server needs
    http = requests.Session()
    page = http.get(f"{gunicorn}/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    http.post(f"{gunicorn}/login", data={"email": "ann@example.com", "password": "password", "csrf_token": csrf})
    page = http.get(f"{gunicorn}/invoices/new", params={"client_id": client_id}).text
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "form_token": FORM_TOKEN.search(page).group(1), "client_id": client_id, "date": "2026-01-10",
            "lines-0-description": "Accounts", "lines-0-unit_price": "100"}
    start, locations = threading.Barrier(2), []

    def post():
        start.wait()
        response = http.post(f"{gunicorn}/invoices/new", data=form, allow_redirects=False)
        locations.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    assert [status for status, _ in locations] == [302, 302]
    assert locations[0][1] == locations[1][1]


def test_signed_in_pages_are_never_stored_by_the_browser(staff):
    assert staff.get("/clients/").headers["Cache-Control"] == "no-store"
    asset = staff.get("/assets/htmx.min.js")
    asset.close()
    assert asset.headers["Cache-Control"] == "public, max-age=86400"


def test_over_https_cookies_are_secure_and_hsts_is_sent(app, make_user):
    make_user("ann@example.com")
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"email": "ann@example.com", "password": "password", "csrf_token": csrf})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2 and all("; Secure" in cookie for cookie in cookies)
    assert response.headers["Strict-Transport-Security"] == f"max-age={app.config['BM_HSTS_SECONDS']}"


def test_over_plain_http_there_is_no_hsts(web, make_user):
    make_user("ann@example.com")
    response = web.login("ann@example.com")
    assert "Strict-Transport-Security" not in response.headers
    assert not any("; Secure" in cookie for cookie in response.headers.getlist("Set-Cookie"))

"""Passwords: users change their own, admins hand out one-time reset links, and every change
ends all of the user's sessions."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bm.extensions import db
from bm.models import PasswordReset, UserSession
from bm.testing import Browser
from support import free_port, html

NEW_PASSWORD = "quiet-orchard-kettle-92"
RESET_LINK = re.compile(r"http://localhost(/reset-password/[A-Za-z0-9_-]+)")


def second_browser(app, email):
    other = Browser(app.test_client())
    other.login(email)
    assert other.get("/clients/").status_code == 200
    return other


def test_a_user_changes_their_own_password_and_other_sessions_end(app, staff):
    phone = second_browser(app, "staff@example.com")
    response = staff.post("/account/password", {"current_password": "password", "password": NEW_PASSWORD,
                                                "confirmation": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Password changed. You were signed out everywhere else." in html(staff.get("/clients/"))
    assert phone.get("/clients/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1
    fresh = Browser(app.test_client())
    fresh.login("staff@example.com", NEW_PASSWORD)


@pytest.mark.parametrize("form, message", [
    ({"current_password": "wrong", "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
     "That is not your current password."),
    ({"current_password": "password", "password": "short", "confirmation": "short"},
     "Use a password of at least 12 characters."),
    ({"current_password": "password", "password": "qwertyuiop123", "confirmation": "qwertyuiop123"},
     "This is a very common password."),
    ({"current_password": "password", "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD + "x"},
     "The two passwords are not the same."),
])
def test_a_bad_password_change_says_why_and_changes_nothing(app, staff, form, message):
    phone = second_browser(app, "staff@example.com")
    response = staff.post("/account/password", form)
    assert response.status_code == 400
    assert message in html(response)
    assert phone.get("/clients/").status_code == 200
    Browser(app.test_client()).login("staff@example.com", "password")


def reset_link(admin, user):
    response = admin.post(f"/tools/users/{user.id}/reset-password")
    assert response.status_code == 200
    return RESET_LINK.search(html(response)).group(1)


def test_an_admin_resets_a_password_with_a_one_time_link(app, admin, make_user):
    user = make_user("ann@example.com")
    ann = second_browser(app, "ann@example.com")
    link = reset_link(admin, user)
    anonymous = Browser(app.test_client())
    assert "For ann@example.com" in html(anonymous.get(link))
    response = anonymous.post(link, {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert response.headers["Location"] == "/login"
    assert ann.get("/clients/").status_code == 302
    Browser(app.test_client()).login("ann@example.com", NEW_PASSWORD)
    used_again = anonymous.post(link, {"password": "another-garden-pebble-7", "confirmation": "another-garden-pebble-7"})
    assert used_again.status_code == 400
    assert "This link has expired or was already used." in html(used_again)


def test_a_reset_link_expires(app, admin, make_user):
    user = make_user("ann@example.com")
    link = reset_link(admin, user)
    for reset in db.session.scalars(select(PasswordReset)):
        reset.expires_at -= timedelta(hours=app.config["BM_PASSWORD_RESET_HOURS"])
    db.session.commit()
    response = Browser(app.test_client()).get(link)
    assert response.status_code == 400
    assert "This link has expired or was already used." in html(response)


def test_a_new_reset_link_replaces_the_last(admin, make_user):
    user = make_user("ann@example.com")
    first, second = reset_link(admin, user), reset_link(admin, user)
    assert admin.get(first).status_code == 400
    assert admin.get(second).status_code == 200


def test_a_weak_password_through_the_link_is_refused_and_the_link_still_works(admin, make_user):
    user = make_user("ann@example.com")
    link = reset_link(admin, user)
    response = admin.post(link, {"password": "password1234", "confirmation": "password1234"})
    assert response.status_code == 400
    assert "This is a very common password." in html(response)
    assert admin.get(link).status_code == 200


def test_staff_cannot_make_reset_links(staff, make_user):
    user = make_user("ann@example.com")
    assert staff.post(f"/tools/users/{user.id}/reset-password").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == 0


def test_the_reset_link_is_emailed_when_smtp_is_set(app, admin, make_user, smtp_server):
    controller, inbox = smtp_server
    app.config.update(BM_SMTP_HOST="127.0.0.1", BM_SMTP_PORT=controller.port, BM_SMTP_STARTTLS=False)
    user = make_user("ann@example.com")
    response = admin.post(f"/tools/users/{user.id}/reset-password", follow_redirects=True)
    assert "A password reset link was e-mailed to ann@example.com." in html(response)
    assert not RESET_LINK.search(html(response))
    [(recipients, message)] = inbox.messages
    assert recipients == ["ann@example.com"]
    link = RESET_LINK.search(message).group(1)
    anonymous = Browser(app.test_client())
    assert anonymous.post(link, {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}).status_code == 302


def test_when_the_email_cannot_be_sent_the_admin_gets_the_link(app, admin, make_user):
    app.config.update(BM_SMTP_HOST="127.0.0.1", BM_SMTP_PORT=free_port(), BM_SMTP_STARTTLS=False)
    user = make_user("ann@example.com")
    page = html(admin.post(f"/tools/users/{user.id}/reset-password"))
    assert "The e-mail could not be sent" in page
    assert RESET_LINK.search(page)

"""Admins and staff: Tools > Plugins, Users and Settings are for admins only."""
import pytest
from sqlalchemy import select

from bm.extensions import db
from bm.models import PracticeSettings, User
from support import html

ADMIN_PAGES = ["/tools/plugins", "/tools/users/", "/tools/settings"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_get_403_on_admin_pages(staff, url):
    response = staff.get(url)
    assert response.status_code == 403
    assert "Only an admin can do this." in html(response)


def test_staff_get_403_on_plugins_page(staff):
    assert staff.get("/tools/plugins").status_code == 403


@pytest.mark.parametrize("url", ["/tools/plugins/sample", "/tools/users/", "/tools/users/1", "/tools/settings"])
def test_staff_cannot_post_to_admin_pages(staff, url):
    response = staff.post(url, {"role": "admin", "email": "x@example.com", "password": "secret",
                                "invoice_prefix": "X", "invoice_next_number": "5", "payment_terms_days": "7"})
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_staff_cannot_make_themselves_admin(staff):
    me = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    assert staff.post(f"/tools/users/{me.id}", {"role": "admin"}).status_code == 403
    db.session.refresh(me)
    assert me.role == "staff"


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_can_open_admin_pages(admin, url):
    assert admin.get(url).status_code == 200


def test_staff_do_not_see_admin_menu_items(staff):
    page = html(staff.get("/clients/"))
    assert "/tools/integrations" in page
    for url in ADMIN_PAGES:
        assert f'href="{url}"' not in page


def test_admin_sees_admin_menu_items(admin):
    page = html(admin.get("/clients/"))
    for url in ADMIN_PAGES:
        assert f'href="{url}"' in page


def test_staff_can_use_clients_invoices_and_integrations(staff, make_invoice):
    invoice = make_invoice()
    for url in ["/clients/", f"/clients/{invoice.client_id}", "/invoices/", f"/invoices/{invoice.id}",
                "/tools/integrations", "/clients/import", "/invoices/new"]:
        assert staff.get(url).status_code == 200, url


def test_admin_adds_a_user(admin):
    response = admin.post("/tools/users/", {"email": "New@Example.com", "password": "violet-harbour-lantern", "role": "staff"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.role == "staff" and user.check_password("violet-harbour-lantern")


@pytest.mark.parametrize("form, field_message", [
    ({"email": "not-an-email", "password": "violet-harbour-lantern"}, "Enter a valid email address."),
    ({"email": "admin@example.com", "password": "violet-harbour-lantern"}, "A user with this email already exists."),
    ({"email": "ok@example.com", "password": "123"}, "Use a password of at least 12 characters."),
    ({"email": "ok@example.com", "password": "password1234"}, "This is a very common password."),
    ({"email": "ok@example.com", "password": "ok@example.com1"}, "Choose a longer password"),
    ({"email": "ok@example.com", "password": "violet-harbour-lantern", "role": "owner"}, "Choose admin or staff."),
])
def test_adding_a_bad_user_shows_the_problem(admin, form, field_message):
    response = admin.post("/tools/users/", form)
    assert response.status_code == 400
    assert field_message in html(response)


def test_admin_promotes_staff_to_admin(admin, make_user):
    user = make_user("ann@example.com")
    admin.post(f"/tools/users/{user.id}", {"role": "admin"})
    db.session.refresh(user)
    assert user.role == "admin"


def test_admin_cannot_remove_their_own_admin_access(admin):
    me = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    response = admin.post(f"/tools/users/{me.id}", {"role": "staff"}, follow_redirects=True)
    assert "You cannot remove your own admin access." in html(response)
    admin.post(f"/tools/users/{me.id}", {"active": "0"})
    db.session.refresh(me)
    assert me.role == "admin" and me.active


def test_unknown_user_is_404(admin):
    assert admin.post("/tools/users/9999", {"role": "admin"}).status_code == 404


def test_admin_changes_invoice_numbering(admin):
    response = admin.post("/tools/settings", {"invoice_prefix": "INV-", "invoice_next_number": "100",
                                              "payment_terms_days": "30"})
    assert response.status_code == 302
    settings = db.session.get(PracticeSettings, 1)
    db.session.refresh(settings)
    assert (settings.invoice_prefix, settings.invoice_next_number, settings.payment_terms_days) == ("INV-", 100, 30)


@pytest.mark.parametrize("form, message", [
    ({"invoice_prefix": "X", "invoice_next_number": "zero", "payment_terms_days": "14"}, "Enter a whole number from 1 to 999,999,999."),
    ({"invoice_prefix": "X", "invoice_next_number": "0", "payment_terms_days": "14"}, "Enter a whole number from 1 to 999,999,999."),
    ({"invoice_prefix": "X", "invoice_next_number": "1", "payment_terms_days": "-1"}, "Enter a number of days from 0 to 365."),
    ({"invoice_prefix": "X" * 21, "invoice_next_number": "1", "payment_terms_days": "14"}, "Use at most 20 characters."),
])
def test_bad_settings_are_refused_with_a_message(admin, form, message):
    response = admin.post("/tools/settings", form)
    assert response.status_code == 400
    assert message in html(response)


"""Logging in and out: every page needs a login, sessions are safe, guessing is throttled."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bm import services
from bm.extensions import db
from bm.models import UserSession, token_digest
from support import html, sample_url

PUBLIC_ENDPOINTS = {"auth.login", "account.reset_password", "views.htmx_js", "static"}


def protected_rules(app, method):
    return [rule for rule in app.url_map.iter_rules()
            if method in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS
            and not getattr(app.view_functions[rule.endpoint], "bm_public", False)]


def test_only_the_login_page_and_assets_are_public_in_the_core(app):
    marked = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "bm_public", False)
              and rule.endpoint.split(".")[0] in {"account", "auth", "clients", "invoices", "tools", "users", "views", "static"}}
    assert marked == PUBLIC_ENDPOINTS


def test_every_page_redirects_anonymous_visitors_to_login(app, web):
    rules = protected_rules(app, "GET")
    assert len(rules) > 10
    for rule in rules:
        url = sample_url(app, rule)
        response = web.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", url


def test_every_form_post_redirects_anonymous_visitors_to_login(app, web):
    rules = [rule for rule in protected_rules(app, "POST")]
    assert rules
    for rule in rules:
        url = sample_url(app, rule)
        response = web.post(url)
        assert response.status_code == 302, url
        assert urlsplit(response.headers["Location"]).path == "/login", url


def test_htmx_request_without_login_gets_401_and_hx_redirect(app, web):
    for rule in protected_rules(app, "GET"):
        url = sample_url(app, rule)
        response = web.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"].startswith("/login"), url


def test_login_page_remembers_where_you_were_going(web, make_user):
    response = web.get("/clients/?q=acme")
    assert response.headers["Location"].startswith("/login?next=")
    make_user("ann@example.com")
    web.get(response.headers["Location"])
    response = web.post("/login?next=%2Fclients%2F%3Fq%3Dacme", {"email": "ann@example.com", "password": "password"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/?q=acme"


def test_login_and_logout(web, make_user):
    make_user("ann@example.com")
    response = web.post("/login", {"email": "Ann@Example.com ", "password": "password"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/"
    page = html(web.get("/clients/"))
    assert "ann@example.com" in page and "Sign out" in page
    response = web.post("/logout")
    assert response.headers["Location"] == "/login"
    assert "You have signed out." in html(web.get("/login"))
    assert web.get("/clients/").status_code == 302


def test_logout_needs_a_post(web, make_user):
    make_user("ann@example.com")
    web.login("ann@example.com")
    assert web.get("/logout").status_code == 405


def test_wrong_password_shows_a_message(web, make_user):
    make_user("ann@example.com")
    response = web.post("/login", {"email": "ann@example.com", "password": "wrong"})
    assert response.status_code == 400
    page = html(response)
    assert "That email and password do not match an active user." in page
    assert 'value="ann@example.com"' in page


def test_unknown_email_shows_the_same_message(web):
    response = web.post("/login", {"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 400
    assert "That email and password do not match an active user." in html(response)


def test_logged_in_user_visiting_login_goes_home(web, make_user):
    make_user("ann@example.com")
    web.login("ann@example.com")
    assert web.get("/login").headers["Location"] == "/clients/"


@pytest.mark.parametrize("target", [
    "//evil.com", "https://evil.com", "/\\evil.com", "http://evil.com/clients/", "evil.com",
    "\\\\evil.com", "javascript:alert(1)", "///evil.com",
])
def test_next_never_leaves_the_site(web, make_user, target):
    make_user("ann@example.com")
    web.get("/login")
    response = web.client.post("/login", query_string={"next": target},
                               data={"email": "ann@example.com", "password": "password",
                                     "csrf_token": web.csrf_token()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients/"


def test_session_cookie_is_httponly_and_samesite_lax(web, make_user):
    make_user("ann@example.com")
    response = web.login("ann@example.com")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed_with_a_modern_kdf(app):
    user = services.create_user("ann@example.com", "correct horse battery staple")
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct horse battery staple")
    assert not user.check_password("Correct horse battery staple")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BM_LOGIN_ATTEMPTS": 3}


def test_login_is_throttled_after_failed_attempts(web, make_user):
    make_user("ann@example.com")
    for _ in range(3):
        assert web.post("/login", {"email": "ann@example.com", "password": "guess"}).status_code == 400
    response = web.post("/login", {"email": "ann@example.com", "password": "password"})
    assert response.status_code == 400
    assert "Too many failed attempts" in html(response)
    assert web.get("/clients/").status_code == 302


def test_throttling_is_per_email(web, make_user):
    make_user("ann@example.com")
    make_user("bob@example.com")
    for _ in range(3):
        web.post("/login", {"email": "ann@example.com", "password": "guess"})
    assert web.post("/login", {"email": "bob@example.com", "password": "password"}).status_code == 302


def test_throttling_window_expires(app, web, make_user):
    app.config["BM_LOGIN_WINDOW_SECONDS"] = 0
    make_user("ann@example.com")
    for _ in range(4):
        web.post("/login", {"email": "ann@example.com", "password": "guess"})
    assert web.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_successful_login_clears_the_failures(web, make_user):
    make_user("ann@example.com")
    for _ in range(2):
        web.post("/login", {"email": "ann@example.com", "password": "guess"})
    web.login("ann@example.com")
    web.post("/logout", follow_redirects=True)
    for _ in range(2):
        web.post("/login", {"email": "ann@example.com", "password": "guess"})
    assert web.post("/login", {"email": "ann@example.com", "password": "password"}).status_code == 302


def test_session_is_renewed_at_login(web, make_user):
    make_user("ann@example.com")
    web.get("/login")
    with web.client.session_transaction() as session:
        session["planted"] = "by an attacker"
    web.login("ann@example.com")
    with web.client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_blocked_user_cannot_log_in(web, make_user):
    user = make_user("ann@example.com")
    services.update_user(user, active=False)
    db.session.commit()
    response = web.post("/login", {"email": "ann@example.com", "password": "password"})
    assert response.status_code == 400
    assert "do not match an active user" in html(response)


def test_blocking_a_user_ends_their_session(app, make_user, admin):
    user = make_user("ann@example.com")
    other = type(admin)(app.test_client())
    other.login("ann@example.com")
    assert other.get("/clients/").status_code == 200
    admin.post(f"/tools/users/{user.id}", {"active": "0"})
    assert other.get("/clients/").status_code == 302


def test_session_holds_a_token_not_the_user_id(web, make_user):
    user = make_user("ann@example.com")
    web.login("ann@example.com")
    with web.client.session_transaction() as session:
        token = session["_user_id"]
    assert token != str(user.id) and len(token) >= 40
    stored = db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == user.id)).all()
    assert stored == [token_digest(token)]


def test_signing_out_ends_the_session_on_the_server(app, web, make_user):
    make_user("ann@example.com")
    web.login("ann@example.com")
    copied_cookie = web.client.get_cookie("session").value
    other_browser = web.client.application.test_client()
    other_browser.set_cookie("session", copied_cookie)
    assert other_browser.get("/clients/").status_code == 200
    web.post("/logout")
    assert other_browser.get("/clients/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_signing_out_leaves_the_users_other_sessions(app, web, make_user):
    make_user("ann@example.com")
    phone = type(web)(app.test_client())
    phone.login("ann@example.com")
    web.login("ann@example.com")
    web.post("/logout")
    assert phone.get("/clients/").status_code == 200

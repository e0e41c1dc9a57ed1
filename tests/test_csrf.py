"""CSRF: every state-changing request needs the token, from a form field or HTMX's header."""
import re

import pytest

from bm.extensions import db
from support import html, sample_url


def post_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}]


def csrf_exempt(app, rule):
    view = app.view_functions[rule.endpoint]
    # Flask-WTF keeps the views marked with csrf.exempt by dotted name.
    return f"{view.__module__}.{view.__name__}" in app.extensions["csrf"]._exempt_views


def test_every_post_without_a_token_is_refused(app, admin, make_invoice):
    invoice = make_invoice()
    rules = [rule for rule in post_rules(app) if not csrf_exempt(app, rule)]
    assert len(rules) >= 10
    for rule in rules:
        url = sample_url(app, rule).replace("/1", f"/{invoice.id}")
        response = admin.post(url, {"name": "x"}, csrf=False)
        assert response.status_code == 400, url
        assert "Page expired" in html(response), url


def test_csrf_exempt_routes_are_public_endpoints_that_check_their_own_credentials(app, admin):
    """Only machine-to-machine endpoints (webhooks, signed by the sender) may skip CSRF."""
    for rule in post_rules(app):
        if csrf_exempt(app, rule):
            assert getattr(app.view_functions[rule.endpoint], "bm_public", False), rule.endpoint
            response = admin.post(sample_url(app, rule), {"name": "x"}, csrf=False)
            assert response.status_code in (401, 403), rule.endpoint


def test_a_wrong_token_is_refused(admin, make_client):
    client = make_client()
    response = admin.post(f"/clients/{client.id}/archive", {"csrf_token": "forged"})
    assert response.status_code == 400
    db.session.refresh(client)
    assert not client.archived


def test_login_form_needs_a_token(web, make_user):
    make_user("ann@example.com")
    response = web.post("/login", {"email": "ann@example.com", "password": "password"}, csrf=False)
    assert response.status_code == 400


def test_htmx_header_token_is_accepted(admin, make_client):
    client = make_client()
    token = admin.csrf_token()
    response = admin.client.post(f"/clients/{client.id}/archive",
                                 headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302
    db.session.refresh(client)
    assert client.archived


def test_pages_give_htmx_the_token_in_hx_headers(admin):
    page = html(admin.get("/clients/"))
    match = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page)
    assert match and match.group(1) == admin.token


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_unsafe_methods_are_not_routed(admin, make_client, method):
    client = make_client()
    response = getattr(admin.client, method)(f"/clients/{client.id}")
    assert response.status_code in (400, 405)

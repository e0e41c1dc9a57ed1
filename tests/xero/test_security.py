"""Security of the Xero integration: OAuth state and PKCE, and Xero-supplied text kept inert."""
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from bm.extensions import db
from plugins.xero.models import XeroConnection

from .support import html

XERO = "/tools/integrations/xero"
SCRIPT = "<script>alert(1)</script>"


def connections():
    return db.session.scalar(select(func.count()).select_from(XeroConnection))


def test_the_authorisation_request_carries_state_and_a_pkce_s256_challenge(admin):
    location = admin.get(f"{XERO}/connect").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and "offline_access" in query["scope"][0]


def test_a_callback_with_a_forged_state_is_refused(admin, xero_user):
    callback = xero_user.allow_access(admin.get(f"{XERO}/connect").headers["Location"])
    forged = callback.replace("state=", "state=forged")
    page = html(admin.get(forged, follow_redirects=True))
    assert "did not match this browser" in page
    assert connections() == 0


def test_a_callback_cannot_be_replayed(admin, xero_user):
    callback = xero_user.allow_access(admin.get(f"{XERO}/connect").headers["Location"])
    assert admin.get(callback).status_code == 302
    page = html(admin.get(callback, follow_redirects=True))
    assert "did not match this browser" in page
    assert connections() == 1


def test_a_wrong_pkce_verifier_is_refused_by_xero(admin, xero_user):
    callback = xero_user.allow_access(admin.get(f"{XERO}/connect").headers["Location"])
    with admin.client.session_transaction() as session:
        session["xero_oauth"] = {**session["xero_oauth"], "verifier": "x" * 64}
    page = html(admin.get(callback, follow_redirects=True))
    assert "Xero refused the sign-in" in page
    assert connections() == 0


def test_a_refused_consent_comes_back_to_our_page_only(admin):
    response = admin.get(f"{XERO}/callback?error=access_denied&state=whatever")
    assert response.headers["Location"].endswith(f"{XERO}/")
    assert "did not authorise" in html(admin.get(f"{XERO}/"))


def test_xero_supplied_text_is_escaped_everywhere_it_is_shown(integrate, admin, in_xero, sync_now):
    integrate()
    hostile = in_xero.create_contact(Name=SCRIPT, EmailAddress="x@evil.example")
    in_xero.raise_invoice(hostile["ContactID"])
    page = sync_now()
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    admin.post(f"{XERO}/contacts/{hostile['ContactID']}/create")
    client_page = html(admin.get("/clients/?q=script", follow_redirects=True))
    assert SCRIPT not in client_page and "&lt;script&gt;" in client_page


def test_no_token_can_be_found_in_clear_anywhere_in_the_database(integrate, app):
    from sqlalchemy import inspect, text

    from plugins.xero.oauth import decrypt_tokens

    connection = integrate()
    tokens = decrypt_tokens(connection.encrypted_tokens)
    secrets = [tokens["refresh_token"].encode(), tokens["access_token"][-40:].encode()]
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        path = Path(db.engine.url.database)  # the file and its write-ahead log, as they lie on disk
        contents = b"".join(part.read_bytes() for part in (path, path.with_name(path.name + "-wal")) if part.exists())
    else:
        tables = inspect(db.engine).get_table_names()
        with db.engine.connect() as connection_:
            contents = "\n".join(str(row[0]) for table in tables
                                 for row in connection_.execute(text(f'SELECT t::text FROM "{table}" t'))).encode()
    assert contents and not any(secret in contents for secret in secrets)

"""Behind a TLS proxy: Xero's OAuth callback is https and never taken from a hostile Host header."""
from urllib.parse import parse_qs, urlsplit

import pytest

HOSTILE = {"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, **getattr(request, "param", {})}


def callback_sent_to_xero(admin, headers):
    """Click Integrate with Xero with these request headers; return the redirect_uri Xero is given."""
    if "Host" in headers:  # the signed-in browser's cookie, as a hostile host would have it too
        session = admin.client.get_cookie("session")
        admin.client.set_cookie("session", session.value, domain=headers["Host"])
    start = admin.get("/tools/integrations/xero/connect", headers=headers)
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    return parse_qs(urlsplit(start.headers["Location"]).query)["redirect_uri"][0]


@pytest.mark.parametrize("app_config", [{"BM_PUBLIC_URL": "https://bm.example.com"}], indirect=True)
def test_the_public_url_wins_over_the_host_header(admin):
    assert callback_sent_to_xero(admin, HOSTILE) == "https://bm.example.com/tools/integrations/xero/callback"


@pytest.mark.parametrize("app_config", [{"BM_PUBLIC_URL": "https://example.com/practice"}], indirect=True)
def test_a_public_url_with_a_path_keeps_it(admin):
    assert callback_sent_to_xero(admin, HOSTILE) == "https://example.com/practice/tools/integrations/xero/callback"


@pytest.mark.parametrize("app_config", [{"BM_PROXY_HOPS": 1}], indirect=True)
def test_one_trusted_proxy_gives_the_scheme_and_host(admin):
    # The proxy appends what it saw; only the last value, the one our proxy wrote, is trusted.
    forwarded = {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.example, bm.example.com"}
    assert callback_sent_to_xero(admin, forwarded) == "https://bm.example.com/tools/integrations/xero/callback"


def test_forwarded_headers_are_ignored_when_no_proxy_is_trusted(admin):
    sent = callback_sent_to_xero(admin, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    assert sent == "http://localhost/tools/integrations/xero/callback"

"""The app factory: settings from the environment, wiring, and start-up checks."""
import pytest
from pluggy import PluginValidationError

from bm import create_app, hookimpl
from bm.config import from_environment


def test_config_defaults_to_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BM_APP_NAME", "BM_PAGE_SIZE"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'bm.sqlite'}"
    assert config["REDIS_URL"] is None
    assert config["BM_APP_NAME"] == "BrightManager"
    assert config["BM_PAGE_SIZE"] == 50
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("url", ["postgres://u@db/x", "postgresql://u@db/x"])
def test_postgres_urls_use_the_psycopg_driver(tmp_path, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/x"


def test_secret_key_is_created_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    assert len(first) > 40
    assert from_environment(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert from_environment(str(tmp_path))["SECRET_KEY"] == "from-env"


def test_config_argument_overrides_environment(build_app):
    other = build_app(BM_APP_NAME="Ledgerly")
    assert other.config["BM_APP_NAME"] == "Ledgerly"
    assert other.testing


def test_app_name_from_config_is_shown(build_app):
    app = build_app(BM_APP_NAME="Ledgerly")
    response = app.test_client().get("/login")
    assert "Ledgerly" in response.get_data(as_text=True)


def test_misspelt_hook_implementation_fails_at_start_up(database_url):
    class Misspelt:
        @hookimpl
        def client_creatd(self, client):
            pass

    with pytest.raises(PluginValidationError, match="client_creatd"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "BM_EXTRA_PLUGINS": [Misspelt()]})


def test_htmx_is_served_by_the_app_itself(web):
    with web.client.get("/assets/htmx.min.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert b"htmx" in response.data[:2000]


def test_pages_load_htmx_from_the_app_not_a_cdn(web):
    page = web.get("/login").get_data(as_text=True)
    assert 'src="/assets/htmx.min.js"' in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_security_headers_on_every_response(web):
    response = web.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_url_shows_the_not_found_page(admin):
    response = admin.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)

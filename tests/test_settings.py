"""Settings: generated secrets made once and atomically, several encryption keys, production checks."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bm import crypto
from bm.checks import production_problems
from bm.config import SettingsError, from_environment

ROOT = Path(__file__).resolve().parents[1]
# Each process imports first, says it is ready, then waits for the go file, so that they all
# reach the secret files at the same instant.
RACE = """
import os, sys, time
from bm.config import from_environment
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.0005)
config = from_environment(sys.argv[1])
print(config["SECRET_KEY"], config["BM_ENCRYPTION_KEY"], flush=True)
"""


@pytest.mark.parametrize("attempt", range(3))  # the writing-in-place this replaces lost 4 races in 10
def test_processes_starting_at_once_agree_on_one_generated_key(tmp_path, attempt):
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "BM_ENCRYPTION_KEY")}
    instance, go = tmp_path / "instance", tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", RACE, str(instance), str(go)], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(8)]
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    go.touch()
    answers = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(answers) == 1, answers
    secret_key, encryption_key = answers.pop().split(" ")
    assert len(secret_key) >= 64 and len(encryption_key) >= 64 and secret_key != encryption_key
    assert (instance / "secret_key").read_text() == secret_key
    assert sorted(path.name for path in instance.iterdir()) == ["encryption_key", "secret_key"]
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


def test_an_empty_secret_file_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(SettingsError, match=r"secret_key is empty.*SECRET_KEY"):
        from_environment(str(tmp_path))


def test_the_first_encryption_key_encrypts_and_every_key_decrypts(app):
    app.config["BM_ENCRYPTION_KEY"] = "old-key"
    old = crypto.encrypt(b"tokens")
    app.config["BM_ENCRYPTION_KEY"] = "new-key, old-key"
    new = crypto.encrypt(b"tokens")
    assert crypto.decrypt(old) == crypto.decrypt(new) == b"tokens"
    app.config["BM_ENCRYPTION_KEY"] = "new-key"
    assert crypto.decrypt(new) == b"tokens"
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(old)


PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://bm@db/bm", "BM_GENERATED_SECRETS": (),
              "BM_PUBLIC_URL": "https://bm.example.com", "SESSION_COOKIE_SECURE": True, "BM_PROXY_HOPS": 0}


def test_a_production_configuration_has_no_problems():
    assert production_problems(PRODUCTION) == []
    # Behind a trusted proxy the app sees https itself, and marks its cookies Secure then.
    assert production_problems({**PRODUCTION, "SESSION_COOKIE_SECURE": False, "BM_PROXY_HOPS": 1}) == []


@pytest.mark.parametrize(("change", "problem"), [
    ({"BM_GENERATED_SECRETS": ("SECRET_KEY",)}, "SECRET_KEY is a generated file"),
    ({"BM_GENERATED_SECRETS": ("BM_ENCRYPTION_KEY",)}, "BM_ENCRYPTION_KEY is a generated file"),
    ({"SESSION_COOKIE_SECURE": False}, "BM_SECURE_COOKIES is off"),
    ({"BM_PUBLIC_URL": ""}, "BM_PUBLIC_URL is not set"),
])
def test_each_unsafe_production_setting_is_named(change, problem):
    problems = production_problems({**PRODUCTION, **change})
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_generated_secrets_are_fine_on_sqlite():
    local = {**PRODUCTION, "SQLALCHEMY_DATABASE_URI": "sqlite:///bm.sqlite", "BM_PUBLIC_URL": "",
             "BM_GENERATED_SECRETS": ("SECRET_KEY", "BM_ENCRYPTION_KEY"), "SESSION_COOKIE_SECURE": False}
    assert production_problems(local) == []


def test_bm_check_names_the_problems_and_fails(build_app):
    app = build_app(BM_GENERATED_SECRETS=("SECRET_KEY",), BM_PUBLIC_URL="https://bm.example.com",
                    SESSION_COOKIE_SECURE=False, BM_PROXY_HOPS=0)
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://bm@db/bm"  # read by the check only
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "SECRET_KEY is a generated file" in result.output and "BM_SECURE_COOKIES is off" in result.output


def test_bm_check_passes_safe_settings(build_app):
    app = build_app(BM_GENERATED_SECRETS=(), BM_PUBLIC_URL="https://bm.example.com", SESSION_COOKIE_SECURE=True)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_problems_are_logged_when_the_app_starts(build_app, caplog):
    with caplog.at_level(logging.WARNING, logger="bm.checks"):
        build_app(BM_PUBLIC_URL="https://bm.example.com", SESSION_COOKIE_SECURE=False, BM_PROXY_HOPS=0)
    assert any("BM_SECURE_COOKIES is off" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("url", ["bm.example.com", "ftp://bm.example.com", "https://", "https://bm.example.com/?a=1"])
def test_a_public_url_that_is_no_address_is_refused(url, monkeypatch, tmp_path):
    monkeypatch.setenv("BM_PUBLIC_URL", url)
    with pytest.raises(SettingsError, match="BM_PUBLIC_URL must be the address users reach the app at"):
        from_environment(str(tmp_path))

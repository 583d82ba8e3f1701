"""Deployment safety: hosts, URL prefix, proxies, secrets, cookies and a Redis outage."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from participation import create_app
from participation.config import SettingsError, load_settings
from participation.db import db
from participation.extensions import limiter
from participation.plans.content import PlanContent
from participation.plans.services import load_plan
from participation.proxies import TrustedProxies
from tests.feedback.helpers import Child


def test_unknown_host_is_refused(client: Any, demo_plan: PlanContent) -> None:
    assert client.get("/en/", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/en/", headers={"Host": "attacker.example"}).status_code == 400


def test_a_script_name_from_the_request_never_reaches_cached_pages(
    client: Any, demo_plan: PlanContent
) -> None:
    """Gunicorn takes a SCRIPT_NAME header from local addresses: one such request must not
    make every child's links (including "Need help?") point elsewhere."""
    poisoned = client.get("/en/plan/vision", environ_overrides={"SCRIPT_NAME": "/evil"})
    assert poisoned.status_code == 200
    assert "/evil" not in poisoned.get_data(as_text=True)
    page = client.get("/en/plan/vision").get_data(as_text=True)
    assert "/evil" not in page and 'href="/en/help' in page


def _seen(trusted: Iterable[str], remote: str, headers: dict[str, str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return [b""]

    middleware = TrustedProxies(inner, script_root="/", trusted=trusted)  # type: ignore[arg-type]
    environ = {"REMOTE_ADDR": remote, "PATH_INFO": "/en/", "SCRIPT_NAME": "/x",
               "wsgi.url_scheme": "http", "HTTP_HOST": "example.org",
               **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
    middleware(environ, lambda *args: None)  # type: ignore[arg-type]
    return seen


def test_forwarded_headers_only_from_trusted_proxies() -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    direct = _seen(["10.0.0.0/24"], "198.51.100.7", forwarded)
    assert direct["REMOTE_ADDR"] == "198.51.100.7" and direct["wsgi.url_scheme"] == "http"
    assert direct["SCRIPT_NAME"] == ""
    proxied = _seen(["10.0.0.0/24"], "10.0.0.5", forwarded)
    assert proxied["REMOTE_ADDR"] == "203.0.113.9" and proxied["wsgi.url_scheme"] == "https"
    assert _seen([], "127.0.0.1", forwarded)["REMOTE_ADDR"] == "127.0.0.1"


def test_a_configured_prefix_is_used_and_stripped() -> None:
    seen = _seen([], "127.0.0.1", {})
    middleware = TrustedProxies(lambda e, s: [b""], script_root="/participation")  # type: ignore[arg-type]
    environ = {"PATH_INFO": "/participation/en/", "REMOTE_ADDR": "127.0.0.1"}
    middleware(environ, lambda *args: None)  # type: ignore[arg-type]
    assert environ["SCRIPT_NAME"] == "/participation" and environ["PATH_INFO"] == "/en/"
    assert seen["PATH_INFO"] == "/en/"


def test_shared_database_without_secret_key_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/app")
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def test_cookies_are_secure_outside_the_local_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOKIE_SECURE", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_settings(str(tmp_path)).SESSION_COOKIE_SECURE is False
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/app")
    assert load_settings(str(tmp_path)).SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("COOKIE_SECURE", "0")
    assert load_settings(str(tmp_path)).SESSION_COOKIE_SECURE is False


def test_trusted_hosts_follow_the_public_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PUBLIC_URL", "https://participation.example.org")
    monkeypatch.setenv("ALLOWED_HOSTS", "www.example.org")
    settings = load_settings(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert settings.TRUSTED_HOSTS == ("participation.example.org", "www.example.org")


def test_sending_works_while_redis_is_down(app: Flask, demo_content: PlanContent,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """Counters fall back to this worker's memory; a child's idea is never refused for it."""
    saved = limiter._storage, limiter._limiter
    worker = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0",  # nothing listens on port 9
    })
    try:
        with worker.app_context():
            load_plan(demo_content)
            db.session.commit()
        with caplog.at_level(logging.WARNING):
            started = time.monotonic()
            for number in range(3):
                child = Child(worker.test_client())
                response = child.send("vision", f"Idea number {number} while Redis is down")
                assert response.status_code == 302
            elapsed = time.monotonic() - started
        assert elapsed < 5
        assert caplog.text.count("falling back to in-memory storage") == 1
    finally:
        limiter._storage, limiter._limiter = saved
        with worker.app_context():
            db.engine.dispose()


@pytest.fixture
def gunicorn_server(tmp_path: Path, database_url: str) -> Any:
    """Start the app under gunicorn (2 workers, this repository's gunicorn.conf.py)."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import ROOT

    started: list[subprocess.Popen[bytes]] = []

    def start(extra_env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "SECRET_KEY": "test-secret-key", "DATABASE_URL": database_url,
               "FLASK_APP": "participation", **(extra_env or {})}
        env.pop("REDIS_URL", None) if "REDIS_URL" not in (extra_env or {}) else None
        bin_dir = Path(sys.executable).parent
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--no-control-socket", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "participation:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(server)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/en/", timeout=2):  # noqa: S310 - loopback
                    return base, server
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_warns_about_per_worker_limits_and_ignores_forged_prefixes(
    gunicorn_server: Any, demo_plan: PlanContent
) -> None:
    import http.client

    base, server = gunicorn_server()
    host, port = base.removeprefix("http://").split(":")
    for headers in ({"SCRIPT_NAME": "/evil"}, {"Script-Name": "/evil"},
                    {"X-Forwarded-Prefix": "/evil", "X-Forwarded-Host": "evil.example"}):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/en/plan/vision", headers=headers)
        answer = connection.getresponse()
        assert answer.status in {200, 400}
        assert b"/evil" not in answer.read() and b"evil.example" not in answer.read()
        connection.close()
    clean = http.client.HTTPConnection(host, int(port), timeout=10)
    clean.request("GET", "/en/plan/vision")
    page = clean.getresponse().read().decode()
    assert "/evil" not in page and 'href="/en/help' in page
    server.terminate()
    _out, err = server.communicate(timeout=10)
    assert b"2 workers and no REDIS_URL" in err
    assert b"GET /en/" not in err  # no access log

"""The app factory honours overrides and reads deployment settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from participation import create_app
from participation.config import load_settings


def test_config_override() -> None:
    assert not create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing
    assert create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    ).testing


def test_secret_key_is_generated_once_per_instance(tmp_path: Path) -> None:
    first = load_settings(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = load_settings(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(first.SECRET_KEY) == 64
    assert first.SECRET_KEY == second.SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/app")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("LOCALES", "es,fr")
    monkeypatch.setenv("COOKIE_SECURE", "true")
    settings = load_settings(str(tmp_path))
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.example/app"
    assert settings.SECRET_KEY == "from-env"
    assert settings.LANGUAGES == ("es", "fr")
    assert settings.BABEL_DEFAULT_LOCALE == "es"
    assert settings.SESSION_COOKIE_SECURE is True


def test_unknown_locale_setting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALES", "fr,xx")
    with pytest.raises(ValueError, match="xx"):
        load_settings(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_default_database_is_sqlite_in_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(str(tmp_path), {"SECRET_KEY": "x"})
    assert settings.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'participation.sqlite3'}"

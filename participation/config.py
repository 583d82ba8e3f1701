"""Typed settings: defaults here, secrets and deployment values from the environment or instance/.

Settings are read once at start-up into a frozen dataclass, then copied into ``app.config`` so
Flask extensions find the keys they expect. Nothing changes settings at run time.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SUPPORTED_LOCALES: tuple[str, ...] = ("fr", "en", "es")


@dataclass(frozen=True)
class Settings:
    SECRET_KEY: str
    SQLALCHEMY_DATABASE_URI: str
    LANGUAGES: tuple[str, ...] = SUPPORTED_LOCALES
    BABEL_DEFAULT_LOCALE: str = "fr"
    BABEL_TRANSLATION_DIRECTORIES: str = ""
    # Which loaded plan children see; empty means the most recently loaded one.
    PLAN_SLUG: str = ""
    # How long a worker serves plan content from memory before checking the database for a newer
    # version. Content changes only through `load-plan`, so a short delay is harmless.
    PLAN_CACHE_SECONDS: float = 30.0
    # Cookies: HttpOnly and SameSite always; Secure when served over HTTPS (production).
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False
    SESSION_COOKIE_NAME: str = "participation_session"
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = 3600 * 4
    MAX_CONTENT_LENGTH: int = 64 * 1024
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = field(default_factory=dict)
    TESTING: bool = False

    def as_flask_config(self) -> dict[str, Any]:
        return asdict(self)


def _instance_secret_key(instance_path: Path) -> str:
    """A per-deployment random key kept in instance/, shared by every worker on the machine."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` / ``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance_path: str, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings from defaults, the environment and test overrides (in that order)."""
    instance = Path(instance_path)
    env = os.environ
    values: dict[str, Any] = {
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'participation.sqlite3'}"
        ),
        "SESSION_COOKIE_SECURE": _truthy(env.get("COOKIE_SECURE")),
        "PLAN_SLUG": env.get("PLAN_SLUG", ""),
        "BABEL_TRANSLATION_DIRECTORIES": str(
            Path(__file__).resolve().parent.parent / "translations"
        ),
    }
    if env.get("LOCALES"):
        locales = tuple(code.strip() for code in env["LOCALES"].split(",") if code.strip())
        unknown = set(locales) - set(SUPPORTED_LOCALES)
        if unknown:
            raise ValueError(f"LOCALES has unsupported codes: {sorted(unknown)}")
        values["LANGUAGES"] = locales
        values["BABEL_DEFAULT_LOCALE"] = locales[0]
    if env.get("PLAN_CACHE_SECONDS"):
        values["PLAN_CACHE_SECONDS"] = float(env["PLAN_CACHE_SECONDS"])
    values.update(overrides or {})
    if values.get("SQLALCHEMY_DATABASE_URI"):
        values["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(
            values["SQLALCHEMY_DATABASE_URI"]
        )
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret_key(instance)
    if values["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        instance.mkdir(parents=True, exist_ok=True)
    return Settings(**values)

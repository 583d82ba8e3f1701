"""Typed settings: defaults here, secrets and deployment values from the environment or instance/.

Settings are read once at start-up into a frozen dataclass, then copied into ``app.config`` so
Flask extensions find the keys they expect. Nothing changes settings at run time.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from participation.db import engine_options

SUPPORTED_LOCALES: tuple[str, ...] = ("fr", "en", "es")

# Where a child who may be unsafe can get help now, per language. Deployments set their own
# (HELPLINES_JSON); these defaults are the national free lines for France, the UK and Spain.
DEFAULT_HELPLINES: dict[str, dict[str, str]] = {
    "fr": {"name": "Allô Enfance en Danger", "phone": "119", "emergency": "112",
           "hours": "gratuit, jour et nuit"},
    "en": {"name": "Childline", "phone": "0800 1111", "emergency": "999",
           "hours": "free, day and night"},
    "es": {"name": "Fundación ANAR", "phone": "900 20 20 10", "emergency": "112",
           "hours": "gratis, de día y de noche"},
}


@dataclass(frozen=True)
class Settings:
    SECRET_KEY: str
    SQLALCHEMY_DATABASE_URI: str
    LANGUAGES: tuple[str, ...] = SUPPORTED_LOCALES
    BABEL_DEFAULT_LOCALE: str = "fr"
    BABEL_TRANSLATION_DIRECTORIES: str = ""
    # Where people reach the app, e.g. https://participation.example.org: every URL that leaves
    # a request (e-mails, QR codes) is built from it, never from the request's Host header.
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    # Host names this app answers to (any other Host header is refused with a 400): the
    # PUBLIC_URL's host, plus ALLOWED_HOSTS; locally also localhost and 127.0.0.1.
    TRUSTED_HOSTS: tuple[str, ...] = ()
    # Proxies whose X-Forwarded-For/-Proto are believed (addresses or networks, e.g.
    # 10.0.0.5 or 10.0.0.0/24); from anyone else those headers are ignored.
    TRUSTED_PROXIES: tuple[str, ...] = ()
    # The URL prefix when the app is mounted below the site's root, e.g. /participation;
    # always from configuration, never from a request header.
    APPLICATION_ROOT: str = "/"
    # Which loaded plan children see, whatever organisers choose in the editor; empty: the plan
    # organisers chose to show (or the most recently loaded one).
    PLAN_SLUG: str = ""
    # How long a worker serves plan content from memory before checking the database for a newer
    # revision (one indexed row): an organiser's publication reaches every worker this fast.
    PLAN_CACHE_SECONDS: float = 5.0
    # Cookies: HttpOnly and SameSite always; Secure everywhere except the local, embedded
    # SQLite default (served over plain http://127.0.0.1); COOKIE_SECURE=0/1 overrides.
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = True
    SESSION_COOKIE_NAME: str = "participation_session"
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = 3600 * 4
    MAX_CONTENT_LENGTH: int = 64 * 1024
    # A shared tablet left alone this long forgets the child (server side and in the page).
    CHILD_IDLE_SECONDS: int = 600
    # Days after which the words of rejected and withdrawn ideas are deleted (`purge-feedback`).
    FEEDBACK_RETENTION_DAYS: int = 90
    HELPLINES: dict[str, dict[str, str]] = field(default_factory=lambda: dict(DEFAULT_HELPLINES))
    # Rate limits are counted in memory per worker, or shared in Redis (redis://host:6379).
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_ENABLED: bool = True
    RATELIMIT_HEADERS_ENABLED: bool = False
    RATELIMIT_KEY_PREFIX: str = "participation"
    # Redis down: count in this worker's memory instead (logged once) rather than refuse sends.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED: bool = True
    RATELIMIT_SWALLOW_ERRORS: bool = True
    RATELIMIT_STORAGE_OPTIONS: dict[str, Any] = field(default_factory=dict)
    # Sends per child and per network address (a classroom shares one address).
    IDEA_LIMITS: str = "5 per minute; 40 per hour"
    IDEA_LIMITS_PER_ADDRESS: str = "60 per minute"
    REACTION_LIMITS: str = "30 per minute"
    REACTION_LIMITS_PER_ADDRESS: str = "120 per minute"
    # Wrong idea codes ("check my idea") and wrong classroom codes per address: only failures
    # count, generous because a whole school shares one address and children mistype.
    IDEA_CODE_FAILURE_LIMITS: str = "20 per minute; 100 per hour"
    CLASSROOM_JOIN_FAILURE_LIMITS: str = "20 per minute"
    # Staff: a second factor for everyone unless a local demo turns it off (a banner says so).
    STAFF_TOTP_REQUIRED: bool = True
    PERMANENT_SESSION_LIFETIME: int = 30 * 60  # staff idle timeout, in seconds
    LOGIN_LIMITS_PER_ADDRESS: str = "20 per minute; 100 per hour"
    LOGIN_LIMITS_PER_ACCOUNT: str = "5 per 10 minutes"  # failed sign-ins only
    # A staff session ends this long after sign-in however active the person is (the idle limit
    # is PERMANENT_SESSION_LIFETIME); five wrong codes pause the second step this long.
    STAFF_SESSION_MAX_HOURS: int = 12
    STAFF_TOTP_LOCK_MINUTES: int = 15
    # argon2id cost of staff passphrase hashes (argon2-cffi's defaults); tests set cheap values.
    ARGON2_TIME_COST: int = 3
    ARGON2_MEMORY_COST: int = 65536  # KiB
    ARGON2_PARALLELISM: int = 4
    # Alerts to safeguarding leads (no SMTP_HOST: the badge on staff pages only).
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_STARTTLS: bool = True
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    ALERT_FROM: str = "participation@localhost"
    SMTP_TIMEOUT_SECONDS: int = 10
    URGENT_ACK_MINUTES: int = 30
    # Urgent items arriving within this long of an alert go out together in one e-mail when the
    # window ends; the first urgent item after a quiet window is alerted at once.
    ALERT_GROUP_MINUTES: int = 5
    # The job queue behind the outbox (alerts, re-alerts, retention): unset keeps it in
    # instance/jobs.sqlite3 (no extra service); postgresql://... or redis://... in production;
    # memory:// in tests (their default when TESTING).
    JOBS_URL: str = ""
    JOBS_WORKERS: int = 2
    # A failed job is retried after 30 s, 1, 2, 4 ... minutes (at most an hour apart) and given
    # up after JOBS_MAX_ATTEMPTS (logged, and counted by `flask jobs status`).
    JOBS_RETRY_SECONDS: int = 30
    JOBS_MAX_ATTEMPTS: int = 10
    # A worker holds a message this long; after that another may take it over (the first died).
    JOBS_LEASE_SECONDS: int = 300
    # How long an item may wait in each queue (priority -> minutes) before it stands out.
    # (lanes: 4 urgent, 3 escalated, 2 check soon, 1 personal details, 0 ordinary;
    # screening.Priority). "Check soon" is the model's wider net: hours, not days.
    REVIEW_TARGET_MINUTES: dict[int, int] = field(
        default_factory=lambda: {4: 60, 3: 4 * 60, 2: 4 * 60, 1: 24 * 60, 0: 3 * 24 * 60}
    )
    # The organisation's time zone: staff pages show times in it ("14:05, 3 minutes ago").
    ORG_TIMEZONE: str = "UTC"
    # An open safeguarding concern with no new entry for this long is marked overdue.
    CONCERN_FOLLOW_UP_HOURS: int = 24
    # A committee session's answer from the organisation is due this many days after every
    # statement in it was decided ("you said, we did").
    COMMITTEE_ANSWER_DAYS: int = 60
    # The largest photo of children's work a facilitator may upload (bytes), and the longest
    # side it is stored at once re-encoded (pixels).
    COMMITTEE_PHOTO_MAX_BYTES: int = 12 * 1024 * 1024
    COMMITTEE_PHOTO_MAX_SIDE: int = 2000
    # "You said, we did": a second organiser must approve an answer before children see it.
    ANSWERS_NEED_SECOND_ORGANISER: bool = False
    # A part "has many ideas" waiting for an answer from this many approved ideas on
    # (organisers' home page).
    ANSWER_NEEDED_AFTER_IDEAS: int = 10
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
    for name in ("CHILD_IDLE_SECONDS", "FEEDBACK_RETENTION_DAYS"):
        if env.get(name):
            values[name] = int(env[name])
    for name in ("SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD", "ALERT_FROM", "PUBLIC_URL",
                 "ORG_TIMEZONE",
                 "JOBS_URL"):
        if env.get(name):
            values[name] = env[name]
    for name in ("SMTP_PORT", "URGENT_ACK_MINUTES", "ALERT_GROUP_MINUTES", "JOBS_WORKERS",
                 "JOBS_MAX_ATTEMPTS", "SMTP_TIMEOUT_SECONDS", "STAFF_SESSION_MAX_HOURS",
                 "STAFF_TOTP_LOCK_MINUTES", "CONCERN_FOLLOW_UP_HOURS", "COMMITTEE_ANSWER_DAYS"):
        if env.get(name):
            values[name] = int(env[name])
    if env.get("ANSWERS_NEED_SECOND_ORGANISER"):
        values["ANSWERS_NEED_SECOND_ORGANISER"] = _truthy(env["ANSWERS_NEED_SECOND_ORGANISER"])
    if env.get("STAFF_TOTP_REQUIRED"):
        values["STAFF_TOTP_REQUIRED"] = _truthy(env["STAFF_TOTP_REQUIRED"])
    if env.get("SMTP_STARTTLS"):  # 0 only for a relay on the same machine (port 25)
        values["SMTP_STARTTLS"] = _truthy(env["SMTP_STARTTLS"])
    if env.get("REDIS_URL"):
        values["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    if env.get("RATELIMIT_ENABLED"):
        values["RATELIMIT_ENABLED"] = _truthy(env["RATELIMIT_ENABLED"])
    if env.get("COOKIE_SECURE"):
        values["SESSION_COOKIE_SECURE"] = _truthy(env["COOKIE_SECURE"])
    for name in ("ALLOWED_HOSTS", "TRUSTED_PROXIES"):
        if env.get(name):
            values[name] = tuple(item.strip() for item in env[name].split(",") if item.strip())
    if env.get("APPLICATION_ROOT"):
        values["APPLICATION_ROOT"] = env["APPLICATION_ROOT"]
    if env.get("HELPLINES_JSON"):
        values["HELPLINES"] = {**DEFAULT_HELPLINES, **json.loads(env["HELPLINES_JSON"])}
    if env.get("PLAN_CACHE_SECONDS"):
        values["PLAN_CACHE_SECONDS"] = float(env["PLAN_CACHE_SECONDS"])
    values.update(overrides or {})
    if values.get("SQLALCHEMY_DATABASE_URI"):
        values["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(
            values["SQLALCHEMY_DATABASE_URI"]
        )
    if not values.get("SQLALCHEMY_ENGINE_OPTIONS"):
        values["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(values["SQLALCHEMY_DATABASE_URI"])
    embedded = values["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:")
    if not values.get("SECRET_KEY"):
        if not embedded:
            raise SettingsError(
                "SECRET_KEY is not set. With a shared database (DATABASE_URL) every app host and "
                "worker must sign cookies with the same key, or children become strangers "
                "between two requests and staff are signed out. Set SECRET_KEY, e.g. to the "
                "output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
            )
        values["SECRET_KEY"] = _instance_secret_key(instance)
    if embedded:
        instance.mkdir(parents=True, exist_ok=True)
    values.setdefault("SESSION_COOKIE_SECURE", not embedded)
    values["TRUSTED_HOSTS"] = _trusted_hosts(
        str(values.get("PUBLIC_URL", Settings.PUBLIC_URL)), values.pop("ALLOWED_HOSTS", ())
    ) if not values.get("TRUSTED_HOSTS") else tuple(values["TRUSTED_HOSTS"])
    if str(values.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://")):
        # A Redis that does not answer costs a child a fraction of a second, then the limiter
        # counts in memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and retries Redis later.
        values.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_connect_timeout": 0.3, "socket_timeout": 0.3})
    return Settings(**values)


class SettingsError(Exception):
    """A deployment setting is missing or wrong; the message says how to fix it."""


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _trusted_hosts(public_url: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    """The PUBLIC_URL's host and ALLOWED_HOSTS; a local PUBLIC_URL also allows loopback."""
    host = urlsplit(public_url).hostname or ""
    hosts = [host, *extra]
    if host in LOOPBACK_HOSTS:
        hosts += LOOPBACK_HOSTS
    return tuple(dict.fromkeys(h for h in hosts if h))

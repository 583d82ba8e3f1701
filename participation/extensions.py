"""Extension objects, created unbound here and bound to the app in the factory."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from participation.db import db, render_migration_type


def hashed_client_address() -> str:
    """Rate-limit key for a network address: an HMAC, so not even the limiter's storage (memory
    or Redis, with expiry) holds a child's IP address."""
    key = current_app.config["SECRET_KEY"].encode()
    address = (request.remote_addr or "unknown").encode()
    return "addr:" + hmac.new(key, address, hashlib.sha256).hexdigest()[:32]


babel = Babel()
csrf = CSRFProtect()
# Batch mode lets later migrations alter SQLite tables; compare_type catches column type changes.
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=render_migration_type)
limiter = Limiter(key_func=hashed_client_address)


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    """Every limit is on a POST (sending, signing in); page views skip the limiter's work."""
    return request.method in {"GET", "HEAD"}

__all__ = ["babel", "csrf", "db", "limiter", "migrate"]

"""Fixtures for the job queue: a second app on the same test database with its own JOBS_URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from participation import create_app
from participation.db import db


@pytest.fixture
def make_app(app: Flask, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Factory: an app like the suite's (same database, already migrated) with overrides."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        config = {key: app.config[key] for key in (
            "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PLAN_CACHE_SECONDS")}
        for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
            if key in app.config:
                config[key] = app.config[key]
        other = create_app({**config, "STAFF_TOTP_REQUIRED": False, **overrides})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()

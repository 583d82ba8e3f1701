"""With REDIS_URL, send limits are shared by every worker (counters live in Redis, with expiry)."""

from __future__ import annotations

import socket

import pytest
from flask import Flask

from participation import create_app
from participation.db import db
from participation.plans.content import PlanContent
from participation.plans.services import load_plan
from tests.feedback.helpers import Child

REDIS = ("127.0.0.1", 6379)


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="Redis is optional and not running here")
def test_limits_are_shared_between_workers(app: Flask, demo_content: PlanContent) -> None:
    import redis

    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "IDEA_LIMITS_PER_ADDRESS": "3 per minute",
    }
    redis.Redis(host=REDIS[0], port=REDIS[1], db=15).flushdb()
    worker_a, worker_b = create_app(settings), create_app(settings)
    with worker_a.app_context():
        load_plan(demo_content)
        db.session.commit()
    try:
        # Three different children behind one classroom address, spread over two workers.
        assert Child(worker_a.test_client()).send("vision", "one").status_code == 302
        assert Child(worker_b.test_client()).send("vision", "two").status_code == 302
        assert Child(worker_a.test_client()).send("vision", "three").status_code == 302
        assert Child(worker_b.test_client()).send("vision", "four").status_code == 429
        keys = redis.Redis(host=REDIS[0], port=REDIS[1], db=15).keys("*")
        assert keys and not any(b"127.0.0.1" in key for key in keys)  # addresses are hashed
    finally:
        redis.Redis(host=REDIS[0], port=REDIS[1], db=15).flushdb()
        for worker in (worker_a, worker_b):
            with worker.app_context():
                db.engine.dispose()

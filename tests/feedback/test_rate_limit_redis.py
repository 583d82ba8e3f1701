"""With REDIS_URL, send limits are shared by every worker (counters live in Redis, with expiry)."""

from __future__ import annotations

import socket
import uuid

import pytest
from flask import Flask

from participation import create_app
from participation.db import db
from participation.extensions import limiter
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
    store = redis.Redis(host=REDIS[0], port=REDIS[1], db=15)
    # The limiter is one object per process (as in production, one app per worker); creating
    # two more apps here rebinds its storage, which is put back afterwards.
    saved = limiter._storage, limiter._limiter
    worker_a, worker_b = create_app(settings), create_app(settings)
    with worker_a.app_context():
        load_plan(demo_content)
        db.session.commit()
    # A fresh classroom address per run, so runs sharing this Redis never share counters.
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:8]}"

    def child_at_school(worker: Flask) -> Child:
        client = worker.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return Child(client)

    try:
        # Three different children behind one classroom address, spread over two workers.
        assert child_at_school(worker_a).send("vision", "one").status_code == 302
        assert child_at_school(worker_b).send("vision", "two").status_code == 302
        assert child_at_school(worker_a).send("vision", "three").status_code == 302
        assert child_at_school(worker_b).send("vision", "four").status_code == 429
        keys = store.keys("*")
        assert keys and not any(address.encode() in key for key in keys)  # addresses are hashed
    finally:
        limiter._storage, limiter._limiter = saved
        for worker in (worker_a, worker_b):
            with worker.app_context():
                db.engine.dispose()

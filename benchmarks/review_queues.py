"""Review queues at scale: one million submissions, then the queue page and "review next".

    python benchmarks/review_queues.py [--database-url postgresql://postgres@127.0.0.1/bench]
                                       [--rows 1000000] [--reviewers 8]

Fills a fresh database (default: PostgreSQL database "bench_queues" on 127.0.0.1, created and
dropped by this script) with submissions spread over the three queues (90% already decided),
then prints the median and 95th-percentile time to render the queue page and to claim the
next item, and the claims per second of many concurrent reviewers (threads, one session each).
Target: queue page and claim both under 50 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from sqlalchemy import create_engine, text

from participation import create_app
from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.db import db, long_statements
from participation.moderation.services import claim_next

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def fresh_database(name: str) -> str:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def fill(rows: int) -> None:
    """Insert rows in one statement per chunk with generate_series (seconds, not minutes)."""
    db.session.execute(text("SET statement_timeout = 0"))  # the app's 8 s bound is for requests
    plan_id = db.session.execute(text(
        "INSERT INTO plans (slug, version, default_locale, created_at, updated_at) "
        "VALUES ('bench', 1, 'en', now(), now()) RETURNING id")).scalar_one()
    chunk = 200_000
    for start in range(0, rows, chunk):
        db.session.execute(text("""
            INSERT INTO submissions (public_id, plan_id, source, locale, body, status, priority,
                                     screening, created_at, updated_at)
            SELECT md5(random()::text || n), :plan, 'child', 'en', 'An idea number ' || n,
                   CASE WHEN n % 10 = 0 THEN 'pending' ELSE 'approved' END,
                   CASE WHEN n % 97 = 0 THEN 2 WHEN n % 7 = 0 THEN 1 ELSE 0 END,
                   '{"urgent": false, "flags": []}'::json,
                   now() - (n || ' seconds')::interval, now()
            FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS n
        """), {"plan": plan_id, "start": start + 1, "stop": min(start + chunk, rows)})
        db.session.commit()
    db.session.commit()
    # What autovacuum does on a live server: lets counts read the index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE submissions"))


def timed(action, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    created = args.database_url is None
    url = args.database_url or fresh_database("bench_queues")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "STAFF_TOTP_REQUIRED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        with long_statements():
            fill(args.rows)
        print(f"filled {args.rows:,} submissions in {time.perf_counter() - started:.1f} s")
        users = [create_user(f"r{n}@bench.invalid", "benchmark passphrase here", [Role.FACILITATOR],
                             actor_id=None, with_totp=False) for n in range(args.reviewers)]
        lead = create_user("lead@bench.invalid", "benchmark passphrase here",
                           [Role.SAFEGUARDING_LEAD], actor_id=None, with_totp=False)
        db.session.commit()
        user_ids = [u.id for u in users]
        lead_id = lead.id

    client = app.test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/staff/login", data={"csrf_token": token, "email": "lead@bench.invalid",
                                      "passphrase": "benchmark passphrase here"})
    assert client.get("/staff/queues").status_code == 200, "not signed in"
    page = timed(lambda: client.get("/staff/queues"), 50)
    print(f"queue page (lead, 3 queues):   median {page[0]:.1f} ms, p95 {page[1]:.1f} ms")

    with app.app_context():
        lead_user = db.session.get(User, lead_id)
        assert lead_user is not None

        def claim_one() -> None:
            claim_next(lead_user)
            db.session.commit()

        claim = timed(claim_one, 100)
    print(f"review next (claim, commit):    median {claim[0]:.1f} ms, p95 {claim[1]:.1f} ms")

    claimed: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 10

    def reviewer(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            count = 0
            while time.monotonic() < deadline:
                item = claim_next(user)
                db.session.commit()
                if item is None:
                    break
                count += 1
            with lock:
                claimed.append(count)

    threads = [threading.Thread(target=reviewer, args=(uid,)) for uid in user_ids]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(f"{args.reviewers} concurrent reviewers: {sum(claimed) / elapsed:.0f} claims/s "
          f"({sum(claimed)} in {elapsed:.1f} s)")
    with app.app_context():
        duplicates = db.session.execute(text(
            "SELECT count(*) FROM submissions WHERE claimed_by_id IS NOT NULL")).scalar_one()
        print(f"items holding a claim: {duplicates}")
        db.engine.dispose()
    if created:
        engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "bench_queues" WITH (FORCE)'))
        engine.dispose()


if __name__ == "__main__":
    main()

"""Streaming exports at scale: 100,000 approved ideas, downloaded as CSV and as XLSX.

    python benchmarks/export.py [--rows 100000] [--port 0]

Fills a fresh PostgreSQL database "bench_exports" on 127.0.0.1 (created and dropped by this
script) with the demo plan and approved children's ideas (generate_series, seconds), starts
one gunicorn sync worker on a free port, signs an organiser in over HTTP and downloads the
"shared ideas" table through the export form. Prints, per format: time to first byte, total
time, size, and the worker's resident memory before, at its peak during (sampled every 10 ms)
and after.
Target: the CSV starts at once and ends in under 5 s with flat memory. An XLSX cannot start
before it is complete (its zip directory comes last): its first byte comes at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NAME = "bench_exports"
ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "benchmark passphrase here"  # noqa: S105 (a throw-away benchmark account)
EMAIL = "organiser@bench.invalid"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def make_app():  # type: ignore[no-untyped-def]
    """The app gunicorn serves (the database from BENCH_DATABASE_URL), exports registered."""
    from participation import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
                      "SECRET_KEY": "bench", "STAFF_TOTP_REQUIRED": False,
                      "SESSION_COOKIE_SECURE": False})  # plain http on 127.0.0.1
    if "report_exports" not in app.blueprints:  # until the factory registers the page
        from participation.reports.export_views import init_app

        init_app(app)
    return app


def fresh_database() -> str:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{NAME}"


def drop_database() -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
    engine.dispose()


def fill(url: str, rows: int) -> None:
    """The demo plan, an organiser, and ``rows`` approved ideas spread over parts, languages,
    age bands and 40,000 children (one INSERT ... SELECT generate_series)."""
    from flask_migrate import upgrade

    from participation.accounts.models import Role
    from participation.accounts.services import create_user
    from participation.db import db, long_statements
    from participation.plans.content import read_plan_folder
    from participation.plans.services import load_plan

    os.environ["BENCH_DATABASE_URL"] = url
    app = make_app()
    with app.app_context(), long_statements():
        upgrade()
        load_plan(read_plan_folder(ROOT / "content" / "plans" / "crc-2025-2029"))
        create_user(EMAIL, PASSPHRASE, [Role.ORGANISER], actor_id=None, with_totp=False)
        db.session.commit()
        db.session.execute(text("SET statement_timeout = 0"))
        plan_id, sections = db.session.execute(text(
            "SELECT plan_id, array_agg(id ORDER BY position) FROM sections GROUP BY plan_id"
        )).one()
        db.session.execute(text("""
            INSERT INTO submissions (public_id, plan_id, section_id, source, locale, age_band,
                                     body, published_body, status, priority, child_token_hash,
                                     created_at, updated_at)
            SELECT md5(random()::text || n), :plan,
                   CASE WHEN n % 20 = 0 THEN NULL
                        ELSE (CAST(:sections AS integer[]))[1 + n % :parts] END,
                   'child', (ARRAY['fr', 'en', 'es'])[1 + n % 3],
                   (ARRAY['8-10', '11-13', '14-17'])[1 + (n / 3) % 3],
                   'Idée ' || n, 'Une idée numéro ' || n || ' : plus de parcs et de bancs '
                   || 'près de l''école, et des horaires de bus pour rentrer le soir',
                   'approved', 0, md5('child' || n % 40000),
                   now() - ((n % 180) || ' days')::interval, now()
            FROM generate_series(1, :rows) AS n
        """), {"plan": plan_id, "sections": list(sections), "parts": len(sections),
               "rows": rows})
        db.session.commit()
        db.engine.dispose()
    with create_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE submissions"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_pid(master: int) -> int:
    """gunicorn's one worker: the master's child process."""
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def download(client: httpx.Client, fmt: str, pid: int) -> None:
    page = client.get("/staff/reports/exports")
    match = CSRF_RE.search(page.text)
    assert page.status_code == 200 and match, f"export page: {page.status_code}"
    before = rss_mb(pid)
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:  # the worker's resident memory every 10 ms while it exports
        while not done.is_set():
            samples.append(rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    first: float | None = None
    size = 0
    with client.stream("POST", "/staff/reports/exports", data={
        "csrf_token": match.group(1), "tables": "shared_ideas", "format": fmt, "by": "",
        "language": "", "period": "", "purpose": "Benchmark of the streaming export",
    }) as response:
        assert response.status_code == 200, response.read()[:500]
        for chunk in response.iter_raw():
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
    total = time.perf_counter() - started
    done.set()
    sampler.join()
    print(f"{fmt.upper():4} first byte {1000 * (first or total):7.0f} ms, total {total:6.2f} s, "
          f"{size / 1e6:5.1f} MB; worker RSS {before:.0f} MiB before, peak {max(samples):.0f} "
          f"MiB during, {rss_mb(pid):.0f} MiB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = fresh_database()
    server = None
    try:
        started = time.perf_counter()
        fill(url, args.rows)
        print(f"filled {args.rows:,} approved ideas in {time.perf_counter() - started:.1f} s")
        port = free_port()
        env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        # A generous worker timeout: the XLSX is built before its first byte can be sent.
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1",
             "--timeout", "120", "--bind", f"127.0.0.1:{port}", "benchmarks.export:make_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        pid = worker_pid(server.pid)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=180, follow_redirects=False,
                          headers={"Accept-Language": "en"}) as client:
            for _ in range(100):
                try:
                    login = client.get("/staff/login")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            match = CSRF_RE.search(login.text)
            assert match, "no sign-in form"
            signed = client.post("/staff/login", data={"csrf_token": match.group(1),
                                                       "email": EMAIL,
                                                       "passphrase": PASSPHRASE})
            assert signed.status_code == 302, signed.text[:300]
            client.get("/staff/")  # warm the worker (templates, plan cache)
            print(f"worker RSS after warm-up: {rss_mb(pid):.0f} MiB")
            for fmt in ("csv", "csv", "json", "xlsx", "csv"):
                download(client, fmt, pid)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()

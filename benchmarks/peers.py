"""Speed side by side: a bare Flask app, this app and isso 0.14 (a peer comment server).

All three run in one run on one machine under gunicorn with 2 sync workers (by default) and
are loaded one after the other by wrk (1 thread, 8 connections, a 2 s warm-up, then 10 s) on
loopback. This app runs with its own gunicorn.conf.py (as deployed); bare Flask and isso with
gunicorn's defaults. Runs alternate (bare Flask, the pages, bare Flask again; idea POST, isso,
idea POST, isso) and each side of a ratio is the mean of its runs (p99: the worse run), so
other work on this shared machine weighs on both sides alike. Measured:

- bare Flask ``/`` (benchmarks/hello_app.py): the baseline;
- the part page /en/plan/priority-1 on a first visit (no cookies) and from a returning
  tablet (the cookies of its first visit), and the home page /en/ on a first visit;
- an idea POST (POST /en/plan/priority-1/ideas: csrf_token, a new 32-hex idempotency key per
  request, a ~110-character child sentence that varies, an age band on 4 in 5), screened and
  stored, from one tablet that already sent an idea (the app's rate limits are off:
  benchmarks/app_without_limits.py); stored rows are counted to prove each POST stored one;
- isso's comment POST (POST /new?uri=/some-page, JSON text/author/title) with
  ``[moderation] enabled = true`` and ``[guard] enabled = false`` (its rate limit), isso's
  documented way: ``gunicorn --preload isso.run``. isso and gunicorn are installed into their
  own virtualenv, created on first use under benchmarks/.peers/isso-venv (gitignored; needs
  PyPI and a C compiler for misaka);
- with the Flask test client, in process: the median time of 500 idea POSTs and the number of
  SQL statements one idea POST sends (a ``before_cursor_execute`` listener).

Targets (the script exits 1 and says which are missed):
- part page and home page on a first visit: at least 0.5 of bare Flask's requests/s;
- idea POST: at least 2x isso's comment POST requests/s.

Usage (``make bench`` runs it with the defaults)::

    .venv/bin/python benchmarks/peers.py [--seconds 10] [--connections 8] [--workers 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_peers] [--app-dir DIR]

``--app-dir`` measures another copy of the app (e.g. ``git archive COMMIT | tar -x -C DIR``,
then ``pybabel compile -d DIR/translations``) to compare before and after a change.

The default database is a fresh SQLite file in a temporary folder; with ``--database-url`` the
database must exist and be empty or already hold the demo plan (migrations and the plan load
are idempotent). Needs wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import harness
from harness import WrkResult
from sentences import sentences

ISSO_VERSION = "0.14.0"
DEFAULT_ISSO_VENV = harness.BENCHMARKS / ".peers" / "isso-venv"
PAGE_TARGET = 0.5  # first-visit pages vs bare Flask
POST_TARGET = 2.0  # idea POST vs isso's comment POST
PART = "/en/plan/priority-1"
HOME = "/en/"
AGE_BANDS = ("8-10", "11-13", "14-17", "none", "")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

IDEA_LUA = """-- An idea POST with a new idempotency key and a varying sentence each time.
local path, csrf, cookie = %(path)s, %(csrf)s, %(cookie)s
local bodies = {%(bodies)s}
local bands = {%(bands)s}
local nonce, counter, thread_no, next_thread = "", 0, 0, 0

function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  nonce = args[1]  -- 16 hex digits, new for every wrk run
end

function request()
  counter = counter + 1
  local key = string.format("%%s%%08x%%08x", nonce, thread_no, counter)
  local body = "csrf_token=" .. csrf .. "&idempotency_key=" .. key
    .. "&body=" .. bodies[counter %% #bodies + 1]
  local band = bands[counter %% #bands + 1]
  if band ~= "" then body = body .. "&age_band=" .. band end
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie,
  }, body)
end
"""

ISSO_LUA = """-- isso's comment POST: a varying text and author, a title so isso fetches nothing.
local bodies = {%(bodies)s}
local counter = 0

function request()
  counter = counter + 1
  return wrk.format("POST", "/new?uri=%%2Fsome-page",
    {["Content-Type"] = "application/json"}, bodies[counter %% #bodies + 1])
end
"""

ISSO_CFG = """[general]
dbpath = %(dbpath)s
host = %(host)s
notify = stdout
[moderation]
enabled = true
[guard]
enabled = false
[server]
listen = %(host)s
"""


def lua_string(value: str) -> str:
    """A Lua string literal (JSON's escapes are a subset of Lua's for these texts)."""
    return json.dumps(value)


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    label: str
    result: WrkResult


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let a 302 come back as it is (the idea POST's answer), not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def tablet_that_sent_an_idea(base: str) -> tuple[str, str]:
    """The CSRF token and Cookie header of a tablet that opened the part and sent one idea."""
    jar: dict[str, str] = {}
    with urllib.request.urlopen(base + PART, timeout=10) as response:  # noqa: S310 - loopback
        html = response.read().decode()
        harness.cookie_header(response.headers.get_all("Set-Cookie") or [], jar)
    match = CSRF_RE.search(html)
    if match is None:
        raise RuntimeError(f"no csrf_token field on {PART}")
    token = match.group(1)
    form = urllib.parse.urlencode({
        "csrf_token": token, "idempotency_key": secrets.token_hex(16),
        "body": sentences(1)[0], "age_band": "11-13",
    }).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + PART + "/ideas", data=form,
        headers={"Cookie": harness.cookie_header([], jar)},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
        raise RuntimeError("the first idea POST was not answered with a redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 302 or "/sent" not in (answer.headers.get("Location") or ""):
            raise RuntimeError(f"the first idea POST answered {answer.code}") from answer
        cookie = harness.cookie_header(answer.headers.get_all("Set-Cookie") or [], jar)
    return token, cookie


def stored_ideas(database_url: str) -> int:
    """How many ideas the database holds."""
    from sqlalchemy import create_engine, text

    engine = create_engine(harness.sqlalchemy_url(database_url))
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM submissions")).scalar_one())
    engine.dispose()
    return count


def measure(
    base: str, path: str, args: argparse.Namespace, *, cookie: str = "",
    script: Path | None = None, nonce: Callable[[], str] | None = None,
    after_warmup: Callable[[], None] | None = None,
) -> WrkResult:
    """A warm-up run, then the measured one; fails on any error status or socket error."""
    def run(seconds: int) -> WrkResult:
        script_args = [nonce()] if nonce else []
        return harness.wrk(base + path, seconds=seconds, connections=args.connections,
                           cookie=cookie, script=script, script_args=script_args)

    run(args.warmup)  # caches, imports, connection pools, the first thread row of isso
    if after_warmup is not None:
        after_warmup()
    result = run(args.seconds)
    if result.bad_status or result.socket_errors:
        raise RuntimeError(
            f"{path}: {result.bad_status} error statuses, {result.socket_errors} socket errors"
        )
    return result


def ensure_isso(venv: Path) -> Path:
    """isso 0.14 and our gunicorn version in their own virtualenv; its gunicorn."""
    python = venv / "bin" / "python"
    wanted = f"{ISSO_VERSION} {version('gunicorn')}"
    probe = "import importlib.metadata as m; print(m.version('isso'), m.version('gunicorn'))"
    if python.exists():
        found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == wanted:
            return venv / "bin" / "gunicorn"
    print(f"Installing isso {ISSO_VERSION} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"isso=={ISSO_VERSION}", f"gunicorn=={version('gunicorn')}"],
        capture_output=True, text=True, check=False,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"could not install isso:\n{installed.stdout}{installed.stderr}")
    return venv / "bin" / "gunicorn"


def write_idea_script(folder: Path, csrf: str, cookie: str) -> Path:
    """The wrk script for idea POSTs from one tablet."""
    bodies = ", ".join(lua_string(urllib.parse.quote_plus(s)) for s in sentences(500, seed=11))
    script = folder / "idea.lua"
    script.write_text(IDEA_LUA % {
        "path": lua_string(PART + "/ideas"), "csrf": lua_string(urllib.parse.quote_plus(csrf)),
        "cookie": lua_string(cookie), "bodies": bodies,
        "bands": ", ".join(lua_string(b) for b in AGE_BANDS),
    })
    return script


def write_isso_script(folder: Path) -> Path:
    """The wrk script for isso's comment POSTs."""
    rng = random.Random(13)  # noqa: S311 - sample texts, not security
    authors = ("Sam", "Lea", "Noah", "Ines", "Tom", "Ava", "Omar", "Lina")
    bodies = ", ".join(
        lua_string(json.dumps({"text": text, "author": rng.choice(authors), "title": "Some page"}))
        for text in sentences(500, seed=11)
    )
    script = folder / "isso.lua"
    script.write_text(ISSO_LUA % {"bodies": bodies})
    return script


@contextmanager
def isso_server(folder: Path, gunicorn_bin: Path, workers: int) -> Iterator[str]:
    """isso with moderation on and its guard off, as its documentation runs it under gunicorn
    (``--preload``), from an empty folder: gunicorn's defaults, not this app's settings file."""
    port_probe = harness.free_port()  # nothing listens here: isso's start-up HEAD fails fast
    home = folder / "isso"
    home.mkdir()
    config = home / "isso.cfg"
    config.write_text(ISSO_CFG % {
        "dbpath": home / "comments.db", "host": f"http://127.0.0.1:{port_probe}",
    })
    env = {**os.environ, "ISSO_SETTINGS": str(config)}
    with harness.gunicorn("isso.run:application", env, workers=workers, cwd=home,
                          gunicorn_bin=gunicorn_bin, extra=["--preload"],
                          check_path="/info") as base:
        yield base


def combined(runs: list[WrkResult]) -> WrkResult:
    """Several runs of one measure as one: mean rate and median, worst 99th percentile."""
    return WrkResult(
        requests=sum(r.requests for r in runs),
        rps=statistics.mean(r.rps for r in runs),
        p50_ms=statistics.mean(r.p50_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        bad_status=sum(r.bad_status for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
    )


def test_client_figures(database_url: str, posts: int) -> tuple[float, float, list[int]]:
    """Median ms of ``posts`` idea POSTs through the Flask test client, and SQL statements
    per POST (median and the distinct counts seen)."""
    from sqlalchemy import event

    from participation import create_app
    from participation.db import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "benchmark",
    })
    client = app.test_client()
    match = CSRF_RE.search(client.get(PART).get_data(as_text=True))
    if match is None:
        raise RuntimeError(f"no csrf_token field on {PART}")
    with app.app_context():
        engine = db.engine
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    texts = sentences(posts + 20, seed=17)
    times: list[float] = []
    per_post: list[int] = []
    for number, body in enumerate(texts):
        form = {"csrf_token": match.group(1), "idempotency_key": secrets.token_hex(16),
                "body": body, "age_band": AGE_BANDS[number % len(AGE_BANDS)]}
        statements = 0
        start = time.perf_counter()
        response = client.post(PART + "/ideas", data=form)
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            raise RuntimeError(f"test-client idea POST answered {response.status_code}")
        if number >= 20:  # the first ones make the child, warm caches and connections
            times.append(elapsed * 1000)
            per_post.append(statements)
    event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), statistics.median(per_post), sorted(set(per_post))


def print_table(
    rows: list[Row], hello: WrkResult, args: argparse.Namespace, db: str, load_before: float
) -> None:
    print(f"app: {harness.app_version(args.app_dir)}")
    print(f"gunicorn {args.workers} sync workers; wrk 1 thread x {args.connections} connections,"
          f" {args.warmup} s warm-up then {args.seconds} s each; database {db}")
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before,"
          f" {os.getloadavg()[0]:.2f} after (other work here lowers every figure)")
    print(f"{'':<44} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    for row in rows:
        r = row.result
        print(f"{row.label:<44} {r.rps:>10.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
              f" {r.rps / hello.rps:>8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="each measured wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="wrk run before each measure")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client-posts", type=int, default=500,
                        help="idea POSTs timed through the Flask test client")
    parser.add_argument("--app-dir", type=Path, default=harness.ROOT,
                        help="serve the app from this copy of the repository, e.g. the last"
                        " commit: git archive HEAD | tar -x -C DIR (default: this work tree)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--isso-venv", type=Path, default=DEFAULT_ISSO_VENV)
    args = parser.parse_args()
    harness.exit_cleanly_on_sigterm()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    isso_gunicorn = ensure_isso(args.isso_venv)
    sys.path.insert(0, str(args.app_dir.resolve()))  # the test client runs that copy too
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        env = harness.app_env(database_url, args.app_dir.resolve(), RATELIMIT_ENABLED="0")
        harness.prepare_database(env)
        workers = args.workers

        # Runs alternate (bare, pages, bare; idea, isso, idea, isso) so that other work on
        # the machine weighs on both sides of each ratio alike.
        with ExitStack() as servers:
            bare = servers.enter_context(harness.gunicorn(
                "hello_app:app", env, workers=workers, cwd=folder))
            app = servers.enter_context(harness.gunicorn(
                "participation:create_app()", env, workers=workers, check_path=HOME))
            hello_runs = [measure(bare, "/", args)]
            part_first = measure(app, PART, args)
            part_back = measure(app, PART, args, cookie=harness.first_visit_cookies(app + PART))
            home_first = measure(app, HOME, args)
            hello_runs.append(measure(bare, "/", args))
        hello = combined(hello_runs)
        with ExitStack() as servers:
            app = servers.enter_context(harness.gunicorn(
                "app_without_limits:app", env, workers=workers, check_path=HOME))
            isso = servers.enter_context(isso_server(folder, isso_gunicorn, workers))
            csrf, cookie = tablet_that_sent_an_idea(app)
            script = write_idea_script(folder, csrf, cookie)
            isso_script = write_isso_script(folder)
            idea_runs: list[WrkResult] = []
            isso_runs: list[WrkResult] = []
            counts: list[int] = []
            for _ in range(2):
                idea_runs.append(measure(
                    app, PART + "/ideas", args, script=script, nonce=lambda: secrets.token_hex(8),
                    after_warmup=lambda: counts.append(-stored_ideas(database_url)),
                ))
                time.sleep(1)  # let the POSTs in flight when wrk stopped commit
                counts.append(stored_ideas(database_url))
                isso_runs.append(measure(isso, "/new?uri=%2Fsome-page", args,
                                         script=isso_script))
            stored = sum(counts)
        idea_post, isso_post = combined(idea_runs), combined(isso_runs)
        client_ms, statements, statement_counts = test_client_figures(
            harness.sqlalchemy_url(database_url), args.client_posts
        )

    rows = [
        Row("bare Flask hello (mean of 2 runs)", hello),
        Row(f"part page {PART}, first visit", part_first),
        Row(f"part page {PART}, returning tablet", part_back),
        Row(f"home page {HOME}, first visit", home_first),
        Row("idea POST, screened and stored (2 runs)", idea_post),
        Row(f"isso {ISSO_VERSION} comment POST, moderated (2 runs)", isso_post),
    ]
    database = "SQLite" if not args.database_url else args.database_url
    print_table(rows, hello, args, database, load_before)
    post_ratio = idea_post.rps / isso_post.rps
    print(f"idea POST vs isso comment POST: {post_ratio:.2f}x")
    print(f"idea POSTs stored by the measured runs: {stored} (wrk counted {idea_post.requests}"
          " answers; POSTs still in flight when wrk stops are stored too)")
    print(f"idea POST through the Flask test client: median {client_ms:.2f} ms of"
          f" {args.client_posts}; SQL statements per POST: median {statements:.0f}"
          f" (seen: {', '.join(map(str, statement_counts))})")

    missed = []
    for label, value, target in (
        ("part page, first visit vs bare Flask", part_first.rps / hello.rps, PAGE_TARGET),
        ("home page, first visit vs bare Flask", home_first.rps / hello.rps, PAGE_TARGET),
        ("idea POST vs isso comment POST", post_ratio, POST_TARGET),
    ):
        verdict = "ok" if value >= target else "MISSED"
        print(f"target {label}: {value:.2f} (>= {target:.2f}) {verdict}")
        if value < target:
            missed.append(label)
    if stored < idea_post.requests:
        missed.append("every idea POST stores a new idea")
        print(f"MISSED: {idea_post.requests} idea POSTs answered but {stored} stored")
    if missed:
        print("targets missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

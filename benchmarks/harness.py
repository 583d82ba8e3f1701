"""What every benchmark here needs: a prepared database, gunicorn on a free port, wrk.

Not a benchmark itself. Scripts in this folder import it by plain name (``import harness``):
Python puts the running script's folder first on the module path.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
BIN = Path(sys.executable).parent
PLAN = ROOT / "content" / "plans" / "crc-2025-2029"
# Where benchmarks create their own PostgreSQL databases (names start with "bench_").
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_SERVER_URL = "postgresql://postgres@127.0.0.1:5432"


def free_port() -> int:
    """A TCP port nobody listens on right now (several servers share this machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until ``url`` answers with any HTTP status; fail early if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server for {url} exited ({server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answered: up, even if this path is not a 200
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f} s")


def app_env(database_url: str, app_dir: Path = ROOT, **extra: str) -> dict[str, str]:
    """Environment for the app's commands and servers: one secret, one database, and the
    app's code from ``app_dir`` (another copy of the repository, e.g. ``git archive HEAD``,
    is imported ahead of the editable install of this working tree)."""
    return {
        **os.environ,
        "FLASK_APP": "participation",
        "SECRET_KEY": "benchmark",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(app_dir),
        **extra,
    }


def app_dir_of(env: dict[str, str]) -> Path:
    """The folder whose copy of the app ``env`` runs."""
    return Path(env.get("PYTHONPATH") or ROOT)


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run one ``flask`` command of the app; its standard output, or an error with stderr."""
    result = subprocess.run(
        [str(BIN / "flask"), *args], env=env, cwd=app_dir_of(env), input=stdin,
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare_database(env: dict[str, str]) -> None:
    """Apply the migrations and load the demo plan, as `make db` does."""
    flask(env, "db", "upgrade")
    flask(env, "load-plan", str(app_dir_of(env) / PLAN.relative_to(ROOT)))


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    workers: int,
    check_path: str = "/",
    gunicorn_bin: Path | None = None,
    extra: Sequence[str] = (),
    cwd: Path | None = None,
) -> Iterator[str]:
    """Serve ``app`` with sync workers on a free loopback port; yields its base URL.

    ``app`` may also name a module of this folder (hello_app, app_without_limits). gunicorn
    runs in the app's folder, so it reads the app's gunicorn.conf.py; another ``cwd`` (an
    empty folder) runs a peer with gunicorn's defaults instead.
    """
    port = free_port()
    command = [
        str(gunicorn_bin or BIN / "gunicorn"), "--workers", str(workers),
        "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
        "--log-level", "warning", "--pythonpath", str(BENCHMARKS), *extra, app,
    ]
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the workers.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, env=env, cwd=cwd or app_dir_of(env), stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base + check_path, server)
            yield base
        except BaseException:
            log.seek(0)
            tail = log.read()[-4000:].decode(errors="replace")
            print(f"--- last lines of the {app} server log ---\n{tail}", file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run saw."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    bad_status: int  # responses that were not 2xx or 3xx
    socket_errors: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"not a wrk latency: {value}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    cookie: str = "",
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> WrkResult:
    """Load ``url`` with wrk (one thread) and parse its report."""
    command = ["wrk", "--threads", "1", "--connections", str(connections),
               "--duration", f"{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["--header", f"Cookie: {cookie}"]
    if script is not None:
        command += ["--script", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    out = result.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise RuntimeError(f"could not read wrk's report:\n{out}{result.stderr}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(total.group(1)),
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in sock.groups()) if sock else 0,
    )


def cookie_header(set_cookies: Sequence[str], jar: dict[str, str] | None = None) -> str:
    """Fold Set-Cookie headers into a jar (a deleted cookie leaves it); the Cookie header."""
    jar = {} if jar is None else jar
    for line in set_cookies:
        name, _, value = line.split(";", 1)[0].partition("=")
        attributes = line.lower()
        if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value.strip()
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def fresh_postgres_database(name: str) -> str:
    """Drop and create database ``name`` on the local server; its URL."""
    if not name.startswith("bench_"):
        raise ValueError("benchmark databases are named bench_*, never a test database")
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{PG_SERVER_URL}/{name}"


def drop_postgres_database(name: str) -> None:
    """Drop database ``name`` (a bench_* database this run created)."""
    if not name.startswith("bench_"):
        raise ValueError("benchmark databases are named bench_*, never a test database")
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def sqlalchemy_url(url: str) -> str:
    """The URL SQLAlchemy needs: PostgreSQL through psycopg 3, as the app does."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def first_visit_cookies(url: str) -> str:
    """The Cookie header a tablet sends after its first visit (session, language, progress)."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return cookie_header(response.headers.get_all("Set-Cookie") or [])


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so servers started here are stopped on the way out."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def app_version(app_dir: Path) -> str:
    """Which code runs: the commit of ``app_dir``, and whether its files differ from it."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(app_dir), *args],
                                capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit or Path(git("rev-parse", "--show-toplevel")) != app_dir.resolve():
        return f"{app_dir} (not a git work tree)"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "participation",
                  "templates", "static", "migrations")
    return commit + (" with uncommitted changes to the app" if changed else "")

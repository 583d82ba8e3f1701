"""Requests per second of a plan section page against a bare Flask "hello" app.

Both run under the same gunicorn settings (2 sync workers) in the same run and are loaded by
wrk on loopback, one after the other. Target: the section page reaches at least 50% of the
bare app's rate. Usage:

    python benchmarks/section_page_rps.py [--seconds 10] [--connections 8] [--database-url URL]

Needs wrk (apt-get install -y wrk). Prints a table and the ratio; exits 1 below the target.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLAN = ROOT / "content" / "plans" / "crc-2025-2029"
TARGET_RATIO = 0.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def gunicorn(app: str, port: int, env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def first_visit_cookies(url: str) -> str:
    """The cookies a tablet holds after its first visit (session, language, progress)."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        cookies = response.headers.get_all("Set-Cookie") or []
    return "; ".join(cookie.split(";", 1)[0] for cookie in cookies)


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> tuple[float, str]:
    headers = ["--header", f"Cookie: {cookie}"] if cookie else []
    command = ["wrk", "--threads", "1", "--connections", str(connections)]
    command += ["--duration", f"{seconds}s", "--latency", *headers, url]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors:
        raise RuntimeError(f"wrk failed or saw errors:\n{result.stdout}")
    latency = re.search(r"99%\s+(\S+)", result.stdout)
    return float(match.group(1)), latency.group(1) if latency else "?"


def measure(
    app: str, path: str, env: dict[str, str], args: argparse.Namespace, *, returning: bool = False
) -> tuple[float, str]:
    """Requests per second and p99 latency; ``returning``: the tablet sends its cookies."""
    port = free_port()
    server = gunicorn(app, port, env, args.workers)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        wait_until_up(url)
        cookie = first_visit_cookies(url) if returning else ""
        wrk(url, 2, args.connections, cookie)  # warm-up: caches, imports, connection pools
        return wrk(url, args.seconds, args.connections, cookie)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--path", default="/en/plan/priority-1")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "FLASK_APP": "participation",
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
        }
        for command in (["db", "upgrade"], ["load-plan", str(PLAN)]):
            subprocess.run(
                [str(BIN / "flask"), *command], env=env, cwd=ROOT, check=True, capture_output=True
            )
        hello_env = {**env, "PYTHONPATH": str(ROOT / "benchmarks")}
        hello_rps, hello_p99 = measure("hello_app:app", "/", hello_env, args)
        app = "participation:create_app()"
        page_rps, page_p99 = measure(app, args.path, env, args, returning=True)
        cold_rps, cold_p99 = measure(app, args.path, env, args)

    database = "SQLite" if not args.database_url else args.database_url
    print(
        f"gunicorn {args.workers} sync workers, wrk 1 thread x {args.connections} connections, "
        f"{args.seconds}s each, database {database}"
    )
    print(f"{'':<46} {'requests/s':>11} {'p99 latency':>12} {'ratio':>6}")
    rows = [
        ("bare Flask hello", hello_rps, hello_p99),
        (f"{args.path}, tablet with its cookies", page_rps, page_p99),
        (f"{args.path}, first visit (no cookies)", cold_rps, cold_p99),
    ]
    for label, rps, p99 in rows:
        print(f"{label:<46} {rps:>11.0f} {p99:>12} {rps / hello_rps:>6.2f}")
    ratio = page_rps / hello_rps
    print(f"ratio: {ratio:.2f} (target >= {TARGET_RATIO:.2f}, a tablet in use)")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

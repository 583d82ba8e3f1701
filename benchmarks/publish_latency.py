"""How long a publication from the plan editor takes to reach children on every worker.

    python benchmarks/publish_latency.py [--workers 4] [--runs 3]

Serves the app with gunicorn (several workers, SQLite), signs an organiser in and, while children
read a part on fresh connections every 20 ms (the requests spread over the workers, so each has
just checked the plan), changes the part's simple text and publishes. Prints, per run, the
seconds after the publish answer until the first child read the new words and until the last
read of the old ones. The design bound is PLAN_CACHE_SECONDS (5 s): each worker checks the
plan's revision at most that often (the publishing worker clears its own cache at once).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import harness
import httpx

PASSPHRASE = "a long passphrase for the benchmark"  # noqa: S105 - a throwaway local account


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, path
    return found.group(1)


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False)
    client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"),
                                      "email": "org@example.org", "passphrase": PASSPHRASE})
    return client


def publish_new_words(staff: httpx.Client) -> str:
    """Save a new simple text for "vision" in English and publish every language."""
    marker = f"Marker {uuid.uuid4().hex[:8]}"
    path = "/staff/plans/crc-2025-2029/edit/en/vision"
    page = staff.get(path).text
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    official = re.search(r'<textarea[^>]*name="official"[^>]*>\n?(.*?)</textarea>', page, re.S)
    data = {"csrf_token": csrf(staff, path), "title": "Our dream", "summary": "Our dream.",
            "simple": f"{marker}. We dream of a world where all children are safe.",
            "official": official.group(1) if official else "Official words.", "version": version,
            "ready": "y"}
    saved = staff.post(path, data=data)
    assert saved.status_code == 302, saved.status_code
    publish = "/staff/plans/crc-2025-2029/publish"
    done = staff.post(publish, data={"csrf_token": csrf(staff, publish),
                                     "locale": ["fr", "en", "es"]})
    assert done.status_code == 302, done.text[:2000]
    return marker


class Readers:
    """Children reading the part on fresh connections (any worker) every 20 ms, all along."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.reads: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with httpx.Client(base_url=self.base) as child:
                    self.reads.append((time.monotonic(), child.get("/en/plan/vision").text))
            except httpx.HTTPError:
                if self.stop.is_set():
                    return  # the server is stopping
                raise
            time.sleep(0.02)

    def measure(self, marker: str, published_at: float, streak: int = 40) -> tuple[float, float]:
        """Seconds after the publish answer until the first read showed the new words, and
        until the last read that did not; waits for ``streak`` new reads in a row."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            after = [(t, marker in text) for t, text in self.reads if t >= published_at]
            if len(after) >= streak and all(seen for _, seen in after[-streak:]):
                first = next(t for t, seen in after if seen)
                stale = [t for t, seen in after if not seen]
                return first - published_at, (stale[-1] - published_at) if stale else 0.0
            time.sleep(0.1)
        raise RuntimeError("the new words did not reach every worker within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = harness.app_env(f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                              STAFF_TOTP_REQUIRED="0", COOKIE_SECURE="0")
        harness.prepare_database(env)
        harness.flask(env, "create-user", "org@example.org", "--role", "organiser",
                      stdin=PASSPHRASE + "\n")
        with harness.gunicorn("participation:create_app()", env, workers=args.workers) as base:
            staff = sign_in(base)
            firsts, alls = [], []
            readers = Readers(base)
            for run in range(args.runs):
                time.sleep(1)
                asked = time.monotonic()
                marker = publish_new_words(staff)
                published_at = time.monotonic()
                print(f"run {run + 1}: saving and publishing took {published_at - asked:.2f} s")
                first, everyone = readers.measure(marker, published_at)
                firsts.append(first)
                alls.append(everyone)
                print(f"        first child read the new words {first:.2f} s later, "
                      f"the last old page after {everyone:.2f} s")
            print(f"{args.workers} workers, median: first {statistics.median(firsts):.2f} s, "
                  f"last old page {statistics.median(alls):.2f} s, worst {max(alls):.2f} s "
                  f"(bound: PLAN_CACHE_SECONDS)")
            readers.stop.set()
            readers.thread.join(timeout=5)


if __name__ == "__main__":
    main()

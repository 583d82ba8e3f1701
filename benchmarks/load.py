"""Simulated children against the app under gunicorn on PostgreSQL: is any idea lost or doubled?

Each child is an asyncio task with its own cookie jar, connections and (unless
``--same-address``) its own loopback source address (127.0.0.0/8 is all local on Linux, so
the app's per-address rate limit sees one address per child). A child:

1. with ``--classroom``, joins a classroom session first (GET /en/join, then POST /en/join
   with csrf_token and the code that ``flask classroom start`` printed; one session per 200
   children, the command's limit, started by a facilitator account the script creates);
2. visits the home page /en/ and a part page, as on a first visit;
3. sends ``--ideas`` ideas, each on a part page it opens (its form holds a new idempotency
   key; a part page that shows no form after 3 reloads is counted apart, not as an idea),
   each with a unique text: a child sentence and a random made-up word (no child identifier);
   a ``--double-tap`` share of sends are two identical POSTs sent at the same moment, before
   any answer (both answers reach the tablet's cookie jar in the order they arrive; the child
   sees the one that arrives last, as a browser shows its last navigation);
4. after a failure (no thank-you page) or a timeout, presses Send again up to 3 times, after
   ``--retry-pause`` seconds. ``--resend page`` (the default) is what a browser does: it sends
   the form on the page the child sees, so the words the server showed back and the
   idempotency key the server put in that form, or, after a timeout or a page without the
   form, the same form again. ``--resend same-key`` always sends the first form (same key);
5. at the end opens "my ideas" (/en/my-ideas).

Counted at the end (ideas are matched to database rows by their unique text):
- CONFIRMED: the child saw the thank-you page (a 302 to /en/ideas/<id>/sent, then that page 200);
- STORED: ideas with at least one row; DUPLICATED: ideas stored more than once;
- LOST: ideas neither stored nor shown back (the last answer did not show the child's words
  in the form's textarea); "words shown back": not stored, but the child has its words;
- wrong owner: stored, but not on that child's "my ideas" page;
- HTTP statuses and p50/p95/p99 latency per request kind (measured in this one process: the
  report also gives how late its event loop ran, which every latency includes).
The script exits 1 if any idea was duplicated or lost. For instance the app before commit
c9aa35e stored 117 of 147 double-tapped first sends twice (``--resend same-key``: none twice,
but 104 of 130 went to another child token, so "wrong owner").

Usage::

    .venv/bin/python benchmarks/load.py [--children 500] [--ideas 3] [--double-tap 0.3]
        [--workers 4] [--resend page|same-key] [--classroom] [--same-address]
        [--restart-db-at SECONDS] [--database-url postgresql://...] [--app-dir DIR]
        [--retries 3] [--retry-pause 1] [--timeout 15] [--ramp 5] [--think 0.5] [--seed N]

(``--ramp``: children start spread over this many seconds; ``--think``: mean pause between a
child's steps; ``--seed`` repeats a run's choices.) Needs httpx (``pip install -e '.[dev]'``).

``--app-dir`` serves another copy of the app, e.g. an older commit to compare with::

    mkdir /tmp/app-old && git archive COMMIT | tar -x -C /tmp/app-old
    .venv/bin/pybabel compile -d /tmp/app-old/translations
    .venv/bin/python benchmarks/load.py --app-dir /tmp/app-old

By default the database is a fresh PostgreSQL database ``bench_load`` on 127.0.0.1, created
(migrations, the demo plan) and dropped by the script; ``--database-url`` uses yours and
keeps it. The app runs with its own settings (rate limits on) under gunicorn with
``--workers`` sync workers. ``--restart-db-at 10`` restarts the machine's PostgreSQL server
10 s into the load (``pg_ctlcluster --skip-systemctl-redirect VERSION main restart``; every
database on it goes away for a moment) and waits until it answers again. ``--classroom``
needs the ``flask classroom start`` command and the /en/join page (it stops with a clear
message if they do not exist).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import random
import re
import secrets
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import harness
import httpx
from sentences import child_sentence, tag_word

LANG = "en"
FACILITATOR = "load-facilitator@bench.invalid"
PASSPHRASE = "a long passphrase for the load benchmark only"  # noqa: S105 - throwaway account
SENT_RE = re.compile(rf"/{LANG}/ideas/([0-9a-f]{{32}})/sent$")
PART_RE = re.compile(rf'href="/{LANG}/plan/([a-z0-9-]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
TEXTAREA_RE = re.compile(r"<textarea[^>]*name=\"body\"[^>]*>(.*?)</textarea>", re.DOTALL)
AGE_BANDS = ("8-10", "11-13", "14-17", "none", None)
CLASS_MAX = 200  # children per classroom session (`flask classroom start --expected`)


@dataclass
class Idea:
    """One idea a child means to send, and what became of it."""

    child: int
    text: str
    double_tap: bool
    first_send: bool
    confirmed: bool = False
    shown_back: bool = False  # the last answer showed the words back in the form
    sends: int = 0  # POST requests made for it (a double tap is two)


@dataclass
class Stats:
    """HTTP statuses and latencies per request kind."""

    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def record(self, kind: str, outcome: str, seconds: float | None) -> None:
        self.statuses[(kind, outcome)] += 1
        if seconds is not None:
            self.latencies.setdefault(kind, []).append(seconds * 1000)


@dataclass
class Answer:
    """What came back for one request: a response, or the name of the error."""

    response: httpx.Response | None
    error: str = ""
    arrived: float = 0.0

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""


class Tablet:
    """One child's browser: its own cookies and connections."""

    def __init__(self, client: httpx.AsyncClient, stats: Stats) -> None:
        self.client = client
        self.stats = stats
        self.cookies: dict[str, str] = {}

    async def request(
        self, kind: str, method: str, path: str, form: dict[str, str] | None = None,
        *, keep_cookies: bool = True,
    ) -> Answer:
        """Send one request with this tablet's cookies; record its status and latency."""
        headers = {"Cookie": harness.cookie_header([], self.cookies)} if self.cookies else {}
        if method == "POST":  # what a browser sends with a same-site form
            headers |= {"Origin": str(self.client.base_url).rstrip("/"),
                        "Sec-Fetch-Site": "same-origin"}
        start = time.perf_counter()
        try:
            response = await self.client.request(method, path, data=form, headers=headers)
        except httpx.TimeoutException:
            self.stats.record(kind, "timeout", None)
            return Answer(None, "timeout", time.perf_counter())
        except httpx.HTTPError as error:
            self.stats.record(kind, type(error).__name__, None)
            return Answer(None, type(error).__name__, time.perf_counter())
        finally:
            self.client.cookies.clear()  # this class keeps the cookies, not httpx
        elapsed = time.perf_counter() - start
        self.stats.record(kind, str(response.status_code), elapsed)
        if keep_cookies:
            self.take_cookies(response)
        return Answer(response, arrived=time.perf_counter())

    def take_cookies(self, response: httpx.Response) -> None:
        harness.cookie_header(response.headers.get_list("set-cookie"), self.cookies)


@dataclass(frozen=True)
class IdeaForm:
    """The fields of the idea form the child sees."""

    csrf: str
    key: str

    @classmethod
    def on(cls, page: str) -> IdeaForm | None:
        """The idea form of a page, if it has one."""
        start = page.find('class="idea-form"')
        if start < 0:
            return None
        csrf, key = CSRF_RE.search(page, start), KEY_RE.search(page, start)
        if csrf is None or key is None:
            return None
        return cls(html.unescape(csrf.group(1)), key.group(1))


def words_back(page: str, text: str) -> bool:
    """Does the page show the child's words back in the form's textarea?"""
    match = TEXTAREA_RE.search(page)
    return match is not None and html.unescape(match.group(1)).strip() == text


@dataclass
class Options:
    """The command line, typed."""

    children: int
    ideas: int
    double_tap: float
    workers: int
    resend: str
    retries: int
    retry_pause: float
    timeout: float
    ramp: float
    think: float
    same_address: bool
    classroom: bool
    app_dir: Path
    seed: int


class Child:
    """One simulated child: first visit, ideas (some double-tapped), resends, "my ideas"."""

    def __init__(self, number: int, tablet: Tablet, options: Options, parts: list[str],
                 rng: random.Random, texts: set[str]) -> None:
        self.number = number
        self.tablet = tablet
        self.options = options
        self.parts = parts
        self.rng = rng
        self.texts = texts
        self.ideas: list[Idea] = []
        self.no_form = 0
        self.my_ideas_page = ""

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2 * self.options.think))

    def new_text(self) -> str:
        while True:
            text = f"{child_sentence(self.rng)} {tag_word(self.rng)}!"
            if text not in self.texts:
                self.texts.add(text)
                return text

    async def join(self, code: str) -> None:
        """Join the classroom session with its code."""
        page = await self.tablet.request("join_page", "GET", f"/{LANG}/join")
        match = CSRF_RE.search(page.text)
        if match is None:
            return
        await self.think()
        await self.tablet.request(
            "join", "POST", f"/{LANG}/join",
            {"csrf_token": html.unescape(match.group(1)), "code": code},
        )

    async def run(self, code: str | None) -> None:
        if code is not None:
            await self.join(code)
        await self.tablet.request("home", "GET", f"/{LANG}/")
        await self.think()
        for number in range(self.options.ideas):
            # A part page (the first visit's, then back to a part): a fresh form and key.
            slug = self.rng.choice(self.parts)
            form = await self.open_form(slug)
            if form is None:
                self.no_form += 1  # the child never had a form to write in
                continue
            await self.think()
            idea = Idea(self.number, self.new_text(), self.rng.random() < self.options.double_tap,
                        first_send=number == 0)
            self.ideas.append(idea)
            await self.send(idea, slug, form)
        mine = await self.tablet.request("my_ideas", "GET", f"/{LANG}/my-ideas")
        self.my_ideas_page = html.unescape(mine.text)

    async def open_form(self, slug: str) -> IdeaForm | None:
        """Open a part page, reloading it up to ``retries`` times; its idea form."""
        for _ in range(1 + self.options.retries):
            page = await self.tablet.request("part", "GET", f"/{LANG}/plan/{slug}")
            form = IdeaForm.on(page.text)
            if form is not None:
                return form
            await asyncio.sleep(self.options.retry_pause)
        return None

    async def send(self, idea: Idea, slug: str, form: IdeaForm) -> None:
        """Send until the thank-you page shows, pressing Send again up to ``retries`` times."""
        age_band = self.rng.choice(AGE_BANDS)
        first = form
        for attempt in range(1 + self.options.retries):
            fields = {"csrf_token": form.csrf, "idempotency_key": form.key, "body": idea.text}
            if age_band:
                fields["age_band"] = age_band
            path = f"/{LANG}/plan/{slug}/ideas"
            if idea.double_tap and attempt == 0:
                answer = await self.double_tap(path, fields)
                idea.sends += 2
            else:
                answer = await self.tablet.request("idea", "POST", path, fields)
                idea.sends += 1
            if await self.confirmed(answer):
                idea.confirmed, idea.shown_back = True, False
                return
            idea.shown_back = words_back(answer.text, idea.text)
            shown = IdeaForm.on(answer.text)
            if self.options.resend == "page" and shown is not None and idea.shown_back:
                form = shown  # the form on the page the child sees now
            elif self.options.resend == "same-key":
                form = first
            await asyncio.sleep(self.options.retry_pause)

    async def double_tap(self, path: str, fields: dict[str, str]) -> Answer:
        """Two identical POSTs at the same moment; the child sees the answer that comes last."""
        answers = await asyncio.gather(
            self.tablet.request("idea", "POST", path, fields, keep_cookies=False),
            self.tablet.request("idea", "POST", path, fields, keep_cookies=False),
        )
        ordered = sorted(answers, key=lambda a: a.arrived)
        for answer in ordered:
            if answer.response is not None:
                self.tablet.take_cookies(answer.response)
        return ordered[-1]

    async def confirmed(self, answer: Answer) -> bool:
        """A 302 to the thank-you page, and that page answers 200."""
        response = answer.response
        if response is None or response.status_code != 302:
            return False
        location = response.headers.get("location", "")
        if not SENT_RE.search(location.split("?", 1)[0]):
            return False
        sent = await self.tablet.request("sent", "GET", urljoin(f"/{LANG}/", location))
        return sent.response is not None and sent.response.status_code == 200


def source_address(number: int, same: bool) -> str:
    """127.0.0.1 for everyone with ``same``; else one loopback address per child."""
    if same:
        return "127.0.0.1"
    return f"127.{1 + number // 62500}.{1 + number // 250 % 250}.{1 + number % 250}"


async def run_children(base: str, options: Options, codes: list[str], stats: Stats,
                       restart_at: float | None) -> tuple[list[Child], dict[str, Any]]:
    """Start every child (spread over ``ramp`` seconds) and wait for all of them."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as probe:
        home = await probe.get(f"/{LANG}/")
    parts = sorted(set(PART_RE.findall(home.text)))
    if not parts:
        raise RuntimeError(f"no parts linked from /{LANG}/")
    seed_rng = random.Random(options.seed)  # noqa: S311 - simulation, not security
    texts: set[str] = set()
    children: list[Child] = []
    clients: list[httpx.AsyncClient] = []
    info: dict[str, Any] = {}  # timings of the run and of the restart, for the report
    # Plain http only, but httpx builds a TLS context per transport (~25 ms each): share one.
    tls = ssl.create_default_context()

    async def one(child: Child, delay: float) -> None:
        await asyncio.sleep(delay)
        await child.run(codes[child.number % len(codes)] if codes else None)

    for number in range(options.children):
        transport = httpx.AsyncHTTPTransport(
            local_address=source_address(number, options.same_address), verify=tls
        )
        client = httpx.AsyncClient(base_url=base, transport=transport, timeout=options.timeout,
                                   follow_redirects=False)
        clients.append(client)
        rng = random.Random(seed_rng.getrandbits(64))  # noqa: S311 - simulation
        children.append(Child(number, Tablet(client, stats), options, parts, rng, texts))
    started = time.monotonic()
    tasks = [
        asyncio.create_task(one(child, options.ramp * child.number / max(1, options.children)))
        for child in children
    ]
    if restart_at is not None:
        tasks.append(asyncio.create_task(restart_postgres(restart_at, started, info)))
    lags: list[float] = []
    monitor = asyncio.create_task(loop_lag(lags))
    try:
        await asyncio.gather(*tasks)
    finally:
        monitor.cancel()
        for client in clients:
            await client.aclose()
    info["load_seconds"] = time.monotonic() - started
    info["lags"] = lags
    return children, info


async def loop_lag(lags: list[float]) -> None:
    """How late this process's event loop wakes up (ms): the share of every latency that the
    simulated children, not the server, cost when the machine is busy."""
    while True:
        start = time.perf_counter()
        await asyncio.sleep(0.1)
        lags.append((time.perf_counter() - start - 0.1) * 1000)


def postgres_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    if len(versions) != 1:
        raise RuntimeError(f"expected one PostgreSQL version in /etc/postgresql, got {versions}")
    return versions[0]


def postgres_answers(timeout: float) -> bool:
    """Wait until the local PostgreSQL server accepts a connection again."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(harness.PG_SERVER_URL + "/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            time.sleep(0.5)
    return False


def ensure_postgres_running() -> None:
    """Start the shared server if a restart left it down (it serves everyone here)."""
    if postgres_answers(30):
        return
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main",
                    "start"], check=False)
    if not postgres_answers(60):
        raise RuntimeError("PostgreSQL did not come back: start it with pg_ctlcluster")


async def restart_postgres(at: float, started: float, info: dict[str, Any]) -> None:
    """Restart the machine's PostgreSQL ``at`` seconds into the load; wait until it is back."""
    await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
    info["restart_at"] = time.monotonic() - started
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main",
               "restart"]
    result = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
    info["restart_exit"] = result.returncode
    info["restart_output"] = (result.stdout + result.stderr).strip()
    info["back"] = await asyncio.to_thread(postgres_answers, 60)
    info["back_after"] = time.monotonic() - started - info["restart_at"]


def start_classrooms(env: dict[str, str], children: int) -> list[str]:
    """Create a facilitator and open classroom sessions of at most ``CLASS_MAX`` children
    (the command's limit); their codes, child ``n`` joins ``codes[n % len(codes)]``."""
    try:
        harness.flask(env, "classroom", "start", "--help")
    except RuntimeError as error:
        raise SystemExit(
            "--classroom needs the `flask classroom start` command, which this app does not "
            f"have yet:\n{error}"
        ) from error
    harness.flask({**env, "STAFF_TOTP_REQUIRED": "0"}, "create-user", FACILITATOR,
                  "--role", "facilitator", "--if-missing", stdin=PASSPHRASE + "\n")
    classes = -(-children // CLASS_MAX)
    codes = []
    for number in range(classes):
        size = len(range(number, children, classes))
        out = harness.flask(env, "classroom", "start", "--name", f"Load test {number + 1}",
                            "--expected", str(size), "--minutes", "60", "--locale", LANG,
                            "--by", FACILITATOR)
        lines = out.strip().splitlines()
        words = re.findall(r"[A-Za-z0-9-]{4,12}", lines[-1] if lines else "")
        if not words:
            raise SystemExit(f"could not read a classroom code in the command's output:\n{out}")
        codes.append(str(words[-1]))
    return codes


def stored_rows(database_url: str, texts: set[str]) -> Counter[str]:
    """How many rows hold each of this run's texts."""
    from sqlalchemy import create_engine, text

    engine = create_engine(harness.sqlalchemy_url(database_url))
    with engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM submissions WHERE body IS NOT NULL"))
        counts = Counter(body for (body,) in bodies if body in texts)
    engine.dispose()
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(children: list[Child], rows: Counter[str], stats: Stats, options: Options,
           info: dict[str, Any]) -> int:
    """Print the counts; 1 if an idea was duplicated or lost."""
    ideas = [idea for child in children for idea in child.ideas]
    pages = {child.number: child.my_ideas_page for child in children}
    stored = [i for i in ideas if rows[i.text] >= 1]
    duplicated = [i for i in ideas if rows[i.text] > 1]
    not_stored = [i for i in ideas if rows[i.text] == 0]
    lost = [i for i in not_stored if not i.shown_back]
    wrong_owner = [i for i in stored if i.text not in pages[i.child]]
    taps = [i for i in ideas if i.double_tap]
    first_taps = [i for i in taps if i.first_send]
    print(f"app: {harness.app_version(options.app_dir)}")
    print(f"{options.children} children x {options.ideas} ideas,"
          f" double taps {options.double_tap:.0%}, gunicorn {options.workers} workers,"
          f" resend {options.resend} (up to {options.retries}"
          f" times, {options.retry_pause:g} s apart), timeout {options.timeout:g} s,"
          f" {'one address' if options.same_address else 'one address per child'}"
          f"{', in classroom sessions' if options.classroom else ''}")
    print(f"load took {info.get('load_seconds', 0):.1f} s; load average"
          f" {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    lags = info.get("lags") or [0.0]
    print(f"client event loop late by p50 {statistics.median(lags):.0f} ms, p99"
          f" {percentile(lags, 0.99):.0f} ms, max {max(lags):.0f} ms (included in latencies)")
    if "restart_at" in info:
        print(f"PostgreSQL restarted at {info['restart_at']:.1f} s (exit"
              f" {info['restart_exit']}), answering again: {info['back']}"
              f" ({info['back_after']:.1f} s after the restart began)")
    print()
    lines = [
        ("part pages that never showed a form", sum(child.no_form for child in children)),
        ("intended ideas", len(ideas)),
        ("  double-tapped (first sends)", f"{len(taps)} ({len(first_taps)})"),
        ("CONFIRMED (thank-you page seen)", sum(i.confirmed for i in ideas)),
        ("STORED (at least one row)", len(stored)),
        ("  rows in the database for them", sum(rows[i.text] for i in ideas)),
        ("DUPLICATED (stored more than once)", len(duplicated)),
        ("  of double-tapped first sends", sum(rows[i.text] > 1 for i in first_taps)),
        ("  of double-tapped later sends",
         sum(rows[i.text] > 1 for i in taps if not i.first_send)),
        ("  of sends without a double tap",
         sum(rows[i.text] > 1 for i in ideas if not i.double_tap)),
        ("LOST (neither stored nor shown back)", len(lost)),
        ("  confirmed but not stored", sum(i.confirmed for i in not_stored)),
        ("words shown back (not stored)", sum(i.shown_back for i in not_stored)),
        ("stored but not confirmed", sum(not i.confirmed for i in stored)),
        ("wrong owner (not in that child's my ideas)", len(wrong_owner)),
        ("  of double-tapped first sends",
         sum(i.text not in pages[i.child] and rows[i.text] > 0 for i in first_taps)),
        ("POST requests sent", sum(i.sends for i in ideas)),
    ]
    for label, value in lines:
        print(f"{label:<44} {value:>8}")
    print("\nHTTP statuses per request kind")
    kinds = sorted({kind for kind, _ in stats.statuses})
    for kind in kinds:
        counts = ", ".join(f"{outcome}: {n}" for (k, outcome), n in sorted(stats.statuses.items())
                           if k == kind)
        print(f"  {kind:<10} {counts}")
    print(f"\n{'latency ms':<12} {'count':>7} {'p50':>8} {'p95':>8} {'p99':>8}")
    for kind in kinds:
        values = stats.latencies.get(kind, [])
        if values:
            print(f"{kind:<12} {len(values):>7} {statistics.median(values):>8.1f}"
                  f" {percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f}")
    failed = []
    if duplicated:
        failed.append(f"{len(duplicated)} ideas duplicated")
    if lost:
        failed.append(f"{len(lost)} ideas lost")
    if failed:
        print("\nFAILED: " + "; ".join(failed))
        return 1
    print("\nNo idea duplicated or lost.")
    return 0


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """The given database, or a fresh bench_load database dropped afterwards."""
    if url:
        yield url
        return
    fresh = harness.fresh_postgres_database("bench_load")
    try:
        yield fresh
    finally:
        ensure_postgres_running()
        harness.drop_postgres_database("bench_load")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--children", type=int, default=500)
    parser.add_argument("--ideas", type=int, default=3, help="ideas per child")
    parser.add_argument("--double-tap", type=float, default=0.3, help="share of double taps")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--resend", choices=("page", "same-key"), default="page")
    parser.add_argument("--retries", type=int, default=3, help="Send pressed again at most")
    parser.add_argument("--retry-pause", type=float, default=1.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=15.0, help="per request, seconds")
    parser.add_argument("--ramp", type=float, default=5.0, help="children start over this")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between steps")
    parser.add_argument("--classroom", action="store_true", help="join a classroom first")
    parser.add_argument("--same-address", action="store_true", help="all from 127.0.0.1")
    parser.add_argument("--restart-db-at", type=float, default=None, metavar="SECONDS",
                        help="restart the machine's PostgreSQL server this far into the load")
    parser.add_argument("--app-dir", type=Path, default=harness.ROOT,
                        help="serve the app from this copy of the repository, e.g. the last"
                        " commit: git archive HEAD | tar -x -C DIR (default: this work tree)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (default: a fresh bench_load, dropped afterwards)")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run's choices")
    args = parser.parse_args()
    harness.exit_cleanly_on_sigterm()
    options = Options(
        children=args.children, ideas=args.ideas, double_tap=args.double_tap,
        workers=args.workers, resend=args.resend, retries=args.retries,
        retry_pause=args.retry_pause, timeout=args.timeout, ramp=args.ramp, think=args.think,
        same_address=args.same_address, classroom=args.classroom, app_dir=args.app_dir,
        seed=args.seed if args.seed is not None else secrets.randbits(32),
    )
    print(f"seed {options.seed}", flush=True)
    try:
        with database(args.database_url) as url:
            env = harness.app_env(url, args.app_dir.resolve())
            harness.prepare_database(env)
            codes = start_classrooms(env, options.children) if args.classroom else []
            stats = Stats()
            with harness.gunicorn("participation:create_app()", env, workers=options.workers,
                                  check_path=f"/{LANG}/") as base:
                children, info = asyncio.run(
                    run_children(base, options, codes, stats, args.restart_db_at)
                )
            if args.restart_db_at is not None:
                ensure_postgres_running()
            texts = {idea.text for child in children for idea in child.ideas}
            rows = stored_rows(url, texts)
            return report(children, rows, stats, options, info)
    finally:
        if args.restart_db_at is not None:
            ensure_postgres_running()


if __name__ == "__main__":
    sys.exit(main())

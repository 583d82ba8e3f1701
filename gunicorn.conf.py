"""Gunicorn settings for this app; gunicorn reads this file from the working directory.

Command-line flags still win (tests and benchmarks pass their own --bind and --workers).
"""

import os

# Every database wait is bounded well below this (participation/db.py): a locked table or a
# frozen server gives a kind 503 page, never a killed worker.
timeout = 30
# X-Forwarded-Proto and friends are believed only from the proxies named in TRUSTED_PROXIES
# (the app applies the same list to X-Forwarded-For; see participation/proxies.py).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
# Never take SCRIPT_NAME or PATH_INFO from request headers: the URL prefix comes from the
# APPLICATION_ROOT setting only (a forged prefix once poisoned every cached page).
forwarder_headers = ""
# No access log: children's addresses and browsers are not written anywhere.
accesslog = None


def on_starting(server):  # type: ignore[no-untyped-def]
    """Warn when several workers would each count rate limits on their own."""
    workers = server.cfg.workers
    if workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "%d workers and no REDIS_URL: each worker counts rate limits in its own memory, so "
            "a child or a classroom may send up to %d times the configured limits. Set "
            "REDIS_URL=redis://host:6379/0 to share the counters.", workers, workers)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Compile the screening rules before this worker takes its first request."""
    from participation.config import SUPPORTED_LOCALES
    from participation.screening import warm_up

    warm_up(SUPPORTED_LOCALES)

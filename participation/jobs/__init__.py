"""Jobs: slow work (e-mail alerts, re-alerts, retention) runs outside children's requests.

Work is written to an outbox table in the same transaction as the change that needs it, so a
crash between the two loses nothing; a Huey consumer (`flask jobs worker`) delivers it. Other
domains call ``services.enqueue`` and register handlers and periodic work with ``queue``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Build the app's queue from JOBS_URL (nothing connects yet) and add `flask jobs`."""
    from participation.jobs import services
    from participation.jobs.cli import jobs_cli
    from participation.jobs.queue import JobQueue, crontab, register_periodic

    # Tests keep the queue in memory unless they name one; everyone else gets SQLite in
    # instance/ (no extra service) or the store JOBS_URL names.
    url = app.config["JOBS_URL"] or ("memory://" if app.config["TESTING"] else "")
    app.extensions["jobs"] = JobQueue(app, url, Path(app.instance_path) / "jobs.sqlite3",
                                      services.dispatch_due)
    # Nudges make dispatch prompt; this makes it certain (a lost nudge waits a minute at most).
    register_periodic(app, "jobs.dispatch_every_minute", crontab(minute="*"),
                      services.dispatch_due)
    register_periodic(app, "jobs.prune_done", crontab(hour="4", minute="40"),
                      services.prune_done_messages)
    app.cli.add_command(jobs_cli)

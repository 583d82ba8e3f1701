"""`flask jobs worker | run-due | status`: the worker, one dispatch (cron), the outbox counts."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from participation.jobs.queue import job_queue
from participation.jobs.services import count_messages, dispatch_due

jobs_cli = AppGroup("jobs", help="The job worker and the outbox of slow work.")

# An idle worker looks for a nudge this often at most (SQLite has no blocking read).
WORKER_POLL_SECONDS = 1.0


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default JOBS_WORKERS).")
@click.option("--periodic/--no-periodic", default=True,
              help="Run the periodic tasks (one worker per deployment should).")
@click.option("--quiet", is_flag=True, help="Log warnings and errors only.")
def worker_command(workers: int | None, periodic: bool, quiet: bool) -> None:
    """Run the job worker: outbox dispatch and periodic work, until Ctrl-C or SIGTERM."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = job_queue()
    queue.prepare_store()
    consumer = queue.huey.create_consumer(
        workers=workers or current_app.config["JOBS_WORKERS"], worker_type="thread",
        periodic=periodic, max_delay=WORKER_POLL_SECONDS, check_worker_health=True,
    )
    consumer.run()


@jobs_cli.command("run-due")
def run_due_command() -> None:
    """Dispatch the outbox messages that are due, once (for cron, or to look into a problem)."""
    report = dispatch_due()
    click.echo(f"done {report.done}, to retry {report.retried}, given up {report.failed}, "
               f"held for grouping {report.held}")


@jobs_cli.command("status")
def status_command() -> None:
    """Count outbox messages: waiting (of which retrying), given up, done."""
    counts = count_messages()
    click.echo(f"waiting {counts.waiting} (retrying {counts.retrying}), failed {counts.failed}, "
               f"done {counts.done}")

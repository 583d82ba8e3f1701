"""participation: children read an organisation's plan in simple words and take part in it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.routing import BaseConverter, ValidationError

from participation import auth, errors, i18n, jobs, security, templating
from participation.config import load_settings
from participation.db import end_request_budget, start_request_budget
from participation.extensions import babel, csrf, db, limiter, migrate
from participation.plans.queries import PlanCache
from participation.proxies import TrustedProxies
from participation.screening import hosts as screening_hosts


class LocaleConverter(BaseConverter):
    """URL segment that only matches a locale this deployment offers (anything else is a 404)."""

    regex = "[a-z]{2}"

    def to_python(self, value: str) -> str:
        if value not in current_app.config["LANGUAGES"]:
            raise ValidationError()
        return value


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass their own database)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    settings = load_settings(app.instance_path, config)
    app.config.from_mapping(settings.as_flask_config())
    app.url_map.converters["locale"] = LocaleConverter
    app.url_map.strict_slashes = True

    _import_models()
    db.init_app(app)
    app.before_request(start_request_budget)
    app.teardown_request(end_request_budget)
    migrate.init_app(app, db, directory=_migrations_dir())
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    app.extensions["plan_cache"] = PlanCache()
    # Renderers of extra panels under a part of the plan: (PlanView, SectionView) -> Markup.
    app.extensions["part_panels"] = []
    jobs.init_app(app)  # before the domains that register job handlers and periodic work
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    screening_hosts.init_app(app)
    templating.init_app(app)
    auth.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    _schedule_retention(app)
    _quiet_access_log()
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, script_root=app.config["APPLICATION_ROOT"],
        trusted=app.config["TRUSTED_PROXIES"],
    )
    return app


def _import_models() -> None:
    """Every domain's tables in the metadata, whichever blueprints a test or command uses."""
    import participation.accounts.models
    import participation.answers.models
    import participation.audit.models
    import participation.classrooms.models
    import participation.committees.models
    import participation.feedback.models
    import participation.jobs.models
    import participation.moderation.models
    import participation.plans.models
    import participation.reports.models
    import participation.screening.models  # noqa: F401


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")


def _register_blueprints(app: Flask) -> None:
    from participation.accounts.admin import init_app as init_admin
    from participation.accounts.views import init_app as init_accounts
    from participation.answers.public import init_app as init_answers_public
    from participation.answers.views import init_app as init_answers
    from participation.classrooms.views import init_app as init_classrooms
    from participation.committees.setup import init_app as init_committees
    from participation.feedback.views import init_app as init_feedback
    from participation.moderation.views import init_app as init_moderation
    from participation.plans.editor_views import init_app as init_plan_editor
    from participation.plans.staff import init_app as init_plan_staff
    from participation.plans.views import bp as plans_bp
    from participation.reports.chart_views import init_app as init_report_charts
    from participation.reports.export_views import init_app as init_report_exports
    from participation.reports.reading_views import init_app as init_report_reading
    from participation.reports.views import init_app as init_reports
    from participation.staff.views import init_app as init_staff_home

    app.register_blueprint(plans_bp)
    init_feedback(app)
    init_accounts(app)
    init_moderation(app)
    init_admin(app)
    init_plan_staff(app)
    init_plan_editor(app)
    init_classrooms(app)
    init_committees(app)
    init_answers(app)
    init_answers_public(app)
    init_reports(app)
    init_report_charts(app)
    init_report_reading(app)
    init_report_exports(app)
    init_staff_home(app)


def _register_cli(app: Flask) -> None:
    from participation.accounts.cli import commands as account_commands
    from participation.classrooms.cli import commands as classroom_commands
    from participation.demo.cli import commands as demo_commands
    from participation.feedback.cli import commands as feedback_commands
    from participation.plans.cli import commands as plan_commands
    from participation.screening.cli import commands as screening_commands

    for command in (*plan_commands, *screening_commands, *feedback_commands, *account_commands,
                    *classroom_commands, *demo_commands):
        app.cli.add_command(command)


def _schedule_retention(app: Flask) -> None:
    """The job worker deletes expired idea texts daily (`flask purge-feedback` does it too)."""
    from participation.feedback.services import purge_expired_texts
    from participation.jobs.queue import crontab, register_periodic

    def purge_feedback_texts() -> None:
        count = purge_expired_texts(current_app.config["FEEDBACK_RETENTION_DAYS"])
        db.session.commit()
        app.logger.info("Retention: deleted the text of %s idea(s)", count)

    register_periodic(app, "feedback.purge_expired_texts", crontab(hour="3", minute="20"),
                      purge_feedback_texts)


def _quiet_access_log() -> None:
    """No client addresses or user agents in our logs (children's privacy)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

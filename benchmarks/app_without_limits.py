"""The app with its rate limits off, for wrk sending every idea from one tablet and address.

The settings do not read RATELIMIT_ENABLED from the environment (yet), so this gunicorn
entry point passes it as an override: ``gunicorn --pythonpath benchmarks app_without_limits:app``.
"""

from participation import create_app

app = create_app({"RATELIMIT_ENABLED": False})

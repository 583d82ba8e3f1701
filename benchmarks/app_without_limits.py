"""The app with its rate limits off, for wrk sending every idea from one tablet and address.

``gunicorn --no-control-socket --pythonpath benchmarks app_without_limits:app``. An override
rather than the RATELIMIT_ENABLED environment variable, which older commits (measured with
``--app-dir``) do not read.
"""

from participation import create_app

app = create_app({"RATELIMIT_ENABLED": False})

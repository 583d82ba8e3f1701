"""Jobs: slow work (e-mail alerts, re-alerts, retention) runs outside children's requests.

Work is written to an outbox table in the same transaction as the change that needs it, so a
crash between the two loses nothing; a Huey consumer delivers it.
"""

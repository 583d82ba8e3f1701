"""The demo: clearly fictional children's ideas so a fresh install shows the whole loop.

Only `make run` (the local demo) calls `flask seed-demo`; nothing here runs in production.
"""

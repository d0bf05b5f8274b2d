"""How Hatch serves HTTP in production: gunicorn with sync workers.

One place for the server's settings, used by the Dockerfile, docker-compose.yaml and the
benchmark (bench/): ``gunicorn -c gunicorn.conf.py``. Each setting can be changed from the
environment without editing this file.

Sync workers, not an ASGI server: every view is synchronous, and under ASGI Django runs
each one in a thread handed over from the event loop, which measured 25-30 % slower. A sync
worker serves one request at a time and holds one database connection from its pool
(DB_POOL_MAX_SIZE bounds it; the pool keeps 2 open), so the connections Hatch holds are
``workers x 2`` whatever the load: requests beyond the workers wait in the listen backlog,
not in PostgreSQL. The inbox's websocket (/ws/) needs an ASGI server: run
``daphne hatch.asgi:application`` beside this one and route /ws/ to it (see the README).
"""

import multiprocessing
import os

wsgi_app = "hatch.wsgi:application"
bind = os.environ.get("BIND", "0.0.0.0:8000")
# Two per core: while one worker waits on PostgreSQL, the other uses the core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# A request that takes longer than this is killed and its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Requests waiting for a free worker; beyond it the kernel refuses connections.
backlog = 2048
# Access lines cost a write per request; the proxy in front logs them. "-" to turn them on.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

#!/bin/sh
# Hatch's production HTTP server: migrate, then gunicorn with gunicorn.conf.py (sync workers).
# The Dockerfile and docker-compose.yaml run this; the benchmark (bench/) runs the same
# gunicorn.conf.py. WEB_CONCURRENCY sets the number of workers (default: 2 per core).
set -eu
cd "$(dirname "$0")/.."
python manage.py migrate --no-input
exec gunicorn -c gunicorn.conf.py "$@"

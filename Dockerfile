FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings, not the real secrets, database or providers: give it
# throwaway values (outside development the settings refuse to start without a provider).
RUN DEBUG=false SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.sqlite3 \
    SMS_PROVIDER=console EMAIL_PROVIDER=console \
    python manage.py collectstatic --no-input

RUN useradd --system --uid 10001 hatch
# Stored files (MEDIA_ROOT); docker-compose.yaml mounts a volume here, which takes this
# folder's owner, so that Hatch may write to it.
RUN mkdir -p /app/var/media && chown hatch:hatch /app/var/media
USER hatch
EXPOSE 8000
# HTTP: migrate, then gunicorn with sync workers (gunicorn.conf.py; WEB_CONCURRENCY workers).
# The inbox's websocket needs an ASGI server: docker-compose.yaml runs this image a second
# time as "realtime" with daphne, and its proxy routes /ws/ there.
CMD ["scripts/serve.sh"]

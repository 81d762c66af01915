# Production image: gunicorn (web), celery worker and beat run from the same image.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=rollout.settings.production TUTTI_VAR_DIR=/var/lib/tutti

# WeasyPrint's libraries and fonts; Node only to install the front-end packages from npm.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# collectstatic needs production settings, which refuse a short key: a throw-away random one.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        python manage.py collectstatic --noinput \
    && useradd --system --home /var/lib/tutti tutti && mkdir -p /var/lib/tutti && chown tutti /var/lib/tutti
USER tutti
EXPOSE 8000
CMD ["gunicorn", "rollout.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

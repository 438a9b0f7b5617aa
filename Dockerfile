# wirewatch run as a non-root user; the database lives in /data, a volume (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# The dependencies first, in a layer of their own: read from pyproject.toml alone, so that a change to the
# code rebuilds only the small layer below.
COPY pyproject.toml ./
RUN pip install --upgrade pip \
    && python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(d['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY README.md ./
COPY bot ./bot
RUN pip install --no-deps . && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wirewatch \
    && mkdir -p /data /app/config && chown wirewatch /data
COPY config ./config
USER wirewatch
VOLUME ["/data"]
EXPOSE 9464
# /healthz of `run --metrics` (bot/health.py): 200 when the scheduler, the database and the chats are well
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=8)"]
ENTRYPOINT ["wirewatch"]
CMD ["run", "--config", "/app/config/wirewatch.yaml", "--database", "/data/wirewatch.db", "--metrics", "127.0.0.1:9464"]

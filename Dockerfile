# wirewatch run as a non-root user; the database lives in /data, a volume (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --upgrade pip && pip install . && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wirewatch \
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

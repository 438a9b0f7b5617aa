FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .
COPY config ./config
RUN useradd --create-home wirewatch && mkdir -p /app/config/data && chown -R wirewatch /app/config/data
USER wirewatch
ENTRYPOINT ["wirewatch"]
CMD ["run", "--config", "/app/config/wirewatch.yaml"]

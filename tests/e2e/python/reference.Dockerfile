# Hand-written reference for the e2e `python` case: what an expert writes
# without imgspec. Multi-stage, apt and pip caches mounted, the venv built
# in a builder stage, sources copied into the runner last.
FROM python:3.11-slim-bookworm AS builder
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
    && pip install --disable-pip-version-check -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && useradd --no-log-init --no-create-home --uid 10001 --user-group app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY src/ ./src/
# The same build step as the spec: bytecode compiled ahead of time.
RUN python -m compileall -q src
USER 10001:10001
CMD ["gunicorn", "--bind", "0.0.0.0:18081", "--workers", "1", "--chdir", "src", "greeter.wsgi:app"]

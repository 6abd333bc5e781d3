# Hand-written reference for the e2e `pip-extra` case: what an expert writes
# without imgspec. Multi-stage, apt and pip caches mounted; uWSGI compiled
# beside the requirements in the builder, against the base's libpython,
# which the runner has too; sources copied into the runner last.
FROM python:3.11-slim-bookworm AS builder
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
    && pip install --disable-pip-version-check -r /tmp/requirements.txt uwsgi==2.0.31

FROM python:3.11-slim-bookworm
RUN useradd --no-log-init --no-create-home --uid 10001 --user-group app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY src/ ./src/
# The same build step as the spec: bytecode compiled ahead of time.
RUN python -m compileall -q src
USER 10001:10001
CMD ["uwsgi", "--strict", "--master", "--die-on-term", "--need-app", "--processes", "1", "--http-socket", "0.0.0.0:18092", "--pythonpath", "src", "--module", "greeter_extra.wsgi:app"]

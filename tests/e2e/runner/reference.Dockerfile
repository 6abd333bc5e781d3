# Hand-written reference for the e2e `runner` case: the venv built in a
# builder stage with pip's cache mounted, tini's static build taken from
# Debian's package in a stage of its own, the user created in Debian's
# `staff` group (no groupadd), the data directory made and owned before it
# becomes a volume, the sources copied last.
FROM python:3.11-slim-bookworm AS builder
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
    && pip install --disable-pip-version-check -r /tmp/requirements.txt

FROM debian:bookworm-slim AS tini
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1*

FROM python:3.11-slim-bookworm
RUN useradd --no-log-init --no-create-home --uid 10001 --gid 50 --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 50 /app/data \
    && ln -s /app/data /srv/data \
    && echo 'greeting-source = setup' > /etc/greeter.conf
COPY --from=tini /usr/bin/tini-static /usr/local/bin/tini
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY src/ ./src/
ARG GIT_SHA=unknown
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    APP_REVISION=$GIT_SHA GREETER_DATA=/srv/data
VOLUME ["/app/data"]
USER 10001:50
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18090/healthz')"]
ENTRYPOINT ["/usr/local/bin/tini", "--"]
CMD ["python", "/app/src/greeter_runner/server.py"]

# Hand-written reference for the e2e `poetry` case: Poetry in the builder
# only, the main group and the extra `pretty` installed into a venv, the
# sources copied into the runner after the venv.
FROM python:3.11-slim-bookworm AS builder
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --disable-pip-version-check poetry==2.5.1
ENV POETRY_VIRTUALENVS_IN_PROJECT=1 POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR=/root/.cache/pypoetry
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry \
    poetry install --only main --extras pretty --no-root

FROM python:3.11-slim-bookworm
RUN useradd --no-log-init --no-create-home --uid 10001 --user-group app
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY src/ ./src/
# The same build step as the spec: bytecode compiled ahead of time.
RUN python -m compileall -q src
USER 10001:10001
CMD ["gunicorn", "--bind", "0.0.0.0:18086", "--workers", "1", "--chdir", "src", "greeter_poetry.wsgi:app"]

# Hand-written reference for the e2e `uv` case, after uv's own Docker
# guide: dependencies synced from bind-mounted manifests, then the project,
# not editable, and the runner given the whole venv.
FROM python:3.11-slim-bookworm AS builder
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --disable-pip-version-check uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never UV_NATIVE_TLS=1
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project
COPY pyproject.toml uv.lock ./
COPY src/ ./src/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable --reinstall-package greeter-uv

FROM python:3.11-slim-bookworm
RUN useradd --no-log-init --no-create-home --uid 10001 --user-group app
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
CMD ["gunicorn", "--bind", "0.0.0.0:18085", "--workers", "1", "greeter_uv.wsgi:app"]

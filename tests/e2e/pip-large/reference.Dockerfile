# Hand-written reference for the e2e `pip-large` case: the venv built in a
# builder stage with pip's cache mounted, the sources copied last.
FROM python:3.11-slim-bookworm AS builder
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
    && pip install --disable-pip-version-check -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
RUN useradd --no-log-init --no-create-home --uid 10001 --user-group app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY src/ ./src/
USER 10001:10001
CMD ["gunicorn", "--bind", "0.0.0.0:18088", "--workers", "1", "--chdir", "src", "greeter_large.wsgi:app"]

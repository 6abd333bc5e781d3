"""A minimal WSGI application: /healthz answers ok, / reports the libpq version."""

import psycopg2


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        body = f"api: libpq {psycopg2.__libpq_version__}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

"""The e2e python service: / says who answers, with the libpq it linked."""

import os

import psycopg2

GREETING = "hello from python"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        body = (
            f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
            f" libpq={psycopg2.__libpq_version__}\n"
        ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

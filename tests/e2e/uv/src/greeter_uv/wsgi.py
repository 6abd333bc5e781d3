"""The e2e uv service: / says who answers and where it was installed."""

import os

import humanize

GREETING = "hello from uv"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        # humanize comes from the lock; __file__ shows that the project runs
        # from the venv (installed, not editable), not from /app/src.
        body = (
            f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
            f" size={humanize.naturalsize(1234567)} module={__file__}\n"
        ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

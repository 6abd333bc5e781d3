"""The e2e pip-extra service: / says who answers, and that uWSGI serves it
with Python embedded from libpython's shared library."""

import os

import humanize
import uwsgi  # only importable inside uWSGI

GREETING = "hello from pip-extra"


def libpython():
    """The libpython this process mapped (uWSGI links it dynamically)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "/libpython3" in path:
                return path
    return "none"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        body = (
            f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
            f" server=uWSGI/{uwsgi.version.decode()} libpython={libpython()}"
            f" size={humanize.naturalsize(1234567)}\n"
        ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

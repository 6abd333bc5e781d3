"""The e2e poetry service: / says who answers, with idna from the lock's
main group and humanize from its extra `pretty`."""

import os

import humanize
import idna

GREETING = "hello from poetry"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        # idna and humanize come from poetry.lock, installed into /opt/venv.
        body = (
            f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
            f" idna={idna.encode('bücher.example').decode()} from={idna.__file__}"
            f" size={humanize.naturalsize(1234567)} extra-from={humanize.__file__}\n"
        ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

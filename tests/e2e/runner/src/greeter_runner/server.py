"""The e2e runner service: a plain standard-library HTTP server.

/        writes a line to the data volume through the setup's symlink, reads
         it back from the volume itself, and says who answers, what it read,
         what the setup left and which revision it was built from.
/spawn   starts a child that backgrounds a short sleep and exits at once:
         the sleep is orphaned, and only PID 1 can reap it. This server
         never waits for children.
/healthz ok
"""

import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import idna

GREETING = "hello from runner"
PORT = 18090
VOLUME = "/app/data"


def spawn_orphan(seconds):
    """Starts `sleep seconds` as an orphan and returns its pid."""
    shell = subprocess.run(
        ["sh", "-c", f"sleep {seconds} >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(shell.stdout.strip())


def visit(note):
    # Written through the symlink the setup made, read back from the volume.
    with open(os.path.join(os.environ["GREETER_DATA"], "visits.log"), "a") as f:
        f.write(f"{note}\n")
    path = os.path.join(VOLUME, "visits.log")
    with open(path) as f:
        lines = f.read().splitlines()
    st = os.stat(path)
    return f"visits={len(lines)} read={lines[-1]} owner={st.st_uid}:{st.st_gid}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/healthz":
            body = "ok\n"
        elif url.path == "/spawn":
            body = f"orphan={spawn_orphan(2)}\n"
        else:
            note = parse_qs(url.query).get("note", [f"visit-{time.time_ns()}"])[0]
            with open("/etc/greeter.conf") as f:
                conf = f.read().strip().replace(" ", "")
            body = (
                f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
                f" revision={os.environ.get('APP_REVISION', '')}"
                f" {visit(note)} setup={conf}"
                f" link={os.path.realpath(os.environ['GREETER_DATA'])}"
                f" idna={idna.encode('bücher.example').decode()}\n"
            )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()

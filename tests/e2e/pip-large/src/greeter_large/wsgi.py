"""The e2e pip-large service: / says who answers, computed with pandas."""

import os

import pandas as pd
import pyarrow as pa

GREETING = "hello from pip-large"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        total = int(pd.Series([1, 2, 3]).sum())
        body = (
            f"{GREETING}; uid={os.getuid()} gid={os.getgid()}"
            f" pandas={pd.__version__} arrow={pa.__version__} sum={total}\n"
        ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

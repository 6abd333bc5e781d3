"""Search: a WSGI app answering /healthz."""


def app(environ, start_response):
    body = b"ok\n" if environ.get("PATH_INFO") == "/healthz" else b"search\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]

#!/usr/bin/env python3
"""registry.py - the token server of the engine's local registry, and the few registry
operations scripts/engine.sh needs (Python 3 standard library and the openssl CLI only).

    registry.py serve-token --listen HOST:PORT --cert PEM --key PEM --signing-key PEM
                            --issuer NAME --service NAME --user U --password P
    registry.py digest   REPO:TAG     print the tag's manifest digest (exit 1 if absent)
    registry.py publish              make the generated images (library/tool:1.0, an OCI
                                     index; :0.9, a Docker manifest list; :moving, as 1.0;
                                     private/app:1.0) and push what the registry lacks or
                                     holds differently
    registry.py move     REPO:TAG     push a different manifest under the tag: each image
                                     gets a new label in its config, so every digest changes
    registry.py index    REPO:TAG TAG...  put an index (a Docker manifest list when every
                                     image is a Docker manifest) of the single-platform
                                     images tagged TAG... in REPO under REPO:TAG

The client commands take --registry HOST:PORT --ca PEM --user U --password P.

The token server implements Docker's token authentication as Docker Hub and GHCR do:
the registry answers 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`,
the client asks the realm (GET, optionally with basic-auth credentials; or the OAuth2
POST password grant) for a JWT granting the scope, and the registry verifies the JWT
(RS256, `kid` the libtrust fingerprint of the signing key, whose certificate is the
registry's `rootcertbundle`). Policy: anyone may pull repositories under `library/`;
with the credentials every action is granted everywhere; nothing else. Wrong
credentials are refused with 401; an anonymous request for a scope it may not have gets
a token without that access, so the registry then answers 401 (insufficient_scope).
"""

import argparse
import base64
import gzip
import hashlib
import hmac
import io
import json
import re
import secrets
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_TTL = 300

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
INDEXES = (OCI_INDEX, DOCKER_LIST)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
MOVED_LABEL = "org.imgspec.registry.moved"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ token server


def libtrust_kid(key_path):
    """The key ID the registry computes for a trusted key: SHA-256 of the DER public key,
    truncated to 240 bits, base32, in twelve groups of four joined by colons."""
    der = subprocess.run(
        ["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i : i + 4] for i in range(0, len(s), 4))


def parse_scope(scope):
    """`repository:library/python:pull,push` -> (type, name, [actions])."""
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1]
    kind = kind.split("(")[0]  # repository(plugin) -> repository
    return kind, name, [a for a in actions.split(",") if a]


def granted(user, kind, name, actions):
    if user is not None:
        if kind == "repository":
            return [a for a in actions if a in ("pull", "push", "delete", "*")]
        if kind == "registry" and name == "catalog":
            return [a for a in actions if a == "*"]
        return []
    if kind == "repository" and name.startswith("library/"):
        return [a for a in actions if a == "pull"]
    return []


class TokenServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, opts):
        super().__init__(address, TokenHandler)
        self.opts = opts
        self.kid = libtrust_kid(opts.signing_key)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(opts.cert, opts.key)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the request's thread, so a client that
        # stalls holds up no other.
        request.settimeout(30)
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log(f"{client_address[0]} TLS handshake failed: {e}")
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        log(f"{client_address[0]} error: {sys.exc_info()[1]!r}")

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.opts.signing_key],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
        ).stdout
        return signing_input + "." + b64url(sig)


def log(msg):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {msg}", file=sys.stderr, flush=True)


class TokenHandler(BaseHTTPRequestHandler):
    server_version = "imgspec-token/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the access log, without credentials
        log(f"{self.client_address[0]} {fmt % args}")

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self, why):
        self.reply(
            401,
            {"errors": [{"code": "UNAUTHORIZED", "message": why}]},
            [("WWW-Authenticate", f'Basic realm="{self.server.opts.service}"')],
        )

    def check(self, user, password):
        o = self.server.opts
        ok_user = hmac.compare_digest(user.encode(), o.user.encode())
        ok_password = hmac.compare_digest(password.encode(), o.password.encode())
        return ok_user and ok_password

    def basic_user(self):
        """None (anonymous), the user name, or False (credentials given and wrong)."""
        auth = self.headers.get("Authorization", "")
        if not auth:
            return None
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except ValueError:
            return False
        return user if self.check(user, password) else False

    def issue(self, user, service, scopes, oauth):
        o = self.server.opts
        if service and service != o.service:
            self.reply(400, {"errors": [{"code": "DENIED", "message": f"unknown service {service!r}"}]})
            return
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            kind, name, actions = parsed
            access.append({"type": kind, "name": name, "actions": granted(user, kind, name, actions)})
        now = int(time.time())
        claims = {
            "iss": o.issuer,
            "sub": user or "",
            "aud": o.service,
            "exp": now + TOKEN_TTL,
            "nbf": now - 1,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = self.server.sign(claims)
        body = {"expires_in": TOKEN_TTL, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if oauth:
            body.update({"access_token": token, "scope": " ".join(scopes)})
        else:
            body.update({"token": token, "access_token": token})
        grants = " ".join(f"{a['type']}:{a['name']}:{','.join(a['actions']) or '-'}" for a in access)
        log(f"{self.client_address[0]} token for {user or '(anonymous)'}: {grants or '(no scope)'}")
        self.reply(200, body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        query = urllib.parse.parse_qs(url.query)
        user = self.basic_user()
        if user is False:
            self.unauthorized("wrong user name or password")
            return
        scopes = [s for v in query.get("scope", []) for s in v.split(" ") if s]
        self.issue(user, query.get("service", [""])[0], scopes, oauth=False)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        one = lambda k: form.get(k, [""])[0]  # noqa: E731
        if one("grant_type") != "password":
            self.reply(400, {"error": "unsupported_grant_type"})
            return
        if not self.check(one("username"), one("password")):
            self.reply(401, {"error": "invalid_grant"})
            return
        self.issue(one("username"), one("service"), one("scope").split(), oauth=True)


def serve_token(opts):
    host, _, port = opts.listen.rpartition(":")
    server = TokenServer((host, int(port)), opts)
    log(f"token server on https://{opts.listen}/token, service {opts.service}, "
        f"issuer {opts.issuer}, kid {server.kid}")
    server.serve_forever()


# ------------------------------------------------------------------ client


class Registry:
    """A registry client that does the Bearer challenge dance with the credentials."""

    def __init__(self, opts):
        self.host = opts.registry
        self.tls = ssl.create_default_context(cafile=opts.ca)
        self.basic = "Basic " + base64.b64encode(f"{opts.user}:{opts.password}".encode()).decode()
        self.tokens = {}
        self.challenge = None

    def _open(self, req):
        try:
            return urllib.request.urlopen(req, context=self.tls, timeout=60)
        except urllib.error.HTTPError as e:
            return e

    def token(self, repo):
        if repo not in self.tokens:
            if self.challenge is None:
                resp = self._open(urllib.request.Request(f"https://{self.host}/v2/"))
                header = resp.headers.get("WWW-Authenticate", "")
                if resp.status != 401 or not header.startswith("Bearer "):
                    raise SystemExit(f"{self.host}: /v2/ answered {resp.status} without a Bearer challenge")
                self.challenge = dict(re.findall(r'(\w+)="([^"]*)"', header))
            c = self.challenge
            query = urllib.parse.urlencode({"service": c["service"], "scope": f"repository:{repo}:pull,push"})
            req = urllib.request.Request(f"{c['realm']}?{query}", headers={"Authorization": self.basic})
            resp = self._open(req)
            if resp.status != 200:
                raise SystemExit(f"token endpoint {c['realm']}: {resp.status} {resp.read()[:200]!r}")
            self.tokens[repo] = json.load(resp)["token"]
        return self.tokens[repo]

    def call(self, method, repo, path, data=None, headers=None, url=None):
        h = {"Authorization": "Bearer " + self.token(repo)}
        h.update(headers or {})
        url = url or f"https://{self.host}/v2/{repo}/{path}"
        return self._open(urllib.request.Request(url, data=data, headers=h, method=method))

    def manifest(self, repo, ref, method="GET"):
        """(media type, body, digest), or None when the registry has no such manifest."""
        resp = self.call(method, repo, f"manifests/{ref}", headers={"Accept": ACCEPT})
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise SystemExit(f"{method} {repo}:{ref}: {resp.status} {resp.read()[:300]!r}")
        body = resp.read()
        media = resp.headers.get("Content-Type", "").split(";")[0]
        return media, body, resp.headers.get("Docker-Content-Digest")

    def blob(self, repo, digest):
        resp = self.call("GET", repo, f"blobs/{digest}")
        if resp.status != 200:
            raise SystemExit(f"GET {repo} blob {digest}: {resp.status}")
        return resp.read()

    def put_blob(self, repo, data):
        digest = sha256(data)
        if self.call("HEAD", repo, f"blobs/{digest}").status == 200:
            return digest, len(data)
        resp = self.call("POST", repo, "blobs/uploads/", data=b"")
        if resp.status != 202:
            raise SystemExit(f"upload to {repo}: {resp.status} {resp.read()[:300]!r}")
        location = urllib.parse.urljoin(f"https://{self.host}/", resp.headers["Location"])
        sep = "&" if "?" in location else "?"
        resp = self.call(
            "PUT", repo, "", data=data, url=f"{location}{sep}digest={urllib.parse.quote(digest)}",
            headers={"Content-Type": "application/octet-stream"},
        )
        if resp.status != 201:
            raise SystemExit(f"upload to {repo}: {resp.status} {resp.read()[:300]!r}")
        return digest, len(data)

    def put_manifest(self, repo, ref, media_type, body):
        resp = self.call("PUT", repo, f"manifests/{ref}", data=body, headers={"Content-Type": media_type})
        if resp.status != 201:
            raise SystemExit(f"PUT {repo}:{ref}: {resp.status} {resp.read()[:500]!r}")
        return sha256(body)


def split_ref(ref):
    repo, _, tag = ref.rpartition(":")
    if not repo or "/" in tag:
        raise SystemExit(f"{ref}: expected REPO:TAG")
    return repo, tag


# ------------------------------------------------------------------ generated images


def layer(files):
    """A reproducible gzipped tar of {path: text}, and the digest of the tar (diff ID)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path in sorted(files):
            data = files[path].encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(tar_bytes)
    return out.getvalue(), sha256(tar_bytes)


def dumps(obj):
    return (json.dumps(obj, indent=2) + "\n").encode()


def image(reg, repo, oci, platform, files, labels):
    """Push one image's blobs and its manifest (by digest): (index descriptor, manifest)."""
    gz, diff_id = layer(files)
    arch, variant = platform.get("architecture"), platform.get("variant")
    config = {"architecture": arch, "os": platform["os"]}
    if variant:
        config["variant"] = variant
    config["config"] = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Labels": labels,
        "WorkingDir": "/",
    }
    config["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
    config["history"] = [{"created_by": "scripts/engine.sh: generated"}]
    cfg_digest, cfg_size = reg.put_blob(repo, dumps(config))
    layer_digest, layer_size = reg.put_blob(repo, gz)
    if oci:
        media, cfg_media, layer_media = OCI_MANIFEST, OCI_CONFIG, OCI_LAYER
    else:
        media, cfg_media, layer_media = DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER
    manifest = dumps({
        "schemaVersion": 2,
        "mediaType": media,
        "config": {"mediaType": cfg_media, "digest": cfg_digest, "size": cfg_size},
        "layers": [{"mediaType": layer_media, "digest": layer_digest, "size": layer_size}],
    })
    digest = sha256(manifest)
    if reg.manifest(repo, digest, method="HEAD") is None:
        reg.put_manifest(repo, digest, media, manifest)
    return {"mediaType": media, "digest": digest, "size": len(manifest), "platform": platform}, manifest


def attestation(reg, repo, subject):
    """An attestation manifest as BuildKit attaches them (platform unknown/unknown)."""
    statement = dumps({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": f"pkg:docker/{repo}", "digest": {"sha256": subject["digest"].split(":")[1]}}],
        "predicate": {"spdxVersion": "SPDX-2.3", "name": "imgspec generated", "packages": []},
    })
    st_digest, st_size = reg.put_blob(repo, statement)
    config = dumps({
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [st_digest]},
    })
    cfg_digest, cfg_size = reg.put_blob(repo, config)
    manifest = dumps({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cfg_digest, "size": cfg_size},
        "layers": [{
            "mediaType": "application/vnd.in-toto+json",
            "digest": st_digest,
            "size": st_size,
            "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"},
        }],
    })
    digest = sha256(manifest)
    if reg.manifest(repo, digest, method="HEAD") is None:
        reg.put_manifest(repo, digest, OCI_MANIFEST, manifest)
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(manifest),
        "annotations": {
            "vnd.docker.reference.digest": subject["digest"],
            "vnd.docker.reference.type": "attestation-manifest",
        },
        "platform": {"architecture": "unknown", "os": "unknown"},
    }


PLATFORMS = [
    {"architecture": "amd64", "os": "linux"},
    {"architecture": "arm64", "os": "linux", "variant": "v8"},
]


def tool_files(version, platform):
    p = "/".join(platform[k] for k in ("os", "architecture", "variant") if k in platform)
    return {"tool/VERSION": f"tool {version} {p}\n"}


def generated(reg):
    """Every generated tag: (repo, tag, media type, manifest bytes)."""
    out = []
    # tool:1.0 - an OCI index (OCI manifests, and an attestation as BuildKit pushes them).
    repo = "library/tool"
    labels = {"org.opencontainers.image.version": "1.0"}
    manifests = [image(reg, repo, True, p, tool_files("1.0", p), labels)[0] for p in PLATFORMS]
    manifests.append(attestation(reg, repo, manifests[0]))
    index = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    out.append((repo, "1.0", OCI_INDEX, index))
    # tool:moving - the same index, for tests that move a tag (`move`) and put it back
    # (`publish`) while others rely on the tags above.
    out.append((repo, "moving", OCI_INDEX, index))
    # tool:0.9 - a Docker manifest list (Docker schema 2 manifests).
    labels = {"org.opencontainers.image.version": "0.9"}
    manifests = [image(reg, repo, False, p, tool_files("0.9", p), labels)[0] for p in PLATFORMS]
    index = dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests})
    out.append((repo, "0.9", DOCKER_LIST, index))
    # private/app:1.0 - one linux/amd64 image, readable with the credentials only.
    repo = "private/app"
    labels = {"org.opencontainers.image.version": "1.0"}
    _, body = image(reg, repo, False, PLATFORMS[0], {"app/VERSION": "app 1.0\n"}, labels)
    out.append((repo, "1.0", DOCKER_MANIFEST, body))
    return out


def publish(opts):
    reg = Registry(opts)
    for repo, tag, media, body in generated(reg):
        have = reg.manifest(repo, tag, method="HEAD")
        want = sha256(body)
        if have and have[2] == want:
            print(f"{repo}:{tag} up to date ({want})")
            continue
        reg.put_manifest(repo, tag, media, body)
        print(f"{repo}:{tag} pushed {want}")


# ------------------------------------------------------------------ digest, move


def digest(opts):
    repo, tag = split_ref(opts.ref)
    got = Registry(opts).manifest(repo, tag, method="HEAD")
    if got is None:
        return 1
    print(got[2])
    return 0


def moved(reg, repo, media, body, nonce):
    """A manifest like `body` whose image configs carry the label MOVED_LABEL=nonce."""
    m = json.loads(body)
    if media in INDEXES:
        new_digests = {}
        for d in m["manifests"]:  # images and attestations alike
            child = reg.manifest(repo, d["digest"])
            child_media, child_body = moved(reg, repo, child[0], child[1], nonce)
            new = reg.put_manifest(repo, sha256(child_body), child_media, child_body)
            new_digests[d["digest"]] = new
            d["digest"], d["size"] = new, len(child_body)
        for d in m["manifests"]:  # attestations follow their subject's new digest
            ref = d.get("annotations", {}).get("vnd.docker.reference.digest")
            if ref in new_digests:
                d["annotations"]["vnd.docker.reference.digest"] = new_digests[ref]
        return media, dumps(m)
    config = json.loads(reg.blob(repo, m["config"]["digest"]))
    inner = config.setdefault("config", {})
    labels = inner.get("Labels") or {}
    labels[MOVED_LABEL] = nonce
    inner["Labels"] = labels
    m["config"]["digest"], m["config"]["size"] = reg.put_blob(repo, dumps(config))
    return media, dumps(m)


def move(opts):
    repo, tag = split_ref(opts.ref)
    reg = Registry(opts)
    got = reg.manifest(repo, tag)
    if got is None:
        raise SystemExit(f"{opts.ref}: no such tag in {opts.registry}")
    nonce = f"{time.time_ns()}-{secrets.token_hex(4)}"
    media, body = moved(reg, repo, got[0], got[1], nonce)
    new = reg.put_manifest(repo, tag, media, body)
    print(f"{opts.registry}/{opts.ref}: {got[2]} -> {new}")


def index(opts):
    """Put an index under REPO:TAG of the single-platform images tagged SOURCES in REPO."""
    repo, tag = split_ref(opts.ref)
    reg = Registry(opts)
    entries, medias = [], set()
    for source in opts.sources:
        got = reg.manifest(repo, source)
        if got is None:
            raise SystemExit(f"{repo}:{source}: no such tag in {opts.registry}")
        media, body, dig = got
        if media in INDEXES:
            raise SystemExit(f"{repo}:{source} is an index already; name single-platform images")
        config = json.loads(reg.blob(repo, json.loads(body)["config"]["digest"]))
        platform = {"architecture": config["architecture"], "os": config["os"]}
        if config.get("variant"):
            platform["variant"] = config["variant"]
        entries.append({"mediaType": media, "digest": dig, "size": len(body), "platform": platform})
        medias.add(media)
    media = DOCKER_LIST if medias == {DOCKER_MANIFEST} else OCI_INDEX
    body = dumps({"schemaVersion": 2, "mediaType": media, "manifests": entries})
    have = reg.manifest(repo, tag, method="HEAD")
    if have and have[2] == sha256(body):
        print(f"{repo}:{tag} up to date ({have[2]})")
        return 0
    print(f"{repo}:{tag} pushed {reg.put_manifest(repo, tag, media, body)}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("serve-token")
    for a in ("listen", "cert", "key", "signing-key", "issuer", "service", "user", "password"):
        t.add_argument("--" + a, required=True)
    for name, ref in (("digest", True), ("publish", False), ("move", True)):
        c = sub.add_parser(name)
        for a in ("registry", "ca", "user", "password"):
            c.add_argument("--" + a, required=True)
        if ref:
            c.add_argument("ref", metavar="REPO:TAG")
    c = sub.add_parser("index")
    for a in ("registry", "ca", "user", "password"):
        c.add_argument("--" + a, required=True)
    c.add_argument("ref", metavar="REPO:TAG")
    c.add_argument("sources", metavar="TAG", nargs="+")
    opts = ap.parse_args()
    if opts.cmd == "serve-token":
        serve_token(opts)
        return 0
    commands = {"digest": digest, "publish": publish, "move": move, "index": index}
    return commands[opts.cmd](opts) or 0


if __name__ == "__main__":
    sys.exit(main())

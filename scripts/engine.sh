#!/usr/bin/env bash
# engine.sh - a local Docker engine (with BuildKit) for imgspec's end-to-end tests.
#
# Meant for a Debian 12 (bookworm) host, run as root, that can reach a Debian package
# mirror but no container registry. Nothing is pulled: every base image the tests use is
# made here, from Debian packages.
#
# Usage:  scripts/engine.sh [start|stop|status|selftest|image NAME...|registry|registry-move REPO:TAG]
#
#   start     (default) install what is missing, start dockerd if it is not answering,
#             create the local images that are missing or out of date, write $PREFIX/env.sh.
#             Safe to run again: when everything is up it only checks and returns.
#   image NAME...  as start, but make only the named stand-ins (recipe names: python,
#             node, golang, rust, distroless, distroless_cc, nginx, nginx_arm64 (for
#             linux/arm64, made without an emulator), and python_trixie, node_trixie,
#             rust_trixie, distroless_trixie, distroless_cc_trixie) besides
#             the debian bookworm base and the base of their release; debian_trixie
#             names the Debian 13 base alone.
#   registry  as start without building (only the stand-ins it pushes, when missing),
#             then a local registry on https://localhost:5443 (Debian's docker-registry,
#             TLS from a CA made once under $PREFIX/registry, token authentication from
#             scripts/registry.py on https://localhost:5444/token; anonymous pull of
#             library/*, user imgspec password imgspec-registry for everything else),
#             the stand-ins pushed under several tags (nginx-unprivileged:bookworm as
#             an index of the amd64 and arm64 stand-ins), multi-platform indexes and a
#             private image generated, and $PREFIX/registry/env.sh written (env.sh
#             sources it). Idempotent: pushes only what the registry lacks.
#   registry-move REPO:TAG  push a different manifest under the tag (every image of it
#             gets a new config label), so its digest changes; `registry` moves it back.
#   builder NAME  a fresh builder, as a CI runner starts one: another dockerd with the
#             containerd image store (registry cache export and import, several
#             platforms in one build), its own empty data and cache, the local registry's
#             credentials and CA; `. $PREFIX/builders/NAME/env.sh` points docker at it.
#             Starting a builder of the same name again wipes it first. Needs `registry`.
#   builder-stop NAME  stop that builder and remove its data.
#   rootless  a rootless engine: the user imgspec-rootless (made when missing, with its
#             /etc/subuid and /etc/subgid ranges), Debian's rootlesskit, slirp4netns and
#             uidmap, and dockerd-rootless.sh started as that user; no process of it
#             runs as root. $PREFIX/rootless/env holds the user's client environment.
#   rootless-load IMAGE...  as rootless, then the engine's IMAGEs loaded into it.
#   stop      stop the builders, the registry and the dockerd this script started (by
#             their pidfiles).
#   status    print client/server versions, or say that the engine is down (exit 1).
#   selftest  start, then build and run a small 2-stage Dockerfile (cache mount, heredoc
#             RUN, numeric non-root USER), rebuild after a source edit and require CACHED
#             steps; then smoke-test every stand-in image.
#
# Afterwards:  . "$PREFIX/env.sh"; docker build --network=host -t some/tag DIR
#
# Environment:
#   IMGSPEC_ENGINE_PREFIX  where everything lives          (default /var/lib/imgspec-engine)
#   IMGSPEC_DEBIAN_MIRROR  Debian mirror URL               (default: the one apt uses)
#   IMGSPEC_DEBIAN_SECURITY_MIRROR  security mirror URL    (default: the one apt uses)
#   IMGSPEC_ENGINE_EXTRA_CA  PEM file or directory of CA certificates to trust inside the
#                          images (for a TLS-inspecting proxy in front of the registries);
#                          default none. Changing it rebuilds all images.
#
# How the engine is put together:
#   * dockerd, the docker CLI and the buildx plugin come from Debian 13 (trixie) packages,
#     downloaded with a private apt configuration and unpacked under $PREFIX/root; the
#     system's apt sources are not changed and nothing docker-related is installed
#     system-wide. containerd, runc and tini come from Debian 12 via apt.
#   * dockerd runs with --iptables=false --ip-forward=false, so the host's firewall and
#     sysctls are left alone. As a consequence containers on the default bridge have no
#     outside access: a build whose RUN steps fetch packages needs `--network=host`.
#   * `# syntax=` lines cannot be used (the frontend image cannot be pulled); the
#     built-in Dockerfile frontend already supports RUN --mount and heredocs.
set -euo pipefail

PREFIX=${IMGSPEC_ENGINE_PREFIX:-/var/lib/imgspec-engine}
BIN=$PREFIX/bin
ROOT=$PREFIX/root                 # unpacked Debian 13 docker packages
DOCKER_CFG=$PREFIX/docker-config  # DOCKER_CONFIG (holds the buildx plugin link)
SOCK=$PREFIX/docker.sock
PIDFILE=$PREFIX/dockerd.pid
DLOG=$PREFIX/dockerd.log
LOGS=$PREFIX/logs
RECIPES=$PREFIX/recipes
# Label on every image made here; its value is a hash of the recipe that made it.
RECIPE_LABEL=org.imgspec.engine.recipe
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

log() { printf '[engine] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------- cleanup

CLEANUP=()
on_exit() {
  local c
  for c in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do eval "$c" || true; done
}
trap on_exit EXIT

# ---------------------------------------------------------------------------- apt

# Mirror URLs as the host's apt configuration names them (deb822 or one-line format).
apt_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z+]+:\/\//) {print $i; break}}' "$f"
  done
  return 0
}

debian_mirror() {
  if [ -n "${IMGSPEC_DEBIAN_MIRROR:-}" ]; then printf '%s\n' "$IMGSPEC_DEBIAN_MIRROR"; return; fi
  local m; m=$(apt_uris | grep -v -- '-security' | head -n1 || true)
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

security_mirror() {
  if [ -n "${IMGSPEC_DEBIAN_SECURITY_MIRROR:-}" ]; then printf '%s\n' "$IMGSPEC_DEBIAN_SECURITY_MIRROR"; return; fi
  local m; m=$(apt_uris | grep -- '-security' | head -n1 || true)
  printf '%s\n' "${m:-http://deb.debian.org/debian-security}"
}

APT_UPDATED=0
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  log "apt-get update"
  apt-get update -q >"$LOGS/apt-update.log" 2>&1 || { tail -n 20 "$LOGS/apt-update.log" >&2; die "apt-get update failed"; }
  APT_UPDATED=1
}

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Install host packages that are missing. A temporary policy-rc.d keeps maintainer
# scripts from starting services (containerd must only run under our dockerd).
apt_install() {
  local want=() p
  for p in "$@"; do is_installed "$p" || want+=("$p"); done
  [ ${#want[@]} -eq 0 ] && return 0
  apt_update_once
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    CLEANUP+=("rm -f /usr/sbin/policy-rc.d")
  fi
  log "apt-get install ${want[*]}"
  apt-get install -y -q --no-install-recommends "${want[@]}" >"$LOGS/apt-install.log" 2>&1 \
    || { tail -n 30 "$LOGS/apt-install.log" >&2; die "apt-get install failed"; }
}

# ---------------------------------------------------------------------------- engine

# Download Debian 13's docker packages with a private apt state (the host's sources are
# untouched) and unpack them under $ROOT. Done once; $ROOT/VERSIONS records what we got.
fetch_docker() {
  [ -x "$ROOT/usr/sbin/dockerd" ] && [ -x "$ROOT/usr/bin/docker" ] && return 0
  local A=$PREFIX/apt-trixie
  rm -rf "$A"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/parts" "$A/debs"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
    "$(debian_mirror)" >"$A/sources.list"
  local opts=(
    -o "Dir::Etc::SourceList=$A/sources.list" -o "Dir::Etc::SourceParts=$A/parts"
    -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
    -o "APT::Sandbox::User=root" -q
  )
  log "downloading docker.io, docker-cli, docker-buildx from Debian 13"
  apt-get "${opts[@]}" update >"$LOGS/apt-trixie.log" 2>&1 \
    || { tail -n 20 "$LOGS/apt-trixie.log" >&2; die "apt-get update (trixie) failed"; }
  (cd "$A/debs" && apt-get "${opts[@]}" download docker.io docker-cli docker-buildx) >>"$LOGS/apt-trixie.log" 2>&1 \
    || { tail -n 20 "$LOGS/apt-trixie.log" >&2; die "apt-get download (trixie) failed"; }
  rm -rf "$ROOT.new"
  mkdir -p "$ROOT.new"
  local deb
  for deb in "$A"/debs/*.deb; do
    dpkg-deb -x "$deb" "$ROOT.new"
    printf '%s %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" >>"$ROOT.new/VERSIONS"
  done
  rm -rf "$ROOT"
  mv "$ROOT.new" "$ROOT"
  rm -rf "$A/debs"
  log "unpacked: $(paste -sd, "$ROOT/VERSIONS")"
}

install_engine() {
  apt_install containerd runc tini iptables debootstrap ca-certificates debian-archive-keyring
  fetch_docker
  mkdir -p "$BIN" "$DOCKER_CFG/cli-plugins"
  ln -sfn "$ROOT/usr/sbin/dockerd" "$BIN/dockerd"
  ln -sfn "$ROOT/usr/sbin/docker-proxy" "$BIN/docker-proxy"
  ln -sfn "$ROOT/usr/bin/docker" "$BIN/docker"
  ln -sfn /usr/bin/tini-static "$BIN/docker-init"
  ln -sfn "$ROOT/usr/libexec/docker/cli-plugins/docker-buildx" "$DOCKER_CFG/cli-plugins/docker-buildx"
  write_env
}

write_env() {
  local want
  want=$(cat <<EOF
# Generated by scripts/engine.sh - source it to use the imgspec test engine.
export PATH="$BIN:\$PATH"
export DOCKER_HOST="unix://$SOCK"
export DOCKER_CONFIG="$DOCKER_CFG"
export DOCKER_BUILDKIT=1
# The local registry's address, CA and credentials, once \`engine.sh registry\` ran.
[ ! -f "$PREFIX/registry/env.sh" ] || . "$PREFIX/registry/env.sh"
EOF
)
  if [ ! -f "$PREFIX/env.sh" ] || [ "$(cat "$PREFIX/env.sh")" != "$want" ]; then
    printf '%s\n' "$want" >"$PREFIX/env.sh.new"
    mv "$PREFIX/env.sh.new" "$PREFIX/env.sh"
  fi
}

# docker with this engine's settings, whatever the caller's environment says.
dk() {
  PATH="$BIN:$PATH" DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$DOCKER_CFG" DOCKER_BUILDKIT=1 \
    "$BIN/docker" "$@"
}

engine_answers() { [ -S "$SOCK" ] && [ -x "$BIN/docker" ] && dk version >/dev/null 2>&1; }

dockerd_pid() {
  local p
  [ -f "$PIDFILE" ] || return 1
  p=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  printf '%s\n' "$p"
}

dockerd_failed() {
  log "dockerd did not come up: $*"
  log "last 40 lines of $DLOG:"
  tail -n 40 "$DLOG" >&2 || true
  exit 1
}

start_dockerd() {
  if engine_answers; then return 0; fi
  local pid
  if ! pid=$(dockerd_pid); then
    rm -f "$PIDFILE"
    mkdir -p "$PREFIX/data" "$PREFIX/exec"
    log "starting dockerd (log: $DLOG)"
    printf '\n==== %s engine.sh start\n' "$(date -u +%FT%TZ)" >>"$DLOG"
    # setsid: the daemon must outlive the shell (and process group) that started it;
    # 9>&- : it must not inherit the lock held on fd 9.
    PATH="$BIN:$PATH" setsid "$BIN/dockerd" \
      --iptables=false --ip-forward=false \
      --data-root "$PREFIX/data" --exec-root "$PREFIX/exec" \
      --host "unix://$SOCK" --pidfile "$PIDFILE" \
      </dev/null >>"$DLOG" 2>&1 9>&- &
    pid=$!
  else
    log "dockerd pid $pid exists but does not answer yet; waiting"
  fi
  local _
  for _ in $(seq 1 120); do
    if engine_answers; then
      log "dockerd up (pid $(dockerd_pid || echo "$pid"))"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null && ! dockerd_pid >/dev/null; then
      dockerd_failed "process $pid exited"
    fi
    sleep 0.25
  done
  dockerd_failed "no answer on $SOCK after 30 s"
}

stop_dockerd() {
  local pid
  if ! pid=$(dockerd_pid); then
    log "no dockerd running from $PIDFILE"
    return 0
  fi
  log "stopping dockerd pid $pid"
  kill -TERM "$pid"
  local _
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      # dockerd leaves its default network namespace bind-mounted; release whatever
      # is still mounted under the prefix so that it can be removed.
      local m
      { findmnt -rn -o TARGET | grep "^$PREFIX/" || true; } | sort -r | while read -r m; do umount "$m" || true; done
      log "stopped"
      return 0
    fi
    sleep 0.25
  done
  die "dockerd pid $pid still running after 30 s (see $DLOG)"
}

# ---------------------------------------------------------------------------- images

image_label() { dk image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$1" 2>/dev/null || true; }
image_id() { dk image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# Point every alias at the image `src` (only when it does not already).
alias_tags() {
  local src=$1 id t; shift
  id=$(image_id "$src")
  for t in "$@"; do
    [ "$(image_id "$t")" = "$id" ] || dk tag "$src" "$t"
  done
}

# The Debian releases the engine makes a base image of, and their version numbers.
debian_number() {
  case $1 in
    bookworm) echo 12 ;;
    trixie) echo 13 ;;
    *) die "no Debian base for release '$1'" ;;
  esac
}

# Files that debootstrap's minbase lacks compared to the official slim image. Written
# into the root filesystem before import; their text is part of the debian recipe hash.
debian_extras() {
  local dir=$1 release=$2 keyring
  # The keyring file the official image's sources name: bookworm's debian-archive-keyring
  # ships it as .gpg, trixie's as .pgp (with a .gpg link).
  case $release in
    bookworm) keyring=/usr/share/keyrings/debian-archive-keyring.gpg ;;
    *) keyring=/usr/share/keyrings/debian-archive-keyring.pgp ;;
  esac
  mkdir -p "$dir/etc/apt/apt.conf.d" "$dir/etc/apt/sources.list.d" "$dir/etc/dpkg/dpkg.cfg.d" "$dir/usr/sbin"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $(debian_mirror)
Suites: $release $release-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: $(security_mirror)
Suites: $release-security
Components: main
Signed-By: $keyring
EOF
  # As in the official image: no package caches kept in layers.
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat >"$dir/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
  # As in the official -slim image: no docs, man pages or locales from later installs.
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  # No service starts inside image builds.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  extra_ca "$dir/usr/local/share/ca-certificates"
}

# IMGSPEC_ENGINE_EXTRA_CA (a PEM file, or a directory of *.crt / *.pem files): CA
# certificates to trust inside the images, for hosts whose HTTPS traffic to package
# registries goes through a TLS-inspecting proxy. They are put, one per file, into
# /usr/local/share/ca-certificates of the debian image, so that every later install of
# Debian's ca-certificates package adds them to /etc/ssl/certs/ca-certificates.crt.
extra_ca() {
  local src=${IMGSPEC_ENGINE_EXTRA_CA:-} dest=$1 files=() f
  [ -n "$src" ] || return 0
  if [ -d "$src" ]; then
    for f in "$src"/*.crt "$src"/*.pem; do [ -f "$f" ] && files+=("$f"); done
  elif [ -f "$src" ]; then
    files=("$src")
  else
    die "IMGSPEC_ENGINE_EXTRA_CA=$src: no such file or directory"
  fi
  [ ${#files[@]} -gt 0 ] || die "IMGSPEC_ENGINE_EXTRA_CA=$src: no *.crt or *.pem file"
  mkdir -p "$dest"
  cat "${files[@]}" | awk -v d="$dest" '
    /-----BEGIN CERTIFICATE-----/ { n++; out = sprintf("%s/imgspec-extra-ca-%02d.crt", d, n) }
    out != "" { print > out }
    /-----END CERTIFICATE-----/ { close(out); out = "" }
    END { if (n == 0) exit 1 }' || die "IMGSPEC_ENGINE_EXTRA_CA=$src: no PEM certificate found"
}

# debian:RELEASE-slim (+ debian:RELEASE, debian:N-slim, debian:N) for RELEASE bookworm
# (12) or trixie (13): debootstrap --variant=minbase, trimmed, imported as a single layer.
ensure_debian() {
  local release=$1 number
  number=$(debian_number "$release")
  local tag=debian:$release-slim
  local x=$RECIPES/debian-extras-$release
  rm -rf "$x"
  debian_extras "$x" "$release"
  local boot
  boot="debootstrap --variant=minbase $release $(debian_mirror) trim-v1"
  local hash
  hash=$( {
    echo "$boot"
    (cd "$x" && find . -type f | sort | xargs sha256sum)
  } | sha256sum | cut -c1-16)

  if [ "$(image_label "$tag")" != "$hash" ]; then
    # The trimmed debootstrap tree is kept, so a change of the extra files only
    # re-imports; it is made again only when the debootstrap settings change.
    local R=$PREFIX/rootfs/$release
    if [ "$(cat "$R.recipe" 2>/dev/null || true)" != "$boot" ] || [ ! -x "$R/bin/sh" ]; then
      log "debootstrap --variant=minbase $release (about half a minute)"
      rm -rf "$R" "$R.new" "$R.recipe"
      mkdir -p "$(dirname "$R")"
      debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$release" "$R.new" "$(debian_mirror)" >"$LOGS/debootstrap-$release.log" 2>&1 \
        || { tail -n 30 "$LOGS/debootstrap-$release.log" >&2; die "debootstrap $release failed"; }
      # Trim like the official slim image; docker supplies resolv.conf and hostname.
      rm -rf "$R.new"/var/cache/apt/archives/*.deb "$R.new"/var/cache/apt/*.bin \
        "$R.new"/var/lib/apt/lists/* "$R.new"/var/log/*.log "$R.new"/var/log/apt/* \
        "$R.new"/tmp/* "$R.new"/usr/share/man/* "$R.new"/usr/share/info/* \
        "$R.new"/usr/share/locale/* "$R.new"/etc/resolv.conf "$R.new"/etc/hostname \
        "$R.new"/etc/apt/sources.list
      find "$R.new/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
      mv "$R.new" "$R"
      printf '%s\n' "$boot" >"$R.recipe"
    fi
    local S=$PREFIX/rootfs/stage-$release
    rm -rf "$S"
    cp -a "$R" "$S"
    cp -a "$x"/. "$S"/
    log "docker import $tag"
    tar --numeric-owner -C "$S" -c . | dk import \
      --change "ENV PATH=$DEFAULT_PATH" \
      --change 'CMD ["bash"]' \
      --change "LABEL $RECIPE_LABEL=$hash" \
      - "$tag" >/dev/null
    rm -rf "$S"
  fi
  alias_tags "$tag" "debian:$release" "debian:$number-slim" "debian:$number"
}

# Build a stand-in from its recipe: recipe_NAME writes a build context (Dockerfile and
# files) into a directory. The image is rebuilt only when the hash of that context and
# of the debian base image of its release (bookworm unless named) changes.
ensure_standin() {
  local name=$1 tag=$2 release=${3:-bookworm} platform=${4:-}
  local ctx=$RECIPES/$name
  rm -rf "$ctx"
  mkdir -p "$ctx"
  "recipe_$name" "$ctx"
  local hash
  hash=$( {
    image_id "debian:$release-slim"
    (cd "$ctx" && find . -type f | sort | xargs sha256sum)
  } | sha256sum | cut -c1-16)
  [ "$(image_label "$tag")" = "$hash" ] && return 0
  log "building $tag"
  local blog=$LOGS/build-$name.log
  dk build --network=host --progress=plain ${platform:+--platform "$platform"} \
    --label "$RECIPE_LABEL=$hash" -t "$tag" "$ctx" >"$blog" 2>&1 \
    || { tail -n 40 "$blog" >&2; die "building $tag failed (full log: $blog)"; }
}

# python:3.11-slim-bookworm - Debian's Python 3.11 (the version bookworm ships).
# Like upstream it has the CPython headers (pip can compile C extensions once gcc is
# installed) but no libc6-dev: libpython3.11-dev is unpacked, not installed, since
# installing it would pull in libc6-dev, which the upstream image lacks. Also as
# upstream (built --enable-shared), it ships libpython's shared library (Debian's
# libpython3.11) with its development link `libpython3.11.so`, the config directory
# (without the static libraries, which upstream deletes), the pkg-config files and
# python3-config: what a program embedding Python, such as uWSGI, links against.
# python3-config and python-config stay in /usr/bin: the script derives the prefix it
# reports from its own directory, so a link in /usr/local/bin would say /usr/local.
recipe_python() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python-is-python3 libpython3.11 \
 && tmp=$(mktemp -d) \
 && (cd "$tmp" && apt-get download libpython3.11-dev && dpkg-deb -x libpython3.11-dev_*.deb root) \
 && cp -a "$tmp/root/usr/include/." /usr/include/ \
 && find "$tmp/root/usr/lib" -name 'libpython3.11*.a' -delete \
 && cp -a "$tmp/root/usr/lib/." /usr/lib/ \
 && cp -a "$tmp"/root/usr/bin/*-python3.11-config /usr/bin/ \
 && rm -rf "$tmp" \
 && ln -s "$(cd /usr/bin && echo *-python3.11-config)" /usr/bin/python3.11-config \
 && ln -s python3.11-config /usr/bin/python3-config \
 && ln -s python3-config /usr/bin/python-config \
 && test -f /usr/include/python3.11/Python.h \
 && libdir=$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))') \
 && test "$(readlink -f "$libdir/libpython3.11.so")" = "$libdir/libpython3.11.so.1.0" \
 && python3-config --ldflags --embed | grep -q -- '-lpython3.11' \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && for b in python python3 pip pip3; do ln -s "/usr/bin/$b" "/usr/local/bin/$b"; done
ENV LANG=C.UTF-8
CMD ["python3"]
EOF
}

# python:3.13-slim-trixie - Debian 13's Python 3.13 with its headers, as the bookworm one
# above but without libpython's shared library (no case here links against it yet).
recipe_python_trixie() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python-is-python3 \
 && tmp=$(mktemp -d) \
 && (cd "$tmp" && apt-get download libpython3.13-dev && dpkg-deb -x libpython3.13-dev_*.deb root) \
 && cp -a "$tmp/root/usr/include/." /usr/include/ \
 && rm -rf "$tmp" \
 && test -f /usr/include/python3.13/Python.h \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && for b in python python3 pip pip3; do ln -s "/usr/bin/$b" "/usr/local/bin/$b"; done
ENV LANG=C.UTF-8
CMD ["python3"]
EOF
}

# node:18-bookworm-slim - Debian's nodejs 18 and npm, user node (1000:1000), and, as in
# the official images, Yarn classic on the PATH and corepack installed but not enabled
# (no yarn or pnpm shims of its own). Both come from the npm registry; ca-certificates
# first, so that npm trusts the engine's added CA.
recipe_node() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home --home-dir /home/node node \
 && for b in node npm npx; do ln -s "/usr/bin/$b" "/usr/local/bin/$b"; done \
 && npm install -g --no-audit --no-fund corepack@0.29.4 \
 && rm -f /usr/local/bin/pnpm /usr/local/bin/pnpx /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && npm install -g --no-audit --no-fund --prefix /opt/yarn-v1.22.22 yarn@1.22.22 \
 && ln -s /opt/yarn-v1.22.22/bin/yarn /usr/local/bin/yarn \
 && ln -s /opt/yarn-v1.22.22/bin/yarnpkg /usr/local/bin/yarnpkg \
 && rm -rf /root/.npm \
 && yarn --version && corepack --version
CMD ["node"]
EOF
}

# node:20-trixie-slim - Debian 13's nodejs 20 and npm, made as the bookworm one above
# (user node, Yarn classic, corepack not enabled).
recipe_node_trixie() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home --home-dir /home/node node \
 && for b in node npm npx; do ln -s "/usr/bin/$b" "/usr/local/bin/$b"; done \
 && npm install -g --no-audit --no-fund corepack@0.29.4 \
 && rm -f /usr/local/bin/pnpm /usr/local/bin/pnpx /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && npm install -g --no-audit --no-fund --prefix /opt/yarn-v1.22.22 yarn@1.22.22 \
 && ln -s /opt/yarn-v1.22.22/bin/yarn /usr/local/bin/yarn \
 && ln -s /opt/yarn-v1.22.22/bin/yarnpkg /usr/local/bin/yarnpkg \
 && rm -rf /root/.npm \
 && test "$(node --version | cut -d. -f1)" = v20 \
 && yarn --version && corepack --version
CMD ["node"]
EOF
}

# golang:1.19-bookworm - Debian's Go 1.19, with git and a C toolchain for cgo.
recipe_golang() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go ca-certificates git gcc libc6-dev make pkg-config \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(readlink -f /usr/lib/go)" /usr/local/go \
 && mkdir -p /go/src /go/bin \
 && chmod -R 1777 /go
ENV GOPATH=/go
ENV PATH=/go/bin:/usr/local/go/bin:/usr/lib/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
EOF
}

# rust:1.63-slim-bookworm - Debian's rustc 1.63 and cargo.
recipe_rust() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \
 && apt-get install -y --no-install-recommends rustc cargo gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p "$CARGO_HOME/bin" \
 && for b in cargo rustc rustdoc; do ln -s "/usr/bin/$b" "$CARGO_HOME/bin/$b"; done \
 && chmod -R a+w "$CARGO_HOME"
EOF
}

# rust:1.85-slim-trixie - Debian 13's rustc 1.85 and cargo. Unlike bookworm's cargo
# 1.65 it reads crates.io's sparse index (the default since cargo 1.70), over HTTPS with
# libcurl and the system CA store, which holds the engine's added CA.
recipe_rust_trixie() {
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:trixie-slim
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \
 && apt-get install -y --no-install-recommends rustc cargo gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p "$CARGO_HOME/bin" \
 && for b in cargo rustc rustdoc; do ln -s "/usr/bin/$b" "$CARGO_HOME/bin/$b"; done \
 && chmod -R a+w "$CARGO_HOME" \
 && test "$(rustc --version | cut -d' ' -f2 | cut -d. -f1,2)" = 1.85 \
 && test "$(cargo --version | cut -d' ' -f2 | cut -d. -f1,2)" = 1.85
EOF
}

# The files stage every distroless stand-in starts from: /out holds /etc/passwd and
# /etc/group (root, nonroot 65532), the CA bundle, /tmp (1777) and /home/nonroot.
# Debian RELEASE (default bookworm) provides them.
distroless_files_stage() {
  printf 'FROM debian:%s-slim AS files\n' "${1:-bookworm}"
  cat <<'EOF'
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN set -e; \
    mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot; \
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
                  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >/out/etc/passwd; \
    printf '%s\n' 'root:x:0:' 'nonroot:x:65532:' >/out/etc/group; \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt; \
    chmod 1777 /out/tmp; \
    chown 65532:65532 /out/home/nonroot; chmod 700 /out/home/nonroot
EOF
}

# ... and the stage that makes the image from /out.
distroless_final_stage() {
  cat <<'EOF'

FROM scratch
COPY --from=files /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
EOF
}

# gcr.io/distroless/static-debian12:nonroot - users, CA bundle, /tmp; nothing else.
recipe_distroless() {
  { distroless_files_stage; distroless_final_stage; } >"$1/Dockerfile"
}

# gcr.io/distroless/static-debian13:nonroot - the same from Debian 13.
recipe_distroless_trixie() {
  { distroless_files_stage trixie; distroless_final_stage; } >"$1/Dockerfile"
}

# gcr.io/distroless/cc-debian12:nonroot - the static stand-in's files plus the shared
# libraries of libc6, libgcc-s1, libstdc++6 and libssl3 (as upstream's base and cc
# images), copied file by file from the Debian packages to their usr-merged paths, with
# the /lib and /lib64 links the dynamic loader's path needs. No shell, no programs: it
# runs dynamically linked glibc binaries (Rust, C++) in exec form only.
recipe_distroless_cc() {
  distroless_cc_dockerfile bookworm libssl3 >"$1/Dockerfile"
}

# gcr.io/distroless/cc-debian13:nonroot - the same from Debian 13 (glibc 2.41, whose
# OpenSSL package is libssl3t64), for binaries built on trixie.
recipe_distroless_cc_trixie() {
  distroless_cc_dockerfile trixie libssl3t64 >"$1/Dockerfile"
}

# The cc stand-in's Dockerfile: distroless_cc_dockerfile RELEASE OPENSSL_PACKAGE.
distroless_cc_dockerfile() {
  distroless_files_stage "$1"
  printf '%s\n' 'RUN set -e; \' \
    "    for p in libc6 libgcc-s1 libstdc++6 $2; do dpkg -L \"\$p\"; done | sort -u | \\"
  cat <<'EOF'
    while read -r f; do \
      case "$f" in /usr/share/*) continue ;; esac; \
      if [ -d "$f" ] || [ ! -e "$f" ]; then continue; fi; \
      d=$(readlink -f "$(dirname "$f")"); mkdir -p "/out$d"; cp -a "$f" "/out$d/"; \
    done; \
    ln -s usr/lib /out/lib; \
    if [ -L /lib64 ]; then ln -s usr/lib64 /out/lib64; fi; \
    test -n "$(find /out/usr/lib -name libc.so.6)"; \
    test -n "$(find /out/usr/lib -name libgcc_s.so.1)"; \
    if find /out -name sh -o -name bash -o -name dash | grep -q .; then exit 1; fi
EOF
  distroless_final_stage
}

# nginx-unprivileged:bookworm - Debian's nginx-light as uid 101, port 8080, state in /tmp.
recipe_nginx() {
  cat >"$1/nginx.conf" <<'EOF'
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /tmp/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections 1024;
}

http {
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path       /tmp/proxy_temp;
    fastcgi_temp_path     /tmp/fastcgi_temp;
    uwsgi_temp_path       /tmp/uwsgi_temp;
    scgi_temp_path        /tmp/scgi_temp;

    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    sendfile on;
    keepalive_timeout 65;

    include /etc/nginx/conf.d/*.conf;
}
EOF
  cat >"$1/default.conf" <<'EOF'
server {
    listen 8080;
    server_name localhost;

    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
}
EOF
  cat >"$1/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 101 nginx \
 && useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx \
 && rm -f /etc/nginx/sites-enabled/default \
 && mkdir -p /etc/nginx/conf.d /var/log/nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && test -f /usr/share/nginx/html/index.html
COPY nginx.conf /etc/nginx/nginx.conf
COPY default.conf /etc/nginx/conf.d/default.conf
RUN chown -R 101:0 /etc/nginx && chmod -R g+w /etc/nginx
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101:101
CMD ["nginx", "-g", "daemon off;"]
EOF
}

# nginx-unprivileged:bookworm-arm64 - the same nginx for linux/arm64, made on this amd64
# engine without an emulator: a build stage on the builder's platform debootstraps an
# arm64 bookworm (--foreign: download and unpack; no maintainer script runs, since none
# could) with nginx, the nginx user and the configuration of the amd64 image, and a
# scratch stage of the target's platform takes the tree. The cross-compiling e2e test
# builds a static site onto it; nothing here runs it.
recipe_nginx_arm64() {
  recipe_nginx "$1"
  cat >"$1/Dockerfile" <<EOF
FROM --platform=\$BUILDPLATFORM debian:bookworm-slim AS unpack
ARG TARGETARCH
RUN apt-get update \\
 && apt-get install -y --no-install-recommends debootstrap \\
 && debootstrap --foreign --arch="\$TARGETARCH" --variant=minbase --include=nginx-light \\
      --keyring=/usr/share/keyrings/debian-archive-keyring.gpg bookworm /rootfs $(debian_mirror) \\
 && for deb in /rootfs/var/cache/apt/archives/*.deb; do dpkg-deb -x "\$deb" /rootfs; done \\
 && rm -rf /rootfs/debootstrap /rootfs/var/cache/apt/archives/*.deb /var/lib/apt/lists/* \\
 && for f in passwd group; do [ -s "/rootfs/etc/\$f" ] || cp "/rootfs/usr/share/base-passwd/\$f.master" "/rootfs/etc/\$f"; done \\
 && echo 'nginx:x:101:' >>/rootfs/etc/group \\
 && echo 'nginx:x:101:101:nginx user:/nonexistent:/usr/sbin/nologin' >>/rootfs/etc/passwd \\
 && rm -f /rootfs/etc/nginx/sites-enabled/default \\
 && mkdir -p /rootfs/etc/nginx/conf.d /rootfs/var/log/nginx \\
 && ln -sf /dev/stdout /rootfs/var/log/nginx/access.log \\
 && ln -sf /dev/stderr /rootfs/var/log/nginx/error.log \\
 && test -f /rootfs/usr/share/nginx/html/index.html \\
 && od -An -tu2 -j18 -N2 /rootfs/usr/sbin/nginx | grep -qw 183
COPY nginx.conf /rootfs/etc/nginx/nginx.conf
COPY default.conf /rootfs/etc/nginx/conf.d/default.conf
RUN chown -R 101:0 /rootfs/etc/nginx && chmod -R g+w /rootfs/etc/nginx

FROM scratch
COPY --from=unpack /rootfs/ /
ENV PATH=$DEFAULT_PATH
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101:101
CMD ["nginx", "-g", "daemon off;"]
EOF
}

# Each stand-in: its recipe's name, the tag it makes, the Debian release it is built
# from (bookworm unless named) and the platform it is built for (the engine's unless
# named; another one only from a recipe that runs nothing of that platform).
STANDINS=(
  "python               python:3.11-slim-bookworm"
  "node                 node:18-bookworm-slim"
  "golang               golang:1.19-bookworm"
  "rust                 rust:1.63-slim-bookworm"
  "distroless           gcr.io/distroless/static-debian12:nonroot"
  "distroless_cc        gcr.io/distroless/cc-debian12:nonroot"
  "nginx                nginx-unprivileged:bookworm"
  "python_trixie        python:3.13-slim-trixie                    trixie"
  "node_trixie          node:20-trixie-slim                        trixie"
  "rust_trixie          rust:1.85-slim-trixie                      trixie"
  "distroless_trixie    gcr.io/distroless/static-debian13:nonroot  trixie"
  "distroless_cc_trixie gcr.io/distroless/cc-debian13:nonroot      trixie"
  "nginx_arm64          nginx-unprivileged:bookworm-arm64          bookworm linux/arm64"
)

# Make the debian bookworm base, then every stand-in, or only those named (by recipe
# name, or debian_RELEASE for a base alone), with the base of each release they need.
make_images() {
  mkdir -p "$RECIPES"
  local entry name tag release want found picked=() releases=()
  for want in "$@"; do
    case $want in debian_*) releases+=("${want#debian_}"); continue ;; esac
    found=0
    for entry in "${STANDINS[@]}"; do
      read -r name tag release _ <<<"$entry"
      [ "$want" = "$name" ] && found=1
    done
    [ "$found" = 1 ] || die "no stand-in named '$want' (${STANDINS[*]%% *})"
  done
  for entry in "${STANDINS[@]}"; do
    read -r name tag release _ <<<"$entry"
    if [ $# -eq 0 ]; then
      picked+=("$entry")
    else
      for want in "$@"; do [ "$want" = "$name" ] && picked+=("$entry"); done
    fi
  done
  ensure_debian bookworm
  for entry in ${picked[@]+"${picked[@]}"}; do
    read -r name tag release _ <<<"$entry"
    releases+=("${release:-bookworm}")
  done
  for release in $(printf '%s\n' ${releases[@]+"${releases[@]}"} | sort -u); do
    [ "$release" = bookworm ] || ensure_debian "$release"
  done
  local platform
  for entry in ${picked[@]+"${picked[@]}"}; do
    read -r name tag release platform <<<"$entry"
    ensure_standin "$name" "$tag" "${release:-bookworm}" "$platform"
  done
}

# ---------------------------------------------------------------------------- selftest

expect_eq() { # expect_eq WHAT GOT WANT
  [ "$2" = "$3" ] || die "selftest: $1: got '$2', want '$3'"
  log "ok: $1"
}

selftest_build() {
  local n=$1 dir=$2
  dk build --progress=plain -t imgspec-engine-selftest "$dir" >"$dir/build$n.log" 2>&1 \
    || { tail -n 40 "$dir/build$n.log" >&2; die "selftest build $n failed"; }
}

# shellcheck disable=SC2016  # single-quoted code is meant for the container's shell
selftest() {
  local W; W=$(mktemp -d)
  CLEANUP+=("rm -rf '$W'")
  mkdir -p "$W/src"
  echo 'v1' >"$W/src/version"
  # A fresh value each run, so build 1 never comes wholly from an earlier selftest's cache.
  echo "$$-$(date +%s%N)" >"$W/src/nonce"
  # No network needed: only the local debian image. The cache mount keeps a counter
  # that survives between builds, which the rebuild checks.
  cat >"$W/Dockerfile" <<'EOF'
FROM debian:bookworm-slim AS build
RUN <<EOT
set -e
mkdir -p /out
echo heredoc-ok > /out/heredoc
EOT

COPY src/ /src/
RUN --mount=type=cache,target=/cache \
    n=$(cat /cache/count 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > /cache/count; \
    echo "$(cat /src/version) build=$n" > /out/info

FROM debian:bookworm-slim
COPY --from=build /out/ /app/
USER 10001:10001
CMD ["sh", "-c", "echo \"$(cat /app/info) $(cat /app/heredoc) uid=$(id -u)\""]
EOF
  dk image rm -f imgspec-engine-selftest >/dev/null 2>&1 || true

  log "selftest: build 1"
  selftest_build 1 "$W"
  local out n
  out=$(dk run --rm --network=none imgspec-engine-selftest)
  n=$(printf '%s\n' "$out" | sed -n 's/^v1 build=\([0-9]*\) .*/\1/p')
  [ -n "$n" ] || die "selftest: unexpected output '$out'"
  expect_eq "first build: heredoc RUN, USER 10001" "$out" "v1 build=$n heredoc-ok uid=10001"
  local first; first=$(image_id imgspec-engine-selftest)

  echo 'v2' >"$W/src/version"
  log "selftest: build 2 after editing src/version"
  selftest_build 2 "$W"
  grep -q ' CACHED$' "$W/build2.log" || { cat "$W/build2.log" >&2; die "selftest: rebuild shows no CACHED step"; }
  log "ok: rebuild reports $(grep -c ' CACHED$' "$W/build2.log") CACHED steps"
  expect_eq "rebuild picked up the edit, cache mount kept its content" \
    "$(dk run --rm --network=none imgspec-engine-selftest)" "v2 build=$((n + 1)) heredoc-ok uid=10001"
  dk image rm imgspec-engine-selftest "$first" >/dev/null

  log "selftest: stand-in images"
  expect_eq "debian: bash, useradd" "$(dk run --rm --network=none debian:bookworm-slim bash -c 'command -v useradd groupadd >/dev/null && echo yes')" yes
  expect_eq "python venv" "$(dk run --rm --network=none python:3.11-slim-bookworm python -c 'import venv, sys; print(sys.version_info[:2] == (3, 11))')" True
  expect_eq "node user" "$(dk run --rm --network=none --user node node:18-bookworm-slim sh -c 'node -e "console.log(process.version.split(\".\")[0])"; id -u; echo $HOME' | paste -sd' ')" "v18 1000 /home/node"
  expect_eq "go" "$(dk run --rm --network=none golang:1.19-bookworm sh -c 'go version | cut -d" " -f3 | cut -d. -f1,2')" go1.19
  expect_eq "cargo" "$(dk run --rm --network=none rust:1.63-slim-bookworm sh -c 'rustc --version | cut -d" " -f2 | cut -d. -f1,2')" 1.63
  expect_eq "distroless user" "$(dk image inspect -f '{{.Config.User}}' gcr.io/distroless/static-debian12:nonroot)" 65532:65532
  expect_eq "distroless cc user" "$(dk image inspect -f '{{.Config.User}}' gcr.io/distroless/cc-debian12:nonroot)" 65532:65532
  # A glibc program (it needs libc only) runs on the cc stand-in, which has no shell.
  printf '%s\n' 'FROM gcr.io/distroless/cc-debian12:nonroot' \
    'COPY --from=debian:bookworm-slim /usr/bin/getconf /getconf' \
    | dk build -q -t imgspec-engine-selftest-cc - >/dev/null
  expect_eq "distroless cc runs a glibc program" \
    "$(dk run --rm --network=none imgspec-engine-selftest-cc /getconf GNU_LIBC_VERSION)" "glibc 2.36"
  dk image rm imgspec-engine-selftest-cc >/dev/null

  # The Debian 13 (trixie) stand-ins.
  expect_eq "debian 13: bash, useradd" "$(dk run --rm --network=none debian:trixie-slim bash -c 'command -v useradd groupadd >/dev/null && cut -d. -f1 /etc/debian_version')" 13
  expect_eq "python 3.13 venv" "$(dk run --rm --network=none python:3.13-slim-trixie python -c 'import venv, sys; print(sys.version_info[:2] == (3, 13))')" True
  expect_eq "node 20 user, yarn" "$(dk run --rm --network=none --user node node:20-trixie-slim sh -c 'node -e "console.log(process.version.split(\".\")[0])"; id -u; echo $HOME; yarn --version' | paste -sd' ')" "v20 1000 /home/node 1.22.22"
  expect_eq "cargo 1.85" "$(dk run --rm --network=none rust:1.85-slim-trixie sh -c 'cargo --version | cut -d" " -f2 | cut -d. -f1,2')" 1.85
  expect_eq "distroless 13 user" "$(dk image inspect -f '{{.Config.User}}' gcr.io/distroless/static-debian13:nonroot)" 65532:65532
  printf '%s\n' 'FROM gcr.io/distroless/cc-debian13:nonroot' \
    'COPY --from=debian:trixie-slim /usr/bin/getconf /getconf' \
    | dk build -q -t imgspec-engine-selftest-cc - >/dev/null
  expect_eq "distroless cc 13 runs a trixie glibc program" \
    "$(dk run --rm --network=none imgspec-engine-selftest-cc /getconf GNU_LIBC_VERSION)" "glibc 2.41"
  dk image rm imgspec-engine-selftest-cc >/dev/null

  local c
  c=$(dk run -d --network=none nginx-unprivileged:bookworm)
  CLEANUP+=("dk rm -f $c >/dev/null 2>&1")
  out=""
  for _ in $(seq 1 40); do
    out=$(dk run --rm --network "container:$c" python:3.11-slim-bookworm python -c \
      'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8080/").status)' 2>/dev/null) && break
    sleep 0.25
  done
  expect_eq "nginx serves on 8080" "$out" 200
  expect_eq "nginx runs as uid 101" "$(dk exec "$c" awk '/^Uid:/ {print $2}' /proc/1/status)" 101
  dk rm -f "$c" >/dev/null
  log "selftest OK"
}

# ---------------------------------------------------------------------------- registry

# A Distribution registry (Debian's docker-registry) with TLS and token authentication,
# as Docker Hub and GHCR run theirs. The registry answers 401 with a Bearer challenge;
# the token server (scripts/registry.py serve-token, TLS too) issues the JWTs it
# verifies. Anyone may pull library/*; the credentials grant everything everywhere.
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REG=$PREFIX/registry
REG_HOST=localhost:5443            # the name images are pushed and pulled under
REG_LISTEN=127.0.0.1:5443
TOKEN_LISTEN=127.0.0.1:5444
TOKEN_REALM=https://localhost:5444/token
REG_SERVICE=imgspec-registry       # the `service` of the challenge and the tokens' audience
REG_ISSUER=imgspec-token-server
REG_USER=imgspec
REG_PASSWORD=imgspec-registry
# dockerd reads a registry's CA from here at every push and pull (no restart needed).
# It treats 127.0.0.0/8 as insecure by default and does not verify there; clients do.
REG_CERTS_D=/etc/docker/certs.d/$REG_HOST
PY=/usr/bin/python3

# The stand-ins pushed: the recipe that makes the local image, the image, then the
# REPO:TAG names it gets in the registry. (library/tool and private/app are generated by
# registry.py: see `registry.py publish`.)
REGISTRY_PUSH=(
  "python          python:3.11-slim-bookworm          library/python:3.11-slim-bookworm library/python:3.11"
  "node            node:18-bookworm-slim              library/node:18-bookworm-slim"
  "debian_bookworm debian:bookworm-slim               library/debian:bookworm-slim library/debian:12-slim"
  "golang          golang:1.19-bookworm               library/golang:1.19-bookworm"
  "nginx           nginx-unprivileged:bookworm        library/nginx-unprivileged:bookworm-amd64"
  "nginx_arm64     nginx-unprivileged:bookworm-arm64  library/nginx-unprivileged:bookworm-arm64"
)
# Indexes made of pushed images: REPO:TAG, then the tags (in REPO) of its images.
REGISTRY_INDEXES=(
  "library/nginx-unprivileged:bookworm bookworm-amd64 bookworm-arm64"
)

reg_py() { # reg_py COMMAND ARGS...: a registry.py client command with the credentials
  "$PY" "$SCRIPTS/registry.py" "$1" --registry "$REG_HOST" --ca "$REG/ca.crt" \
    --user "$REG_USER" --password "$REG_PASSWORD" "${@:2}"
}

# The pid in FILE, when that process runs and its command line holds WORD.
pid_alive() {
  local p
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  printf '%s\n' "$p"
}

stop_pid() { # stop_pid FILE WORD NAME
  local pid _
  if pid=$(pid_alive "$1" "$2"); then
    log "stopping $3 pid $pid"
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$1"
}

stop_registry() {
  stop_pid "$REG/token.pid" registry.py "the registry's token server"
  stop_pid "$REG/registry.pid" docker-registry "the registry"
}

# HTTP status of an HTTPS GET that trusts only the registry's CA ("000": no answer).
reg_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$REG/ca.crt" "$1" || true; }

registry_answers() {
  [ -f "$REG/ca.crt" ] \
    && [ "$(reg_status "https://$REG_HOST/v2/")" = 401 ] \
    && [ "$(reg_status "$TOKEN_REALM?service=$REG_SERVICE")" = 200 ]
}

# The CA (made once: clients trust it), the registry's and the token server's TLS
# certificate (localhost, 127.0.0.1, ::1; issued again when missing, expiring within a
# day or not from this CA), and the key that signs the tokens with its self-signed
# certificate, the registry's rootcertbundle.
registry_certs() {
  local ossl=$LOGS/registry-openssl.log
  mkdir -p "$REG"
  if [ ! -s "$REG/ca.crt" ] || [ ! -s "$REG/ca.key" ]; then
    log "registry: making a CA ($REG/ca.crt)"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=imgspec engine test registry CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$REG/ca.key.new" -out "$REG/ca.crt.new") >"$ossl" 2>&1 || { cat "$ossl" >&2; die "openssl: CA"; }
    chmod 644 "$REG/ca.crt.new"
    mv "$REG/ca.key.new" "$REG/ca.key"
    mv "$REG/ca.crt.new" "$REG/ca.crt"
    rm -f "$REG/server.crt"
  fi
  if ! openssl verify -CAfile "$REG/ca.crt" "$REG/server.crt" >/dev/null 2>&1 \
    || ! openssl x509 -checkend 86400 -noout -in "$REG/server.crt" >/dev/null 2>&1; then
    log "registry: issuing the TLS certificate for localhost"
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' >"$REG/server.ext"
    { (umask 077 && openssl req -new -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$REG/server.key" -out "$REG/server.csr") \
      && openssl x509 -req -in "$REG/server.csr" -CA "$REG/ca.crt" -CAkey "$REG/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 -extfile "$REG/server.ext" \
        -out "$REG/server.crt"; } >"$ossl" 2>&1 || { cat "$ossl" >&2; die "openssl: server certificate"; }
    rm -f "$REG/server.csr" "$REG/server.ext"
  fi
  if [ ! -s "$REG/token.key" ] || [ ! -s "$REG/token.crt" ]; then
    log "registry: making the token signing key"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=imgspec engine registry token signer" \
      -keyout "$REG/token.key" -out "$REG/token.crt") >"$ossl" 2>&1 || { cat "$ossl" >&2; die "openssl: token key"; }
    chmod 644 "$REG/token.crt"
  fi
}

registry_config() {
  [ -s "$REG/http-secret" ] || (umask 077 && openssl rand -hex 32 >"$REG/http-secret")
  local want
  want=$(cat <<EOF
# Generated by scripts/engine.sh registry.
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REG/data
  delete:
    enabled: true
http:
  addr: $REG_LISTEN
  secret: $(cat "$REG/http-secret")
  tls:
    certificate: $REG/server.crt
    key: $REG/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: $TOKEN_REALM
    service: $REG_SERVICE
    issuer: $REG_ISSUER
    rootcertbundle: $REG/token.crt
EOF
)
  if [ "$(cat "$REG/config.yml" 2>/dev/null || true)" != "$want" ]; then
    (umask 077 && printf '%s\n' "$want" >"$REG/config.yml")
  fi
  # The token server runs from a copy, so that it does not depend on this checkout.
  cmp -s "$SCRIPTS/registry.py" "$REG/registry.py" || cp "$SCRIPTS/registry.py" "$REG/registry.py"
}

# Start the registry and its token server unless both run with the current settings
# (a hash of the configuration, the certificates and the token server's code).
registry_processes() {
  local token_args=(
    --listen "$TOKEN_LISTEN" --cert "$REG/server.crt" --key "$REG/server.key"
    --signing-key "$REG/token.key" --issuer "$REG_ISSUER" --service "$REG_SERVICE"
    --user "$REG_USER" --password "$REG_PASSWORD"
  )
  local want
  want=$(cat "$REG/config.yml" "$REG/registry.py" "$REG/server.crt" "$REG/token.crt" /usr/bin/docker-registry \
    <(printf '%s\n' "${token_args[@]}") | sha256sum | cut -c1-16)
  if pid_alive "$REG/registry.pid" docker-registry >/dev/null && pid_alive "$REG/token.pid" registry.py >/dev/null \
    && [ "$(cat "$REG/running" 2>/dev/null || true)" = "$want" ] && registry_answers; then
    return 0
  fi
  stop_registry
  mkdir -p "$REG/data"
  local f
  for f in "$REG/registry.log" "$REG/token.log"; do # keep the logs small
    [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -lt 8000000 ] || mv "$f" "$f.1"
  done
  log "registry: starting on https://$REG_HOST (token server $TOKEN_REALM; logs in $REG/)"
  printf '\n==== %s engine.sh registry\n' "$(date -u +%FT%TZ)" | tee -a "$REG/registry.log" >>"$REG/token.log"
  # setsid: outlive this shell; 9>&- : not inherit the lock. Not a process group leader,
  # setsid execs in place, so $! is the server's pid.
  setsid /usr/bin/docker-registry serve "$REG/config.yml" </dev/null >>"$REG/registry.log" 2>&1 9>&- &
  echo $! >"$REG/registry.pid"
  setsid "$PY" "$REG/registry.py" serve-token "${token_args[@]}" </dev/null >>"$REG/token.log" 2>&1 9>&- &
  echo $! >"$REG/token.pid"
  local _
  for _ in $(seq 1 80); do
    if registry_answers; then
      printf '%s\n' "$want" >"$REG/running"
      log "registry up (pids $(cat "$REG/registry.pid"), $(cat "$REG/token.pid"))"
      return 0
    fi
    pid_alive "$REG/registry.pid" docker-registry >/dev/null || { tail -n 30 "$REG/registry.log" >&2; die "the registry exited"; }
    pid_alive "$REG/token.pid" registry.py >/dev/null || { tail -n 30 "$REG/token.log" >&2; die "the token server exited"; }
    sleep 0.25
  done
  tail -n 20 "$REG/registry.log" "$REG/token.log" >&2
  die "the registry does not answer on https://$REG_HOST/v2/ after 20 s"
}

# dockerd trusts the CA for localhost:5443; pushes use a Docker client configuration of
# their own that holds the credentials, so the engine's own stays anonymous.
registry_clients() {
  mkdir -p "$REG_CERTS_D" "$REG/docker-config" "$REG/trust"
  cmp -s "$REG/ca.crt" "$REG_CERTS_D/ca.crt" || cp "$REG/ca.crt" "$REG_CERTS_D/ca.crt"
  # The token server (another port) is asked by the client, buildx, not by the
  # daemon, and certs.d is the daemon's: the client trusts the CA through SSL_CERT_DIR.
  cmp -s "$REG/ca.crt" "$REG/trust/ca.crt" || cp "$REG/ca.crt" "$REG/trust/ca.crt"
  local auth want
  auth=$(printf '%s:%s' "$REG_USER" "$REG_PASSWORD" | base64 -w0)
  want=$(printf '{"auths": {"%s": {"auth": "%s"}}}' "$REG_HOST" "$auth")
  [ "$(cat "$REG/docker-config/config.json" 2>/dev/null || true)" = "$want" ] \
    || (umask 077 && printf '%s\n' "$want" >"$REG/docker-config/config.json")
}

# Push each stand-in under its names, unless the registry holds the digest that this
# image was last pushed as (its RepoDigests) under that name already.
registry_push() {
  local entry src refs ref have
  for entry in "${REGISTRY_PUSH[@]}"; do
    read -r _ src refs <<<"$entry"
    for ref in $refs; do
      alias_tags "$src" "$REG_HOST/$ref"
      have=$(reg_py digest "$ref" || true)
      if [ -n "$have" ] && dk image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$src" \
        | grep -qxF "$REG_HOST/${ref%:*}@$have"; then
        continue
      fi
      log "registry: docker push $REG_HOST/$ref"
      PATH="$BIN:$PATH" DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$REG/docker-config" \
        "$BIN/docker" push "$REG_HOST/$ref" >"$LOGS/registry-push.log" 2>&1 \
        || { tail -n 20 "$LOGS/registry-push.log" >&2; die "docker push $REG_HOST/$ref failed"; }
    done
  done
  : >"$LOGS/registry-publish.log"
  for entry in "${REGISTRY_INDEXES[@]}"; do
    # shellcheck disable=SC2086 # the entry's words are the arguments
    reg_py index $entry >>"$LOGS/registry-publish.log" 2>&1 \
      || { cat "$LOGS/registry-publish.log" >&2; die "registry.py index $entry failed"; }
  done
  reg_py publish >>"$LOGS/registry-publish.log" 2>&1 \
    || { cat "$LOGS/registry-publish.log" >&2; die "registry.py publish failed"; }
  sed 's/^/[engine] registry: /' "$LOGS/registry-publish.log" | grep -v 'up to date' >&2 || true
}

write_registry_env() {
  local want
  want=$(cat <<EOF
# Generated by scripts/engine.sh registry - the engine's local registry (sourced by env.sh).
export IMGSPEC_REGISTRY=$REG_HOST
export IMGSPEC_REGISTRY_CA="$REG/ca.crt"
export IMGSPEC_REGISTRY_USER=$REG_USER
export IMGSPEC_REGISTRY_PASSWORD=$REG_PASSWORD
export SSL_CERT_DIR=/etc/ssl/certs:$REG/trust
EOF
)
  [ "$(cat "$REG/env.sh" 2>/dev/null || true)" = "$want" ] || printf '%s\n' "$want" >"$REG/env.sh"
}

# Debian's package enables a registry of its own at boot (port 5000, no authentication,
# /etc/docker/registry/config.yml); the engine's is started by this script alone.
registry_no_boot_service() {
  local wants=/etc/systemd/system/multi-user.target.wants/docker-registry.service
  if [ -e "$wants" ] || [ -L "$wants" ]; then
    deb-systemd-helper disable docker-registry.service >/dev/null 2>&1 || rm -f "$wants"
  fi
  if compgen -G '/etc/rc[2-5].d/S*docker-registry' >/dev/null; then
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
  fi
}

# `engine.sh registry`: the engine (and the stand-ins pushed, when they are missing),
# then the registry, its contents and $REG/env.sh.
registry() {
  command -v apt-get >/dev/null || die "needs a Debian host (apt-get)"
  apt_install docker-registry openssl curl python3 ca-certificates
  registry_no_boot_service
  install_engine
  start_dockerd
  local entry recipe src missing=()
  for entry in "${REGISTRY_PUSH[@]}"; do
    read -r recipe src _ <<<"$entry"
    [ -n "$(image_id "$src")" ] || missing+=("$recipe")
  done
  # Only missing stand-ins are made: a rebuild is `start`'s business.
  [ "${#missing[@]}" -eq 0 ] || make_images "${missing[@]}"
  registry_certs
  registry_config
  registry_processes
  registry_clients
  registry_push
  write_registry_env
  write_env
  log "registry ready: https://$REG_HOST (CA $REG/ca.crt; . $PREFIX/env.sh)"
}

registry_move() {
  [ -f "$REG/ca.crt" ] && registry_answers || die "the registry is not running: run $0 registry first"
  reg_py move "$1"
}

# ---------------------------------------------------------------------------- builders

# A builder as a CI runner starts it: another dockerd, with the containerd image store
# (whose docker driver exports and imports registry caches and builds several platforms
# at once; the default store does neither), its own data, containerd and socket, and an
# empty cache. It uses the same local registry: `builder` needs `registry` first.
BUILDERS=$PREFIX/builders

builder_dir() {
  [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,10}$ ]] || die "builder name '$1': up to 11 lower-case letters, digits and -"
  printf '%s\n' "$BUILDERS/$1"
}

# `engine.sh builder NAME`: stop the builder of that name if it runs, remove all it had,
# and start it afresh; then $BUILDERS/NAME/env.sh points a docker client at it.
builder_start() {
  local dir pid _
  dir=$(builder_dir "$1")
  registry_answers || die "the registry is not running: run $0 registry first"
  apt_install tinyproxy-bin iproute2 procps
  builder_stop "$1"
  mkdir -p "$dir/docker-config"
  printf '{"features": {"containerd-snapshotter": true}}\n' >"$dir/daemon.json"
  # A bridge of its own (docker0 is the main engine's), on a free 10.213.N.0/24, with
  # no route out (no NAT: the host's firewall is left alone). RUN steps reach the
  # package registries through a proxy on the bridge's address, which the client's
  # configuration hands to every build (HTTP_PROXY and the like, which BuildKit keeps
  # out of the cache keys), as on a CI runner behind a proxy: so bake, which cannot
  # ask for the host's network, builds as it would there.
  local bridge=isb-$1 n
  for n in $(seq 1 250); do
    ip -br -4 addr | grep -q " 10\.213\.$n\.1/" || break
  done
  ip link add name "$bridge" type bridge
  ip addr add "10.213.$n.1/24" dev "$bridge"
  ip link set "$bridge" up
  cat >"$dir/tinyproxy.conf" <<EOF
Listen 10.213.$n.1
Port 3128
Allow 10.213.$n.0/24
ConnectPort 443
ConnectPort 80
Timeout 120
MaxClients 64
LogLevel Warning
LogFile "$dir/tinyproxy.log"
PidFile "$dir/tinyproxy.pid"
EOF
  tinyproxy -c "$dir/tinyproxy.conf" 9>&- || die "builder $1: tinyproxy did not start"
  local proxy=http://10.213.$n.1:3128
  python3 - "$REG/docker-config/config.json" "$proxy" >"$dir/docker-config/config.json" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))
config["proxies"] = {"default": {"httpProxy": sys.argv[2], "httpsProxy": sys.argv[2], "noProxy": "localhost,127.0.0.1"}}
json.dump(config, sys.stdout, indent=2)
EOF
  ln -sfn "$DOCKER_CFG/cli-plugins" "$dir/docker-config/cli-plugins"
  log "builder $1: starting a fresh dockerd (containerd image store; log $dir/dockerd.log)"
  # SSL_CERT_DIR: the containerd store's push asks the token server from the daemon.
  SSL_CERT_DIR=/etc/ssl/certs:$REG/trust PATH="$BIN:$PATH" setsid "$BIN/dockerd" --config-file "$dir/daemon.json" \
    --iptables=false --ip-forward=false --bridge="$bridge" \
    --data-root "$dir/data" --exec-root "$dir/exec" \
    --host "unix://$dir/docker.sock" --pidfile "$dir/dockerd.pid" \
    </dev/null >>"$dir/dockerd.log" 2>&1 9>&- &
  pid=$!
  cat >"$dir/env.sh" <<EOF
# Generated by scripts/engine.sh builder $1 - a fresh builder beside the engine.
export PATH="$BIN:\$PATH"
export DOCKER_HOST="unix://$dir/docker.sock"
export DOCKER_CONFIG="$dir/docker-config"
export DOCKER_BUILDKIT=1
export SSL_CERT_DIR=/etc/ssl/certs:$REG/trust
EOF
  for _ in $(seq 1 120); do
    if PATH="$BIN:$PATH" DOCKER_HOST="unix://$dir/docker.sock" "$BIN/docker" version >/dev/null 2>&1; then
      log "builder $1 up (pid $pid): . $dir/env.sh"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 40 "$dir/dockerd.log" >&2 || true
  die "builder $1: dockerd did not come up"
}

# `engine.sh builder-stop NAME`: stop it and remove its data.
builder_stop() {
  local dir m
  dir=$(builder_dir "$1")
  if [ ! -d "$dir" ]; then
    ! ip link show "isb-$1" >/dev/null 2>&1 || ip link del "isb-$1"
    return 0
  fi
  stop_pid "$dir/dockerd.pid" dockerd "builder $1's dockerd"
  stop_pid "$dir/tinyproxy.pid" tinyproxy "builder $1's proxy"
  { findmnt -rn -o TARGET | grep "^$dir/" || true; } | sort -r | while read -r m; do umount "$m" || true; done
  rm -rf "$dir"
  ! ip link show "isb-$1" >/dev/null 2>&1 || ip link del "isb-$1"
}

stop_builders() {
  local dir
  for dir in "$BUILDERS"/*/; do
    [ -d "$dir" ] && builder_stop "$(basename "$dir")"
  done
  return 0
}

# ---------------------------------------------------------------------------- rootless

# A rootless engine: the same dockerd, run by an unprivileged user through Docker's
# dockerd-rootless.sh (shipped in Debian's docker.io), with Debian's rootlesskit (a user
# namespace from the user's /etc/subuid range, via uidmap's newuidmap), slirp4netns (the
# network, through /dev/net/tun) and the kernel's overlay file system inside the user
# namespace. No process of it runs as root on the host.
ROOTLESS_USER=imgspec-rootless
ROOTLESS=$PREFIX/rootless

rootless_env() { # rootless_env UID: the environment the user's engine and clients run with
  printf '%s\n' "HOME=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)" "USER=$ROOTLESS_USER" \
    "XDG_RUNTIME_DIR=/run/user/$1" "DOCKER_HOST=unix:///run/user/$1/docker.sock" \
    "PATH=$BIN:$DEFAULT_PATH"
}

as_rootless() { # as_rootless COMMAND...: run as the rootless user, in its environment
  local uid; uid=$(id -u "$ROOTLESS_USER")
  # shellcheck disable=SC2046 # one word per variable
  setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups \
    env -i $(rootless_env "$uid") "$@"
}

rootless_answers() { as_rootless docker version >/dev/null 2>&1; }

# `engine.sh rootless`: the user, its subordinate ids, the tools, then the engine.
rootless_start() {
  apt_install rootlesskit slirp4netns uidmap util-linux procps passwd
  install_engine
  if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
    log "rootless: adding the user $ROOTLESS_USER"
    useradd --create-home --shell /bin/bash --user-group "$ROOTLESS_USER"
  fi
  local uid home
  uid=$(id -u "$ROOTLESS_USER")
  home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  for f in /etc/subuid /etc/subgid; do
    grep -q "^$ROOTLESS_USER:" "$f" || die "$f has no range for $ROOTLESS_USER (useradd adds one; add one with usermod --add-subuids/--add-subgids)"
  done
  # slirp4netns opens /dev/net/tun as the user: Debian's udev makes it 0666.
  if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    log "rootless: /dev/net/tun to mode 0666, as Debian's udev rule sets it"
    chmod 0666 /dev/net/tun
  fi
  install -d -o "$ROOTLESS_USER" -g "$ROOTLESS_USER" -m 700 "/run/user/$uid"
  install -d -o "$ROOTLESS_USER" -g "$ROOTLESS_USER" "$home/.docker" "$home/.docker/cli-plugins"
  ln -sfn "$ROOT/usr/libexec/docker/cli-plugins/docker-buildx" "$home/.docker/cli-plugins/docker-buildx"
  mkdir -p "$ROOTLESS"
  rootless_env "$uid" | sed 's/^/export /' >"$ROOTLESS/env"
  printf 'export ROOTLESS_USER=%s\n' "$ROOTLESS_USER" >>"$ROOTLESS/env"
  rootless_answers && { log "rootless engine up (as $ROOTLESS_USER)"; return 0; }
  log "rootless: starting dockerd-rootless.sh as $ROOTLESS_USER (log $ROOTLESS/dockerd.log)"
  # --iptables=false as for the engine: builds that fetch use --network=host, which
  # here is slirp4netns's network namespace.
  as_rootless setsid sh "$ROOT/usr/share/docker.io/contrib/dockerd-rootless.sh" --iptables=false \
    </dev/null >>"$ROOTLESS/dockerd.log" 2>&1 9>&- &
  local _
  for _ in $(seq 1 120); do
    rootless_answers && { log "rootless engine up (as $ROOTLESS_USER; . $ROOTLESS/env)"; return 0; }
    sleep 0.25
  done
  tail -n 40 "$ROOTLESS/dockerd.log" >&2 || true
  die "the rootless engine did not come up"
}

# `engine.sh rootless-load IMAGE...`: the engine's images into the rootless engine,
# unless it has them (same image id) already.
rootless_load() {
  local want=() image
  for image in "$@"; do
    [ -n "$(image_id "$image")" ] || die "rootless-load: the engine has no image $image"
    [ "$(as_rootless docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)" = "$(image_id "$image")" ] \
      || want+=("$image")
  done
  [ "${#want[@]}" -eq 0 ] && return 0
  log "rootless: loading ${want[*]}"
  dk save "${want[@]}" | as_rootless docker load >/dev/null
}

# Every process of the user is the engine's: rootlesskit ends dockerd and its children.
rootless_stop() {
  id "$ROOTLESS_USER" >/dev/null 2>&1 && pgrep -u "$ROOTLESS_USER" >/dev/null || return 0
  log "stopping the rootless engine"
  pkill -TERM -u "$ROOTLESS_USER" -x rootlesskit || true
  local _
  for _ in $(seq 1 80); do
    pgrep -u "$ROOTLESS_USER" >/dev/null || return 0
    sleep 0.25
  done
  pkill -KILL -u "$ROOTLESS_USER" || true
}

# ---------------------------------------------------------------------------- main

status() {
  if [ -x "$BIN/docker" ] && engine_answers; then
    dk version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
    dk buildx version 2>/dev/null || true
    echo "socket unix://$SOCK, pid $(dockerd_pid || echo '?'); use: . $PREFIX/env.sh"
    if registry_answers 2>/dev/null; then
      echo "registry https://$REG_HOST, token server $TOKEN_REALM (CA $REG/ca.crt)"
    else
      echo "registry not running (start it with: $0 registry)"
    fi
  else
    echo "engine is down (no answer on unix://$SOCK)"
    return 1
  fi
}

start() {
  command -v apt-get >/dev/null || die "needs a Debian host (apt-get)"
  install_engine
  start_dockerd
  make_images "$@"
  log "ready: . $PREFIX/env.sh"
}

main() {
  local cmd=${1:-start}
  case "$cmd" in
    start | selftest | stop | image | registry | registry-move | builder | builder-stop | rootless | rootless-load) ;;
    status) status; return ;;
    -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; return 0 ;;
    *) echo "usage: $0 [start|stop|status|selftest|image NAME...|registry|registry-move REPO:TAG|builder NAME|builder-stop NAME|rootless|rootless-load IMAGE...]" >&2; exit 2 ;;
  esac
  [ "$(id -u)" = 0 ] || die "must run as root"
  mkdir -p "$PREFIX" "$LOGS"
  # One start/stop/selftest at a time per prefix.
  exec 9>"$PREFIX/.lock"
  flock 9
  case "$cmd" in
    start) start ;;
    selftest) start; selftest ;;
    stop) rootless_stop; stop_builders; stop_registry; stop_dockerd ;;
    rootless) rootless_start ;;
    rootless-load)
      shift
      rootless_start
      start_dockerd
      rootless_load "$@" ;;
    builder | builder-stop)
      [ $# -eq 2 ] || die "$cmd: name one builder (e.g. cold-a)"
      if [ "$cmd" = builder ]; then builder_start "$2"; else builder_stop "$2"; fi ;;
    registry) registry ;;
    registry-move)
      [ $# -eq 2 ] || die "registry-move: name one REPO:TAG (e.g. library/python:3.11)"
      registry_move "$2" ;;
    image)
      shift
      [ $# -gt 0 ] || die "image: name at least one recipe (${STANDINS[*]%% *})"
      start "$@" ;;
  esac
}

main "$@"

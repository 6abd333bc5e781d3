#!/bin/sh
# Warms the application's cache directory, then runs the command.
set -e
mkdir -p /srv/shop/var/cache/sessions
exec "$@"

"""The e2e poetry service (see wsgi.py)."""

"""The e2e uv service (see wsgi.py)."""

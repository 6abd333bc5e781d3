"""The e2e pip-extra service (see wsgi.py)."""

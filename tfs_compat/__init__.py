"""A TF-Serving-compatible model server in Python (see README.md)."""

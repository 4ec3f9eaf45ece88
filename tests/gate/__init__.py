"""The docs gate: runs every code block a reader sees, page by page.

See docs/contributing.md for the rules a page follows; this package implements them.
"""

# The docs gate lives in tests/gate; registering it here lets pytest collect docs/*.md.
pytest_plugins = ["tests.gate.plugin"]

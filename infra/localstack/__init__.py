"""The pieces of `make run` (infra/local.py): settings, secrets, snapshot, servers, bootstrap.

Each module does one thing and does no I/O at import time; `runner.run()` puts them together.
"""

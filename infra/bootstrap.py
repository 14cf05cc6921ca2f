"""Create the first superadmin of a deployed stage (dev/prod) from the command line.

    STAGE=dev TABLE_PREFIX=... SECRET_KEY_PARAM=... ENCRYPTION_KEY_PARAM=... \\
        .venv/bin/python infra/bootstrap.py --username root [--email ops@example.com]

Settings come from the environment exactly as in Lambda (secrets from SSM when `*_PARAM` is
set). The password is generated unless `--password-stdin` reads one; it and the TOTP secret are
printed once and never stored in plain text. Refuses when a superadmin exists (`--force` adds
another).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))


def bootstrap(container: Any, username: str, email: str | None, password: str | None,
              force: bool = False) -> dict[str, str]:
    """Create a superadmin through AccountService; returns what must be shown to the operator once."""
    from chalicelib.core.errors import Conflict

    existing, _ = container.users_table.list_users(1, None, role="superadmin")
    if existing and not force:
        raise Conflict("A superadmin already exists; use --force to add another.", code="superadmin_exists")
    password = password or secrets.token_urlsafe(18)
    user_id, totp_secret = container.accounts.create_superadmin(username, password, email)
    uri = container.totp.enrollment(totp_secret, username)["provisioning_uri"]
    return {"user_id": user_id, "username": username, "password": password, "totp_secret": totp_secret,
            "provisioning_uri": uri}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--email")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--force", action="store_true", help="add a superadmin even if one exists")
    args = parser.parse_args(argv)

    from chalicelib.container import Container
    from chalicelib.core.errors import AppError
    from chalicelib.core.settings import get_settings

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        shown = bootstrap(Container(get_settings()), args.username, args.email, password, args.force)
    except (AppError, ValueError) as err:
        print(f"bootstrap: {getattr(err, 'message', err)}", file=sys.stderr)
        return 1
    print("Superadmin created. Shown once; keep it in a password manager:")
    for key, value in shown.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the Chalice CLI for a Lambda Python runtime other than the interpreter running it.

Chalice 1.34 takes the function runtime (and the ABI of the layer's wheels) from
`sys.version_info` of the process that packages. Our virtualenv is Python 3.11; Lambda runs
`LAMBDA_RUNTIME` (infra/package.py says why). This module pins Chalice's runtime to it and
makes pip fetch wheels for that Python (`PIP_PYTHON_VERSION`; pip then needs binary wheels
only, which Lambda needs anyway). Run as:

    python -m infra.chalice_runtime python3.12 --project-dir ... package ...
"""

from __future__ import annotations

import os
import re
import sys

_RUNTIME = re.compile(r"python(3\.\d+)")


def main(argv: list[str]) -> None:
    runtime, chalice_args = argv[0], argv[1:]
    match = _RUNTIME.fullmatch(runtime)
    if match is None:
        raise SystemExit(f"not a Lambda Python runtime: {runtime!r}")
    from chalice import config
    from chalice.cli import main as chalice_main

    # A property on the class: every Config Chalice builds answers the pinned runtime.
    config.Config.lambda_python_version = property(lambda _self: runtime)  # type: ignore[assignment,method-assign]
    os.environ["PIP_PYTHON_VERSION"] = match.group(1)
    os.environ["PIP_ONLY_BINARY"] = ":all:"
    sys.argv = ["chalice", *chalice_args]
    sys.exit(chalice_main())


if __name__ == "__main__":
    main(sys.argv[1:])

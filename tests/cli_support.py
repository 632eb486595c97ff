"""Running the command line as a user does (a subprocess) and checking how it failed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

# The interpreter of this test run, with the CLI as `python -m quickmeans`.
QUICKMEANS = (sys.executable, "-m", "quickmeans")


def cli(*args: object, env: Mapping[str, str] | None = None, timeout: float = 120,
        wrapper: str | None = None, **kwargs: object) -> subprocess.CompletedProcess:
    """Run quickmeans with ``args``; ``wrapper`` is Python run first, in the same process
    (to take an optional package away, for example), before ``main`` is called."""
    full_env = {**os.environ, **(env or {})}
    if wrapper is None:
        command = [*QUICKMEANS, *map(str, args)]
    else:
        code = (f"{wrapper}\nimport sys\nfrom quickmeans.__main__ import main\n"
                "sys.exit(main(sys.argv[1:]))")
        command = [sys.executable, "-c", code, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=full_env, **kwargs)


def assert_one_error(result: subprocess.CompletedProcess, *fragments: str,
                     status: int = 2) -> str:
    """The run failed with ``status`` and exactly one stderr line holding each fragment."""
    lines = result.stderr.splitlines()
    assert result.returncode == status, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("quickmeans: error: "), lines
    assert "internal error" not in lines[0], lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]

"""Every package imports on its own, in a fresh interpreter.

Domains import each other (notices award points; points publish checkpoints as notices), so
whether an import cycle breaks depends on which module a process loads first. The test suite
loads everything through its conftest, so a cycle there only shows in a process that starts
elsewhere: `python -m api` (every CLI command) or a worker importing one domain first.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _packages() -> list[str]:
    found = ["api.__main__", "schema.__main__"]
    for top in ("api", "schema", "services", "seed"):
        found.append(top)
        for init in sorted((ROOT / top).glob("*/__init__.py")):
            if init.parent.name != "migrations":
                found.append(f"{top}.{init.parent.name}")
        for module in sorted((ROOT / top).glob("*.py")):
            if module.stem not in ("__init__", "__main__"):
                found.append(f"{top}.{module.stem}")
    return found


def _import_alone(name: str) -> str | None:
    """The last line of the error when `name` fails to import first in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", "import importlib, sys; importlib.import_module(sys.argv[1])", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]


def test_every_package_imports_first_in_a_fresh_interpreter() -> None:
    # given the CLI's entry point and every package and top-level module, each loaded first
    names = _packages()
    assert {"api.__main__", "services.points", "services.notices"} <= set(names)
    # when each is imported alone in a new interpreter (four at a time)
    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = dict(zip(names, pool.map(_import_alone, names), strict=True))
    # then every one of them imports cleanly
    assert {name: error for name, error in errors.items() if error is not None} == {}

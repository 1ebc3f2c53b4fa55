"""`python -m schema [--output FILE]`: the SDL of the default schema, on stdout or into FILE
(`make schema` writes the committed schema/schema.graphql)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schema.build import default_schema


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m schema", description=__doc__)
    parser.add_argument(
        "--output", type=Path, default=None, help="write the SDL into this file (UTF-8)"
    )
    output = parser.parse_args(argv).output
    sdl = default_schema().as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

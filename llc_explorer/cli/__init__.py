"""The ``llc-explorer`` command line: ``estimate``, ``sweep``, ``summary`` and ``report``
(:mod:`llc_explorer.cli.parser` reads the arguments, :mod:`llc_explorer.cli.commands` runs
them). Bad input ends with exit status 2 and one line naming the problem; anything else
that fails is a bug, reported with its traceback and exit status 1.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from llc_explorer.apps.cache import enable_compilation_cache
from llc_explorer.cli.commands import run_command
from llc_explorer.cli.parser import build_parser
from llc_explorer.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``llc-explorer`` and ``python -m llc_explorer``."""
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare call: what to type, then why
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print("llc-explorer: error: name a command (listed above); --help says more",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        args = parser.parse_args(argv)
        enable_compilation_cache()
        run_command(args)
    except ConfigError as exc:  # bad input, from argparse (UsageError) or from the API
        print(f"llc-explorer: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception:  # anything else is a bug in llc_explorer
        traceback.print_exc()
        print(
            "llc-explorer: internal error (a bug in llc_explorer, not in your input): please "
            "report it with the traceback above",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

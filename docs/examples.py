"""Rerun the command-line examples the documentation shows and write their output into it.

    python docs/examples.py        # about 40 s on 2 cores

Each example is a command and the pages that show its output: the code block after the
sentence "`COMMAND` prints (on a N-core CPU, DATE; ... chain-steps/s in three runs there)".
The command runs three times; the block gets the last run's output (the estimate is
deterministic on a CPU, the speed is not) and the sentence the date, the core count and the
range of the three speeds. ``tests/test_docs_examples.py`` fails when a shown number drifts
from what the command prints.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "llc-explorer estimate --widths 10,20,20,10 --rank 3": (
        ROOT / "README.md",
        ROOT / "docs" / "guide" / "cli.md",
    ),
}
RUNS = 3


def run(command: str) -> str:
    """The command's standard output (through this interpreter's package)."""
    argv = [sys.executable, "-m", "llc_explorer", *command.split()[1:]]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def speed(output: str) -> int:
    """The chain-steps per second an ``estimate`` printed."""
    return int(re.search(r"^speed\s+([\d,]+) chain-steps/s", output, re.M)[1].replace(",", ""))


def rewrite(page: Path, command: str, output: str, speeds: list[int]) -> None:
    """Put ``output`` in the block after the command's sentence on ``page``, and the date, the
    cores and the speed range in the sentence."""
    text = page.read_text()
    pattern = re.compile(
        rf"(`{re.escape(command)}` prints \(on a )\d+-core CPU, [\d-]+;(.*?)"
        r"[\d,]+-[\d,]+ chain-steps/s in three runs there\)(\s*```\n)(.*?)(```)",
        re.S,
    )
    today = datetime.date.today().isoformat()
    span = f"{min(speeds):,}-{max(speeds):,}"

    def replace(match: re.Match) -> str:
        return (f"{match[1]}{os.cpu_count()}-core CPU, {today};{match[2]}{span} chain-steps/s "
                f"in three runs there){match[3]}{output}{match[5]}")  # fmt: skip

    new, count = pattern.subn(replace, text)
    if count != 1:
        raise SystemExit(f"{page}: expected one shown output of {command!r}, found {count}")
    page.write_text(new)


def main() -> None:
    for command, pages in EXAMPLES.items():
        outputs = [run(command) for _ in range(RUNS)]
        speeds = [speed(output) for output in outputs]
        for page in pages:
            rewrite(page, command, outputs[-1], speeds)
            print(f"{page.relative_to(ROOT)}: {command} ({min(speeds):,}-{max(speeds):,} /s)")


if __name__ == "__main__":
    main()

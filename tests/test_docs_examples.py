"""Every example in the README and the user guide runs as written, and the CLI output they show
is what the command prints on the current code.

Each page's Python blocks run in order in one fresh interpreter (a user pasting them into a
new session), except the pages whose blocks the suite already executes with assertions
(``models.md``: tests/models/test_model_llc.py, ``samplers.md``: tests/sgmcmc/test_registry.py).
The shown output of ``llc-explorer estimate --widths 10,20,20,10 --rank 3`` (written by
``python docs/examples.py``) is compared with a fresh run: the estimate is deterministic on a
CPU, so the tolerance is for another machine's floating-point order only (0.5%: a tenth of the
interval's systematic part), and the speed line, which depends on the machine and its load, is
not compared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
EXECUTED_ELSEWHERE = {"models.md", "samplers.md"}
COMMAND = "llc-explorer estimate --widths 10,20,20,10 --rank 3"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), re.S)


def shown_output(page: Path) -> str:
    """The first code block after the page's first mention of :data:`COMMAND`."""
    text = page.read_text()
    return text.split(f"`{COMMAND}` prints", 1)[1].split("```\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if python_blocks(p) and p.name not in EXECUTED_ELSEWHERE],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_the_pages_python_blocks_run_in_a_fresh_interpreter(page: Path, tmp_path: Path):
    script = "\n\n".join(python_blocks(page))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("page", [ROOT / "README.md", ROOT / "docs" / "guide" / "cli.md"],
                         ids=["README.md", "cli.md"])  # fmt: skip
def test_the_cli_output_shown_is_what_the_command_prints(page: Path, cli_run: dict):
    shown = shown_output(page)
    estimate = float(re.search(r"^estimate\s+([\d.]+)", shown, re.M).group(1))
    step = float(re.search(r"eps=([\d.e+-]+)", shown).group(1))
    low, high = map(float, re.search(r"95% interval\s+\[([\d.]+), ([\d.]+)\]", shown).groups())
    rhat, ess = re.search(r"R-hat ([\d.]+), ESS ([\d,]+)", shown).groups()
    assert estimate == pytest.approx(cli_run["llc_mean"], rel=5e-3)
    assert step == pytest.approx(cli_run["config"]["step_size"], rel=5e-3)
    assert (low, high) == pytest.approx(tuple(cli_run["llc_ci95"]), rel=5e-3)
    assert float(rhat) == pytest.approx(cli_run["diagnostics"]["rhat"], abs=5e-3)
    assert int(ess.replace(",", "")) == pytest.approx(cli_run["diagnostics"]["ess_bulk"], rel=0.05)


@pytest.fixture(scope="module")
def cli_run() -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "llc_explorer", *COMMAND.split()[1:], "--json"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)

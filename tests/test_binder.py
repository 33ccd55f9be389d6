"""Binder's environment: a fresh virtual environment built from ``binder/requirements.txt``,
the way repo2docker builds it (``pip install -r binder/requirements.txt`` from the repository
root), imports the package and computes an exact LLC."""

import re
import shutil
import socket
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPI_HOST = "pypi.org"


def pypi_reachable() -> bool:
    """Whether a TCP connection to PyPI opens within a few seconds."""
    try:
        with socket.create_connection((PYPI_HOST, 443), timeout=5):
            return True
    except OSError:
        return False


def test_binder_runtime_names_python_311_or_newer():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    major, minor = (int(part) for part in runtime.removeprefix("python-").split("."))
    assert (major, minor) >= (3, 11), runtime


def test_binder_requirements_are_pinned_and_install_the_repository():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    requirements = [line.split("#")[0].strip() for line in lines]
    requirements = [line for line in requirements if line]
    assert ".[arviz]" in requirements  # the package with its ArviZ export, from the root
    pinned = [line for line in requirements if not line.startswith(".")]
    assert pinned and all("==" in line for line in pinned), pinned
    names = {line.split("==")[0].lower().replace("_", "-") for line in pinned}
    assert {"jax", "jaxlib", "numpy", "ipywidgets", "bokeh", "jupyter-bokeh", "jupyterlab"} <= names


@pytest.mark.network
def test_binder_environment_installs_and_runs(tmp_path):
    if not pypi_reachable():
        pytest.skip(f"{PYPI_HOST} is unreachable")
    repo = tmp_path / "repo"  # a copy, so that the build leaves the checkout untouched
    shutil.copytree(
        ROOT,
        repo,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "docs"
        ),
    )
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-4000:]
    check = subprocess.run(
        [
            python,
            "-c",
            "import llc_explorer, ipywidgets, jupyter_bokeh, arviz_base, arviz_plots; "
            "from llc_explorer import Explorer, dln_llc; "
            "print(dln_llc([10, 20, 20, 10], 3).llc)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr[-4000:]
    assert check.stdout.strip() == "50"
    extensions = subprocess.run(  # the Voila badge's voila/render/... is this extension
        [python, "-m", "jupyter", "server", "extension", "list"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    listing = re.sub(r"\x1b\[[0-9;]*m", "", extensions.stdout + extensions.stderr)  # colours
    assert re.search(r"voila\S*\s+enabled", listing), listing


def test_the_badges_open_the_explorer_in_jupyterlab_and_in_voila_and_the_lab():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\((https://mybinder\.org/v2/gh/[^)]+)\)", readme)
    paths = sorted(link.split("?urlpath=")[1] for link in links)
    assert paths == [
        "lab/tree/notebooks/01_explorer.ipynb",
        "lab/tree/notebooks/02_sgmcmc_tutorial.ipynb",
        "voila/render/notebooks/01_explorer.ipynb",
    ]
    assert len({link.split("?")[0] for link in links}) == 1  # one repository and branch
    for path in paths:
        assert (ROOT / path.split("/", 2)[2]).exists(), path

"""Local Jupyter servers for the real-browser tests and benchmarks: JupyterLab (or Voila) on a
free port with its own config, data and runtime folders, stopped with its kernels afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it exits or stalls."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(
        f"server at {url} did not answer in {SERVER_START_SECONDS} s:\n{log.read_text()[-4000:]}"
    )


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (the server and its kernels), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def serve(
    command: list[str], home: Path, url: str, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run a Jupyter server ``command`` with its own config, data and runtime folders under
    ``home`` (and ``extra_env``); yield ``url`` once it answers, and stop it afterwards."""
    env = {
        **os.environ,
        **(extra_env or {}),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    log = home / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(url, process, log)
        yield url
    finally:
        stop_server(process)


def serve_jupyterlab(home: Path, root: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """JupyterLab serving ``root`` on a free local port without a token (settings under
    ``home``, no news or update-check notifications over the page); yields its status URL."""
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    yield from serve(command, home, f"http://127.0.0.1:{port}/api/status", env)

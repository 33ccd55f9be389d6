"""Screenshots of the Explorer and the Playground in every state, for the design review and the
README: JupyterLab in headless Chromium, each app driven through its widgets as a user would.

States: the Explorer ready, running (burn-in, then estimating), done, stale after a settings
change, some chains diverged, all diverged, an invalid setting and a finished step-size sweep;
the Playground ready, running, done, stale, some chains diverged, all diverged, an invalid
setting and compare mode; and each guided mission of the Playground
(:data:`llc_explorer.apps.playground.missions.MISSIONS`) after its run, with what to notice
unfolded (``playground-mission-{name}.png``, the whole app at 1280 px wide). Each other
state is captured as JupyterLab's window at 1280 x 800 and 1920 x 1080, scrolled to the app
(``{app}-{state}-{width}x{height}.png``), and as the whole app at 1280 px wide
(``{app}-{state}-full-1280.png``), into ``docs/screens/``; ``--theme dark`` captures them
in JupyterLab's dark theme at 1280 x 800 (``{app}-dark-{state}-...``).
The README's ``docs/explorer.png`` and ``docs/playground.png`` are copies of two of them;
``docs/screens/before/`` keeps two states as they looked before the design pass (commit
f2b7d5c), for comparison.

    python docs/screens.py [--theme light|dark] [--out docs/screens] [--only explorer]
    python docs/screens.py --only missions [--mission cross --mission diverge]

About 6 minutes per theme on 2 cores (JupyterLab, Chromium and the kernel share them), and
about 40 s per mission.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import serve_jupyterlab  # noqa: E402  (the tests' server helper)

from llc_explorer.apps.playground.missions import MISSIONS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZES = {"light": ((1280, 800), (1920, 1080)), "dark": ((1280, 800),)}
README_SHOTS = {"explorer-estimating-full-1280.png": "explorer.png",
                "playground-compare-full-1280.png": "playground.png"}  # fmt: skip
APPS = {
    "explorer": "from llc_explorer import Explorer\n\napp = Explorer()\napp",
    "playground": "from llc_explorer import Playground\n\napp = Playground()\napp",
}
MISSION_APPS = {
    f"mission-{name}": f"from llc_explorer import Playground\n\napp = Playground({name!r})\napp"
    for name in MISSIONS
}
RUN_SECONDS = 240
FULL_HEIGHT = 2400  # a window tall enough for the whole app
READY = re.compile(r"status\s*ready")
STEP_SIZE = re.compile(r"^step size( \(exact\))?$")  # the entry's label (before: "(exact)")


def notebook(source: str) -> str:
    """A one-cell notebook running ``source``."""
    cell = {"cell_type": "code", "id": "app", "metadata": {}, "source": source,
            "outputs": [], "execution_count": None}  # fmt: skip
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return json.dumps(
        {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    )


def compress(path: Path) -> None:
    """Rewrite the PNG at ``path`` with a 256-colour palette (a third of the bytes; a screen
    of widgets and plots has few colours)."""
    image = Image.open(path).convert("RGB")
    image.quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


class App:
    """One app's notebook open in the page, with helpers to set widgets and take pictures."""

    def __init__(self, page: Page, base: str, name: str, theme: str, out: Path) -> None:
        self.page, self.name, self.theme, self.out = page, name, theme, out
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?reset")
        expect(page.get_by_role("button", name=re.compile(r"\| Idle$"))).to_be_visible(
            timeout=180_000
        )
        if page.locator(".jp-FileBrowser:visible").count():  # room for the app
            page.keyboard.press("Control+b")
        page.locator(".jp-Notebook:visible").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        self.readout = page.locator(".widget-html", has_text="status").first
        expect(self.readout).to_contain_text("ready", timeout=180_000)
        self.output = page.locator(".jp-OutputArea-output").filter(has=self.readout).first
        page.wait_for_timeout(1500)  # BokehJS draws the empty plots

    def entry(self, label: str | re.Pattern) -> Locator:
        """The input of the text widget labelled ``label`` (exactly)."""
        pattern = label if isinstance(label, re.Pattern) else f"^{re.escape(label)}$"
        row = self.page.locator(".widget-text").filter(
            has=self.page.locator("label.widget-label", has_text=re.compile(pattern))
        )
        return row.locator("input").first

    def type(self, label: str | re.Pattern, value: str) -> None:
        box = self.entry(label)
        box.fill(value)
        box.press("Enter")
        self.page.wait_for_timeout(300)

    def choose(self, label: str, option: str) -> None:
        dropdown = self.page.locator(".widget-dropdown").filter(
            has=self.page.locator("label.widget-label", has_text=label)
        )
        dropdown.locator("select").first.select_option(option)
        self.page.wait_for_timeout(300)

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def start(self, name: str = "Run") -> None:
        """Click ``name`` and see the run start (a lost click fails here, not later)."""
        self.click(name)
        expect(self.readout).not_to_contain_text(READY, timeout=20_000)

    def wait_for(self, text: str | re.Pattern, seconds: float = RUN_SECONDS) -> None:
        expect(self.readout).to_contain_text(text, timeout=seconds * 1000)

    def shoot(self, state: str) -> None:
        """The window at each size of the theme, scrolled to the app's top, then the whole app
        at the first size's width (``-full``)."""
        theme = "" if self.theme == "light" else "dark-"
        sizes = SIZES[self.theme]
        for width, height in (*sizes, (sizes[0][0], FULL_HEIGHT)):
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(800)  # the layout settles, BokehJS redraws
            self.output.evaluate("e => e.scrollIntoView({block: 'start'})")
            self.page.wait_for_timeout(200)
            size = f"{width}x{height}" if height != FULL_HEIGHT else f"full-{width}"
            path = self.out / f"{self.name}-{theme}{state}-{size}.png"
            if height == FULL_HEIGHT:
                self.picture(path)
            else:
                self.page.screenshot(path=path)
                compress(path)
                print(f"  {path.name}", flush=True)

    def picture(self, path: Path) -> None:
        """The whole app, as it is now, into ``path``."""
        self.output.screenshot(path=path)
        compress(path)
        print(f"  {path.name}", flush=True)


def run_to(
    app: App, state: str, typed: dict[str | re.Pattern, str], until: str | re.Pattern = "done"
) -> None:
    """Type ``typed`` (entry label: value), press Run, wait until the readout shows ``until``
    and capture ``state``."""
    for label, value in typed.items():
        app.type(label, value)
    app.start()
    app.wait_for(until)
    app.page.wait_for_timeout(1500)  # BokehJS draws the latest frame
    app.shoot(state)


def set_and_shoot(app: App, state: str, label: str | re.Pattern, value: str) -> None:
    """Type ``value`` into ``label`` and capture ``state`` (nothing runs)."""
    app.type(label, value)
    app.page.wait_for_timeout(800)
    app.shoot(state)


def explorer_states(app: App) -> None:
    app.shoot("ready")
    run_to(app, "burn-in", {"steps": "200000", "burn-in fraction": "0.4"}, "provisional")
    app.wait_for(re.compile(r"estimate( λ̂)?\s*-?\d"))
    app.page.wait_for_timeout(1500)
    app.shoot("estimating")
    app.click("Stop")
    app.wait_for("stopped", 120)
    run_to(app, "done", {"steps": "20000", "burn-in fraction": "0.9"})
    app.page.get_by_label("adapt the step size").uncheck()  # a fixed step size from here on
    set_and_shoot(app, "stale", STEP_SIZE, "1e-7")
    app.choose("sampler", "sgld")
    run_to(app, "some-diverged", {STEP_SIZE: "3e-5", "steps": "3000"})
    run_to(app, "all-diverged", {STEP_SIZE: "1e-3"})
    set_and_shoot(app, "invalid", "rank", "99")
    app.type("rank", "3")
    app.choose("sampler", "rmsprop_sgld")
    app.page.get_by_role("tab", name="Step-size sweep").click()
    app.page.wait_for_timeout(1500)
    app.start("Run sweep")
    app.wait_for("sweep done", 600)
    app.page.wait_for_timeout(1500)
    app.shoot("sweep")


def playground_states(app: App) -> None:
    app.shoot("ready")
    run_to(app, "running", {"steps": "600000"}, "running")
    app.click("Stop")
    app.wait_for("stopped", 120)
    run_to(app, "done", {"steps": "100000"})
    set_and_shoot(app, "stale", "chains", "16")
    run_to(app, "some-diverged", {"chains": "32", STEP_SIZE: "0.003"})
    run_to(app, "all-diverged", {STEP_SIZE: "0.05"})
    set_and_shoot(app, "invalid", "chains", "0")
    app.type("chains", "32")
    app.page.get_by_text("compare two samplers (same seed)").click()
    app.page.wait_for_timeout(1500)  # the second panel is drawn, the buttons have moved
    run_to(app, "compare", {STEP_SIZE: "0.0003"})


def mission_state(app: App) -> None:
    """A mission's Playground after its run, what to notice unfolded, the whole app at 1280 px
    wide (``playground-mission-{name}.png``)."""
    app.start()
    app.wait_for("done")
    app.page.get_by_text("what to notice (after Run)").click()
    app.page.set_viewport_size({"width": 1280, "height": FULL_HEIGHT})
    app.page.wait_for_timeout(1500)  # BokehJS draws the latest frame, the layout settles
    app.output.evaluate("e => e.scrollIntoView({block: 'start'})")
    app.picture(app.out / f"playground-{app.name}.png")


STATES: dict[str, Callable[[App], None]] = {
    "explorer": explorer_states,
    "playground": playground_states,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--theme", choices=tuple(SIZES), default="light")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--only", choices=(*APPS, "missions"), action="append")
    parser.add_argument("--mission", choices=tuple(MISSIONS), action="append")
    args = parser.parse_args()
    missions = [f"mission-{name}" for name in args.mission or MISSIONS]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        home, root = Path(folder) / "home", Path(folder) / "root"
        root.mkdir()
        for name, source in {**APPS, **MISSION_APPS}.items():
            (root / f"{name}.ipynb").write_text(notebook(source))
        server = serve_jupyterlab(home, root)
        base = next(server).removesuffix("/api/status")
        theme = "JupyterLab Dark" if args.theme == "dark" else "JupyterLab Light"
        settings = home / "settings" / "@jupyterlab" / "apputils-extension"
        (settings / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.set_default_timeout(60_000)
                chosen = args.only or (*APPS, "missions")
                apps = [n for n in chosen if n != "missions"]
                for name in apps + (missions if "missions" in chosen else []):
                    start = time.perf_counter()
                    print(f"{name} ({args.theme}):", flush=True)
                    states = STATES.get(name, mission_state)
                    try:
                        states(App(page, base, name, args.theme, args.out))
                    except Exception:
                        page.screenshot(path=args.out / f"failed-{name}.png", full_page=True)
                        raise
                    print(f"  {time.perf_counter() - start:.0f} s", flush=True)
                browser.close()
        finally:
            server.close()
    if args.theme == "light" and args.out == ROOT / "docs" / "screens":
        for shot, readme in README_SHOTS.items():
            if (args.out / shot).exists():
                shutil.copy(args.out / shot, ROOT / "docs" / readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real JupyterLab in headless Chromium (Debian's), driven by Playwright.

One JupyterLab server per test session (starting one costs ~15 s); one notebook per test. State
(config, runtime, settings) lives in a temp dir, never in $HOME. Without Chromium the tests skip,
except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("INTERPLAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        msg = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_server(proc: subprocess.Popen[bytes], log: Any) -> None:
    """Stop a server started in its own session (and its children), then close its log."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@dataclass
class Lab:
    url: str
    root: Path
    env: dict[str, str]


@contextlib.contextmanager
def running_lab(base: Path) -> Iterator[Lab]:
    """A JupyterLab server rooted in ``base/root``, its state under ``base``; stopped on exit."""
    root = base / "root"
    root.mkdir()
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")]:
        (base / sub).mkdir()
        env[var] = str(base / sub)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_VERBOSITY"] = "error"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    settings = base / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    log = open(base / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--expose-app-in-browser",
         "--JupyterNotebookApp.expose_app_in_browser=True"],  # window.jupyterapp in Notebook 7 too
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"JupyterLab did not start: {(base / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield Lab(url=url, root=root, env=env)
    finally:
        stop_server(proc, log)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _need_chromium()
    with running_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium, one per test session (Playwright's sync API allows one at a time); no server."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def browser(lab: Lab, chromium: Any) -> Any:
    """Chromium with the session's JupyterLab server running."""
    return chromium


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()

    pg.on("dialog", on_dialog)
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=False)
        context.close()


def write_notebook(lab: Lab, name: str, cells: list[str]) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (lab.root / name).write_text(nbformat.writes(nb))
    return name


def copy_notebook(lab: Lab, src: Path) -> str:
    shutil.copy(src, lab.root / src.name)
    return src.name


KERNEL_STATUS = "() => { const w = window.jupyterapp.shell.currentWidget; " \
                "const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel; " \
                "return k ? k.status : null; }"


def open_and_run(page: Any, lab: Lab, name: str, timeout: float = 120) -> None:
    """Open a notebook in JupyterLab, wait for its kernel, and Run All Cells through the menu."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset")  # ?reset: no tabs restored from an earlier test
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(f"({KERNEL_STATUS})() === 'idle'", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=10_000)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(timeout=10_000)
    wait_idle(page, timeout)


def wait_idle(page: Any, timeout: float = 120) -> None:
    """Wait until every code cell of the open notebook has run ([n]) and the kernel is idle."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        f"""() => {{
            const nb = window.jupyterapp.shell.currentWidget.node;
            const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
            return ({KERNEL_STATUS})() === 'idle' && prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
        }}""",
        timeout=timeout * 1000,
    )


def execute(page: Any, code: str) -> None:
    """Run code in the notebook's kernel (as a person typing a new cell would), without output."""
    page.evaluate(
        "async (code) => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
        " await k.requestExecute({ code }).done; }",
        code,
    )


def error_outputs(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr'], "
                                          ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']",
                                          "els => els.map(e => e.textContent)"))


def canvas_colours(page: Any, selector: str) -> int:
    """How many distinct colours the first canvas matching ``selector`` shows (0 if blank)."""
    return int(page.evaluate(
        """(sel) => { const c = document.querySelector(sel); if (!c || !c.width || !c.height) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const s = new Set();
            for (let i = 0; i < d.length; i += 16) { if (d[i + 3] > 0) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
            return s.size; }""",
        selector,
    ))


def wait_for_file(path: Path, timeout: float = 15) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path.name} never appeared: the value did not reach Python")


def python_state(path: Path, check: Any, timeout: float = 30) -> dict[str, Any]:
    """What the kernel last wrote to ``path`` (JSON), once ``check(state)`` holds."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        if path.exists() and path.stat().st_size:
            try:
                last = json.loads(path.read_text())
            except json.JSONDecodeError:
                last = None
            if last is not None and check(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"the value never reached Python: last state {last}")

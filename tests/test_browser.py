"""A real browser runs the explorer notebook in JupyterLab, moves a slider and sees the picture change.

JupyterLab is started from this Python environment on 127.0.0.1 with a random port and token, in a
temporary folder holding a copy of nbs/20_widgets.ipynb and throwaway settings. Playwright drives
Debian's chromium (/usr/bin/chromium, installed by .ci/browser_setup.sh; never `playwright install`).
The test waits for the kernel connection (the debugger button is enabled only once the kernel has
answered; the status reads "idle" before that, and a run-all sent then is lost), runs all cells, waits
until every cell has run, presses the right arrow on the latent explorer's index slider, waits for the
explorer's status line to read "latent: rendered index=1" (the final marker, after any intermediate
value), and checks that the picture changed; it checks that the heatmap explorer's picture holds a colour bar
(dark at the bottom, bright yellow at the top). A second test opens the notebook as it is stored (with its outputs
and widget state, `tools/outputs.py`), runs nothing, and checks that every explorer shows its picture.
Screenshots are saved; their paths are printed. (Saving from JupyterLab, shutting the kernel down and reloading was
tried too: it passed when JupyterLab started a new kernel on reload and timed out when it did not, so it is not a
test here.)
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parent.parent / 'nbs' / '20_widgets.ipynb'
CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
                 '--disable-extensions']
SCREENSHOT_DIR = Path(os.environ.get('LAE_SCREENSHOT_DIR', Path(tempfile.gettempdir()) / 'lae_nb_browser'))
RUN_TIMEOUT_MS = 400_000 # running every cell of the notebook on a small shared CPU


def _skip_reason() -> str | None:
    if not CHROMIUM.exists(): return f'{CHROMIUM} is missing: run .ci/browser_setup.sh (apt-get install chromium)'
    try: import playwright.sync_api # noqa: F401
    except ImportError:
        return 'the playwright Python package is missing: pip install playwright (no browser download needed)'
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f'jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}')
        try:
            with urllib.request.urlopen(url, timeout=2): return
        except OSError: time.sleep(0.5)
    raise TimeoutError(f'jupyter lab did not answer {url} within {timeout} s:\n{log.read_text()[-3000:]}')


@pytest.fixture
def lab(tmp_path): yield from _lab(tmp_path, save_state=True)


@pytest.fixture
def lab_default(tmp_path): yield from _lab(tmp_path, save_state=False)


def _lab(tmp_path, save_state: bool):
    "A JupyterLab server on 127.0.0.1 serving a copy of the explorer notebook: (base url, token, notebook name)."
    reason = _skip_reason()
    if reason: pytest.skip(reason)
    root = tmp_path / 'notebooks'
    root.mkdir()
    shutil.copy(NB, root / 'explorer.ipynb')
    settings = tmp_path / 'settings'
    tracker = settings / '@jupyterlab' / 'notebook-extension' / 'tracker.jupyterlab-settings'
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({'windowingMode': 'none'})) # every cell in the DOM
    news = settings / '@jupyterlab' / 'apputils-extension' / 'notification.jupyterlab-settings'
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({'fetchNews': 'false'})) # no "get notified about Jupyter news?" toast
    widgets = settings / '@jupyter-widgets' / 'jupyterlab-manager' / 'plugin.jupyterlab-settings'
    widgets.parent.mkdir(parents=True)
    # "Save Widget State Automatically", as 20_widgets tells students to switch on
    widgets.write_text(json.dumps({"saveState": save_state}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / 'config'), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / 'workspaces'), JUPYTER_RUNTIME_DIR=str(tmp_path / 'runtime'))
    port, token, log = _free_port(), secrets.token_hex(24), tmp_path / 'jupyterlab.log'
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', '--allow-root',
           f'--ServerApp.root_dir={root}', '--LabApp.news_url=None',
           '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    try:
        base = f'http://127.0.0.1:{port}'
        _wait_for_server(f'{base}/api/status?token={token}', proc, log)
        yield base, token, 'explorer.ipynb'
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


ALL_CELLS_RUN = '''() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
  const idle = document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle';
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p)) && idle;
}'''


def _check_colour_bar(png: bytes) -> None:
    "The heatmap explorer's picture has a colour bar on its right: a column dark near its bottom, yellow near its top."
    import io
    import numpy as np
    from PIL import Image
    a = np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)
    h, w = a.shape[:2]
    columns = [a[int(0.2 * h):int(0.8 * h), x] for x in range(int(0.88 * w), w)]
    top_yellow = lambda col: col[:5].mean(0)[0] > 200 and col[:5].mean(0)[1] > 180
    bright = [x for x, col in enumerate(columns) if top_yellow(col) and col[-5:].sum(1).mean() < 150]
    assert bright, 'no colour bar (dark bottom, bright yellow top) on the right of the heatmap explorer'


def test_explorer_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright
    base, token, name = lab
    t0 = time.time()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / 'widgets_jupyterlab.png'
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1500, 'height': 1100})
            page.goto(f'{base}/lab/tree/{name}?token={token}')
            expect.set_options(timeout=120_000)
            # the kernel is connected once the debugger button is enabled ("idle" shows earlier)
            expect(page.locator('.jp-DebuggerBugButton[aria-disabled="false"]')).to_be_visible()
            page.locator('.lm-MenuBar-itemLabel', has_text=re.compile(r'^Run$')).click()
            page.locator('.lm-Menu-itemLabel', has_text=re.compile(r'^Run All Cells$')).click()
            page.wait_for_function(ALL_CELLS_RUN, timeout=RUN_TIMEOUT_MS, polling=1000)
            t_run = time.time()

            explorer = page.locator('.jp-OutputArea-output', has_text='latent: rendered index=')
            status = explorer.locator('.widget-html', has_text='latent: rendered')
            expect(status).to_contain_text('latent: rendered index=0 ')
            picture = explorer.locator('img.widget-image')
            expect(picture).to_be_visible()
            before_src, before_png = picture.get_attribute('src'), picture.screenshot()

            handle = explorer.locator('.widget-slider .noUi-handle')
            handle.focus()
            handle.press('ArrowRight')
            expect(status).to_contain_text('latent: rendered index=1 ') # the final marker, not an intermediate value
            expect(explorer.locator('.widget-readout')).to_have_text('1')
            expect(picture).not_to_have_attribute('src', before_src)
            after_png = picture.screenshot()
            assert after_png != before_png, 'the latent explorer picture did not change after moving the slider'
            explorer.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))

            heat = page.locator('.jp-OutputArea-output', has_text='heatmap: rendered').first.locator('img.widget-image')
            _check_colour_bar(heat.screenshot())

        except Exception:
            page.screenshot(path=str(shot.with_name('widgets_jupyterlab_failed.png')))
            print(f'\nbrowser test failed; screenshot: {shot.with_name("widgets_jupyterlab_failed.png")}')
            raise
        finally:
            browser.close()
    print(f'\nbrowser test: notebook ran in {t_run - t0:.0f} s, total {time.time() - t0:.0f} s; screenshot: {shot}')


def test_stored_explorers_show_without_running(lab_default):
    "The lesson as stored (tools/outputs.py keeps its widget state) opens with every explorer's picture, nothing run."
    from playwright.sync_api import expect, sync_playwright
    base, token, name = lab_default
    stored = json.loads(NB.read_text())
    if 'widgets' not in stored['metadata']: pytest.skip('20_widgets is stored without outputs: python tools/outputs.py')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1500, 'height': 1100})
            page.goto(f'{base}/lab/tree/{name}?token={token}')
            expect(page.locator('.jp-Notebook')).to_be_visible(timeout=120_000)
            shown = "() => document.querySelectorAll('.jp-OutputArea-output img').length >= 5" # 3 explorers, 2 figures
            page.wait_for_function(shown, timeout=120_000, polling=1000)
            assert page.locator('.jp-OutputArea-output', has_text='Error displaying widget').count() == 0
            page.screenshot(path=str(SCREENSHOT_DIR / 'widgets_stored.png'))
        finally:
            browser.close()

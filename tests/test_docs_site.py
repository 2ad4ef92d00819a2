"""The documentation site, read as a reader would: `python tools/docs.py build` makes it from the notebooks and
headless Chromium (Debian's /usr/bin/chromium, installed by .ci/browser_setup.sh, driven by playwright; playwright
gives each launch a fresh temporary profile) opens every page from a local web server, with every request that
leaves 127.0.0.1 blocked. Each page must load with no console error other than a blocked external request and no
uncaught exception, every image must load with a non-zero size, every internal link (and its #anchor) must resolve.
Besides: the lae_nb.detector API page lists Detector and predict_image; the paper's equations are typeset by MathJax
(no `$$` left as text); `#| hide` cells do not show; each lesson has its Colab badge; the search page finds a function;
a live widget's output reads as a note. Figures: most notebooks are stored without outputs, so a copy of 05_cam is
given stored outputs (three PNGs of distinct sizes and a widget) and its page must show those figures in the
stored order; every other built notebook that holds image outputs is checked the same way.

By default the index, SUBSET and every API page are built (about a minute here); LAE_DOCS_FULL=1 (CI) builds every
notebook. Needs docs/requirements.txt installed; skipped with the reason otherwise.
"""
import base64, functools, http.server, importlib.util, io, json, os, re, shutil, statistics, struct, subprocess, sys
import threading, time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
                 '--disable-extensions']
FULL = os.environ.get('LAE_DOCS_FULL') == '1'
SUBSET = ('03_model', '05_cam', '08_detector', '20_widgets')
FIGURE_NB, FIGURE_SIZES = '05_cam', [(320, 200), (240, 240), (400, 120)]
WIDGET_NOTE = 'An interactive widget is here'


def _skip_reason():
    if not CHROMIUM.exists(): return f'{CHROMIUM} is missing: run .ci/browser_setup.sh'
    for mod in ('playwright', 'sphinx', 'myst_nb', 'pydata_sphinx_theme', 'mathjax'):
        if importlib.util.find_spec(mod) is None: return f'{mod} is missing: pip install -r docs/requirements.txt'


def png(w, h, rgb):
    "A w x h PNG of one colour."
    from PIL import Image
    buf = io.BytesIO()
    Image.new('RGB', (w, h), rgb).save(buf, format='PNG')
    return base64.b64encode(buf.getvalue()).decode()


def png_size(b64):
    "(width, height) from a PNG's header."
    return struct.unpack('>II', base64.b64decode(b64[:64])[16:24])


def give_outputs(nb_path, sizes):
    ("Store a PNG of each size after the first lesson code cells (in order) and a live widget's output after the "
     "next, in place of the notebook's own stored outputs (lessons keep theirs: tools/outputs.py).")
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        if c['cell_type'] == 'code': c['outputs'] = []
    cells = [c for c in nb['cells']
             if c['cell_type'] == 'code' and not ''.join(c['source']).startswith(('#|', '# Setup'))]
    for c, (w, h), rgb in zip(cells, sizes, [(200, 30, 30), (30, 160, 60), (40, 60, 200)]):
        c['outputs'] = [{'output_type': 'display_data', 'metadata': {},
                         'data': {'image/png': png(w, h, rgb), 'text/plain': '<Figure>'}}]
    view = {'version_major': 2, 'version_minor': 0, 'model_id': '0123456789abcdef'}
    cells[len(sizes)]['outputs'] = [{'output_type': 'display_data', 'metadata': {},
                                     'data': {'application/vnd.jupyter.widget-view+json': view,
                                              'text/plain': 'VBox(...)'}}]
    nb_path.write_text(json.dumps(nb, indent=1))


def stored_figures(nb):
    "The sizes of a notebook's stored PNG outputs, in order (hidden cells' outputs are not shown, so not counted)."
    return [png_size(o['data']['image/png']) for c in nb['cells'] if c['cell_type'] == 'code'
            and not re.match(r'#\|\s*(hide|export)', ''.join(c['source'])) for o in c.get('outputs', [])
            if 'image/png' in o.get('data', {})]


def hidden_lines(nb):
    "Lines (over 30 characters) that only `#| hide` cells hold: none may show on the page."
    def lines(c): return {l.strip() for l in ''.join(c['source']).splitlines() if len(l.strip()) > 30}
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    hid = [c for c in code if re.match(r'#\|\s*hide\b', ''.join(c['source']))]
    shown = set().union(*[lines(c) for c in nb['cells'] if c not in hid]) if nb['cells'] else set()
    return set().union(*[lines(c) for c in hid]) - shown if hid else set()


def serve(folder):
    "A quiet web server on 127.0.0.1 (a free port) serving `folder`: (server, base URL)."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, *a): pass # a page closed while a file was still being sent
    httpd = Server(('127.0.0.1', 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'


PAGE_JS = '''() => ({
  images: [...document.images].map(i => ({src: i.currentSrc || i.src, w: i.naturalWidth, h: i.naturalHeight,
           complete: i.complete, output: !!i.closest('.jp-OutputArea-output, .output_area, .cell_output'), alt: i.alt,
           link: i.closest('a') ? i.closest('a').href : ''})),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  text: document.body.innerText,
  math: document.querySelectorAll('mjx-container').length,
  dollars: [...document.querySelectorAll('p, li, td, .arithmatex')].filter(e => !e.closest('pre, code'))
           .map(e => e.innerText).join('\\n').split('$$').length - 1,
})'''


def read_site(site, names):
    "Open each page (site-relative path) in a fresh browser context; what it showed, its errors and its weight."
    from playwright.sync_api import sync_playwright
    httpd, base = serve(site)
    res = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            for name in names:
                ctx = browser.new_context()
                page, errors, blocked, sizes = ctx.new_page(), [], set(), []
                def route(r):
                    if r.request.url.startswith(base): return r.continue_()
                    blocked.add(r.request.url)
                    r.abort()
                page.route('**/*', route)
                page.on('console', lambda m: m.type == 'error' and errors.append((m.text, m.location.get('url', ''))))
                page.on('pageerror', lambda e: errors.append((f'uncaught: {e}', '')))
                page.on('response', lambda r: sizes.append(int(r.headers.get('content-length', 0))))
                t0 = time.time()
                page.goto(base + name, wait_until='load')
                page.evaluate('async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }')
                page.wait_for_function('[...document.images].every(i => i.complete)', timeout=30_000)
                info = page.evaluate(PAGE_JS)
                info.update(load_s=time.time() - t0, bytes=sum(sizes), blocked=sorted(blocked),
                            # a blocked request's error names its URL
                            errors=[t for t, url in errors if url not in blocked])
                res[name] = info
                ctx.close()
            res['_search'] = search(browser, base)
            browser.close()
    finally:
        httpd.shutdown()
    return res


def search(browser, base):
    "The links Sphinx's search page lists for 'predict_image'."
    page = browser.new_page()
    page.route('**/*', lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page.goto(base + 'search.html?q=predict_image')
    page.wait_for_selector('#search-results li a', timeout=60_000)
    hits = page.locator('#search-results li a').evaluate_all('as => as.map(a => a.href)')
    page.close()
    return hits


def link_problems(site, base_pages, pages):
    "Internal links whose file or #anchor is missing."
    bad = []
    for name, info in pages.items():
        for href in info['links']:
            u = urlsplit(href)
            if not u.netloc.startswith('127.0.0.1'): continue
            path = unquote(u.path).lstrip('/') or 'index.html'
            if path.endswith('/'): path += 'index.html'
            if not (site / path).is_file(): bad.append(f'{name}: {href} (no such file)')
            elif u.fragment and path in pages and unquote(u.fragment) not in pages[path]['ids']:
                bad.append(f'{name}: {href} (no element with that id)')
    return bad


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    ("The site built from a copy of nbs/ in which FIGURE_NB holds stored outputs: (site folder, built stems, "
     "nbs copy, build s).")
    reason = _skip_reason()
    if reason: pytest.skip(reason)
    tmp = tmp_path_factory.mktemp('docs')
    nbs = tmp / 'nbs'
    shutil.copytree(ROOT / 'nbs', nbs, ignore=shutil.ignore_patterns('suite', '.ipynb_checkpoints'))
    give_outputs(nbs / f'{FIGURE_NB}.ipynb', FIGURE_SIZES)
    only = [] if FULL else list(SUBSET)
    t0 = time.time()
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'docs.py'), 'build', '--nbs', str(nbs), '--out',
                    str(tmp / 'site'), '--work', str(tmp / 'work'), '--only', *only], check=True, cwd=ROOT)
    stems = [p.stem for p in sorted((tmp / 'work' / 'docs').glob('*.ipynb'))]
    return tmp / 'site', stems, nbs, time.time() - t0


def test_site_in_browser(site):
    folder, stems, nbs, build_s = site
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob('*.html')
                   if p.parts[len(folder.parts)] != '_static')
    t0 = time.time()
    pages = read_site(folder, names)
    hits = pages.pop('_search')
    problems = [f'{n}: console: {e}' for n, i in pages.items() for e in i['errors']]
    problems += [f'{n}: image {i["src"][:120]} did not load' for n, info in pages.items() for i in info['images']
                 if not i['w'] or not i['h']]
    problems += link_problems(folder, names, pages)
    for stem in stems:
        nb, info = json.loads((nbs / f'{stem}.ipynb').read_text()), pages[f'{stem}.html']
        shown = [(i['w'], i['h']) for i in info['images'] if i['output']]
        if shown != stored_figures(nb): problems.append(f'{stem}: figures {shown}, stored {stored_figures(nb)}')
        problems += [f'{stem}: a hidden line shows: {l[:80]}' for l in hidden_lines(nb) if l in info['text']]
        if '$$' in json.dumps([c['source'] for c in nb['cells'] if c['cell_type'] == 'markdown']) and not info['math']:
            problems.append(f'{stem}: equations not typeset')
        if info['dollars']: problems.append(f'{stem}: {info["dollars"]} "$$" left as text')
        if stem != 'index' and not any(i['link'].endswith(f'/nbs/{stem}.ipynb') and 'colab' in i['link'] and i['w']
                                       for i in info['images']):
            problems.append(f'{stem}: no Colab badge')
    api = pages['api/detector.html']
    problems += [f'api/detector.html does not list {n}' for n in ('Detector', 'predict_image')
                 if n.lower() not in api['ids'] or n not in api['text']]
    if FIGURE_NB in stems and WIDGET_NOTE not in pages[f'{FIGURE_NB}.html']['text']:
        problems.append('the widget output shows no note')
    if not any(re.search(r'detector\.html(\?[^#]*)?#predict', h) for h in hits):
        problems.append(f'search for predict_image found {hits[:5]}')
    weights = [i['bytes'] for i in pages.values()]
    mb = sum(f.stat().st_size for f in folder.rglob('*') if f.is_file()) / 2**20
    print(f'\ndocs site: {len(stems)} notebooks, {len(names)} pages, {mb:.1f} MB; built in {build_s:.0f} s, read in '
          f'{time.time() - t0:.0f} s; page weight median {statistics.median(weights) / 2**10:.0f} KiB, '
          f'max {max(weights) / 2**10:.0f} KiB')
    assert not problems, '\n'.join(problems[:40])
    assert [(i['w'], i['h']) for i in pages[f'{FIGURE_NB}.html']['images'] if i['output']] == FIGURE_SIZES

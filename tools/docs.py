"""Build the documentation site from the notebooks, without Quarto (which the registries here do not ship).

    pip install -r docs/requirements.txt          # once: Sphinx, myst-nb, pydata-sphinx-theme, MathJax's files
    python tools/docs.py build                    # every notebook -> _site/ (about a minute on 2 busy cores)
    python tools/docs.py build --only 08_detector --out /tmp/site   # index, the notebooks named, all API pages
    python -m http.server -d _site                # read it at http://127.0.0.1:8000

1. prepare (into --work, default _proc/docs): each notebook goes through nbdev's own doc processors
   (`nbdev.processors.FilterDefaults`: `#| hide` and `#| export` cells dropped, a `show_doc` after each exported
   definition, run to markdown, names linked to their docs), then is made plain for a renderer that knows no Quarto:
   show_doc outputs become markdown, Quarto's `#|` options are applied and removed, the front matter becomes the
   title and summary, links to notebooks and to nbdev's `/module.html` pages point at this site's pages, the Colab
   badge is a local copy (no request leaves the site). A lesson is never run: outputs stored in the notebook are
   shown as stored, and a notebook stored without outputs shows its code only. As nbdev does, the exported
   definitions and imports are run so that show_doc can read them; unlike nbdev, a cell mixing imports with other
   code runs only its imports (19_train has one that fails run alone), and a failure there is printed, not fatal.
   A live widget needs a kernel: its output becomes a note (a picture stored beside it is kept). One API page per
   lae_nb module shows every name in its `__all__` with show_doc (signature, docments, docstring, source link).
2. render: Sphinx + myst-nb + pydata-sphinx-theme (chosen by measurement: nbs/results/docs_site.json), equations by
   MathJax 3 copied from the django-static-mathjax wheel into the site, Sphinx's own search page.
"""
import argparse, ast, json, re, shutil, subprocess, sys, time, tomllib, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BADGE_URL = 'https://colab.research.google.com/assets/colab-badge.svg'
WIDGET = 'application/vnd.jupyter.widget-view+json'
WIDGET_NOTE = ('*An interactive widget is here: open the notebook in Jupyter or Colab (the badge at the top) '
               'to use it.*')
BADGE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">'
             '<rect width="117" height="20" rx="3" fill="#555"/>'
             '<rect x="46" width="71" height="20" rx="3" fill="#f9ab00"/>'
             '<g fill="#fff" font-family="DejaVu Sans,Verdana,sans-serif" font-size="11">'
             '<text x="7" y="14">Open</text><text x="52" y="14" fill="#222">in Colab</text></g></svg>')
SHOW_DIRS = {'export', 'exports', 'exporti', 'exec_doc'}


def settings():
    "The repository URL and branch pyproject.toml names (as tools/colab.py reads them)."
    cfg = tomllib.loads((ROOT / 'pyproject.toml').read_text())
    return cfg['project']['urls']['Repository'].rstrip('/'), cfg['tool']['nbdev'].get('branch', 'main')


def notebooks(nbs: Path, only=()):
    "index first, then the notebooks in reading order; `only`: stems (or file names) to keep besides index."
    keep = {Path(o).stem for o in only}
    nbs_ = sorted(p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')) and p.stem != 'index')
    bad = keep - {p.stem for p in nbs_} - {'index'}
    if bad: raise SystemExit(f'--only: no notebook {sorted(bad)} in {nbs}')
    return [nbs / 'index.ipynb'] + [p for p in nbs_ if not keep or p.stem in keep]


def module_pages(nbs: Path):
    "lae_nb module name -> the notebook stem that exports it (`#| default_exp`)."
    res = {}
    for p in nbs.glob('*.ipynb'):
        for c in json.loads(p.read_text())['cells']:
            m = (re.search(r'^#\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M) if c['cell_type'] == 'code'
                 else None)
            if m: res[m.group(1)] = p.stem
    return res


def _nbdev_procs():
    "nbdev's doc processors, with a forgiving `exec_show_docs` (see the module docstring)."
    from nbdev.processors import FilterDefaults, exec_show_docs, _do_eval, _show_docs

    class exec_docs(exec_show_docs):
        def __call__(self, cell):
            if not getattr(self.nb, 'has_docs_', None) or not hasattr(self, 'k'): return
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                if not _do_eval(cell): return
            trees = cell.parsed_()
            if (cell.directives_.keys() & SHOW_DIRS or _show_docs(trees)
                    or all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees)):
                self.k.cell(cell)
            else: self.k.run('\n'.join(ast.unparse(t) for t in trees if isinstance(t, (ast.Import, ast.ImportFrom))))
            if self.k.exc:
                print(f'  docs: {Path(getattr(self.nb, "_path", "?")).name}: '
                      f'a cell failed ({type(self.k.exc).__name__}: {self.k.exc}); '
                      f'a show_doc after it may be missing:\n    ' + cell.source[:200].replace('\n', '\n    '))
                self.k.exc = None

    class Filter(FilterDefaults):
        def base_procs(self): return [exec_docs if p is exec_show_docs else p for p in super().base_procs()]
    return Filter()


def _directives(src):
    "Leading `#| key: value` lines of a code cell -> (options, the rest of the source)."
    opts, lines = {}, src.splitlines()
    while lines and lines[0].startswith('#|'):
        k, _, v = lines.pop(0)[2:].partition(':')
        opts[k.strip()] = v.strip().strip('"\'').lower()
    return opts, '\n'.join(lines)


def rewrite_links(md, pages, modules, depth, repo, branch, nbs, assets):
    """Point a markdown text's links at this site's source files (MyST checks them and makes them .html links):
    notebooks and nbdev's /module.html at pages, other files at copies or GitHub. depth: folders below the top."""
    up = '../' * depth
    def one(m):
        text, url = m.group(1), m.group(2)
        if url == BADGE_URL: return f'{text}({up}assets/colab-badge.svg)'
        if re.match(r'[a-z]+:|#|mailto:', url): return m.group(0)
        path, _, frag = url.partition('#')
        if path.startswith('/') and path.endswith('.html'): # nbdev's link to a module's docs
            mod, stem = path[1:-5], modules.get(path[1:-5])
            if ('.' in frag and stem
                    and frag not in re.findall(r'show_doc\(([\w.]+)', (nbs / f'{stem}.ipynb').read_text().lower())):
                # nbdev links a method to #class.method, which only its own show_doc would make
                frag = frag.split('.')[0]
            frag = '#' + frag if frag else ''
            return f'{text}({up}{stem}.ipynb{frag})' if stem in pages else f'{text}({up}api/{mod}.md{frag})'
        frag, name = '#' + frag if frag else '', Path(path)
        if name.suffix == '.ipynb' and name.stem in pages: return f'{text}({up}{name.stem}.ipynb{frag})'
        for f in ((nbs / path).resolve(), (nbs.parent / path).resolve()):
            if f.is_file() and f.is_relative_to(nbs.resolve()):
                assets.add(f.relative_to(nbs.resolve()))
                return f'{text}({up}{f.relative_to(nbs.resolve()).as_posix()}{frag})'
        f = (nbs.parent / path).resolve()
        if f.exists() and f.is_relative_to(ROOT):
            return f'{text}({repo}/blob/{branch}/{f.relative_to(ROOT).as_posix()}{frag})'
        return m.group(0)
    def nb_name(m): return f'[`{m.group(1)}`]({up}{m.group(1)}.ipynb)' if m.group(1) in pages else m.group(0)
    def outside_code(part):
        part = re.sub(r'(!\[[^\]]*\])\(([^)\s]+)\)', one, part) # images, then links (whose text may hold an image)
        part = re.sub(r'((?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\])\(([^)\s]+)\)', one, part)
        return re.sub(r'(?<![\[\w])`(\d\d[a-z]?_\w+)`(?![\]\w])', nb_name, part)
    parts = re.split(r'(```.*?```)', md, flags=re.S)
    return ''.join(p if i % 2 else outside_code(p) for i, p in enumerate(parts))


def _md(text):
    "show_doc's markdown without Quarto's link attributes, `__main__.` or a source link with no line."
    md = re.sub(r'\{target="_blank"[^}]*\}', '', ''.join(text)).replace('__main__.', '').replace('#LNone)', ')')
    md = re.sub(r'^\s*---\n', '', md) # the rule above each entry: docutils warns on a section that opens with one
    return re.sub(r'^(###+) (\w+\.\w+)$',
                  lambda m: f'<a id="{m.group(2).lower()}"></a>\n\n{m.group(0)}', md, flags=re.M)


def plain_cells(nb, link):
    "A processed notebook's cells, made plain for a renderer that knows no Quarto (see the module docstring)."
    from nbformat.v4 import new_markdown_cell
    cells = []
    for c in nb['cells']:
        src = ''.join(c.get('source', ''))
        if c['cell_type'] == 'raw' and src.startswith('---'):
            import yaml
            fm = yaml.safe_load(src.strip().strip('-')) or {}
            head = f"# {fm.get('title', '')}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')
            cells.append(new_markdown_cell(link(head)))
            continue
        if c['cell_type'] == 'markdown':
            if src.startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            c['source'] = link(src)
        if c['cell_type'] != 'code':
            cells.append(c)
            continue
        opts, c['source'] = _directives(src)
        if opts.get('include') == 'false': continue
        if opts.get('output') == 'asis': # show_doc: its markdown, as markdown
            md = [o['data']['text/markdown'] for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
            if md: cells.append(new_markdown_cell(link(_md(md[0]))))
            continue
        if opts.get('output') == 'false': c['outputs'] = []
        if opts.get('echo') == 'false': c.setdefault('metadata', {})['tags'] = ['remove-input']
        outs = []
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if WIDGET in data:
                data.pop(WIDGET)
                if set(data) <= {'text/plain'}:
                    o = {'output_type': 'display_data', 'metadata': {}, 'data': {'text/markdown': WIDGET_NOTE}}
            if 'text/markdown' in data: data['text/markdown'] = link(_md(data['text/markdown']))
            outs.append(o)
        c['outputs'] = outs
        if c['source'].strip() or outs: cells.append(c)
    return cells


def api_page(mod_name, lesson):
    "(markdown, summary) for lae_nb.<mod_name>: its docstring's summary, then show_doc of each name in `__all__`."
    import importlib
    from nbdev.showdoc import show_doc
    mod = importlib.import_module(f'lae_nb.{mod_name}')
    head = ' '.join((mod.__doc__ or '').strip().split('\n\n')[0].split()) # the notebook's summary, wrapped over lines
    lines = [f'# lae_nb.{mod_name}', '', f'> {head}' if head else '', '',
             f'Taught in the lesson [{lesson}](../{lesson}.ipynb).' if lesson else '', '']
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name, None)
        if callable(obj): lines += [show_doc(obj, name=name)._repr_markdown_(), '']
        else:
            val = f' = {obj!r}' if isinstance(obj, (int, float, str, bool)) and len(repr(obj)) < 80 else ''
            lines += [f'### {name}', '', f'`{name}: {type(obj).__name__}{val}`', '']
    return '\n'.join(lines), head


def toctree(entries, caption='', hidden=True):
    "A MyST toctree directive (Sphinx's navigation) listing `entries`."
    opts = (':hidden:\n' if hidden else '') + (f':caption: {caption}\n' if caption else '') + ':maxdepth: 1\n'
    return '```{toctree}\n' + opts + '\n'.join(entries) + '\n```\n'


def prepare(nbs: Path, work: Path, only=()):
    "Processed notebooks, API pages, the navigation, images and the badge in work/docs; returns (page stems, modules)."
    import nbformat
    from fastcore.nbio import read_nb, nb2dict
    repo, branch = settings()
    nbs = nbs.resolve()
    shutil.rmtree(work, ignore_errors=True)
    docs = work / 'docs'
    (docs / 'api').mkdir(parents=True)
    paths, modules = notebooks(nbs, only), module_pages(nbs)
    pages, assets, filt, titles = {p.stem for p in paths}, set(), _nbdev_procs(), {}
    def link(depth): return lambda s: rewrite_links(s, pages, modules, depth, repo, branch, nbs, assets)
    for p in paths:
        nb = read_nb(p)
        nb._path = str(p)
        filt(nb)
        nb = nbformat.from_dict(nb2dict(nb))
        nb.cells = [nbformat.from_dict(c) for c in plain_cells(nb, link(0))]
        titles[p.stem] = nb.cells[0].source.splitlines()[0].lstrip('# ') if nb.cells else p.stem
        if p.stem == 'index': nb.cells.append(nbformat.v4.new_markdown_cell(toctree(['lessons', 'api/index'])))
        nb.metadata.pop('widgets', None)
        for i, c in enumerate(nb.cells): c['id'] = f'c{i}'
        nbformat.write(nb, docs / p.name)
    lessons = [f'{s}: {titles[s]} <{s}>' for s in titles if s != 'index']
    intro = '# Lessons\n\nThe notebooks, in reading order; each opens in Colab from its badge.\n\n'
    (docs / 'lessons.md').write_text(intro + toctree(lessons, hidden=False))
    summary = {}
    for m in sorted(modules):
        md, summary[m] = api_page(m, modules[m] if modules[m] in pages else None)
        (docs / 'api' / f'{m}.md').write_text(link(1)(_md(md)))
    (docs / 'api' / 'index.md').write_text('# API reference\n\nOne page per module of lae_nb, from its docstrings; '
        'the lessons explain them.\n\n' + '\n'.join(f'- [lae_nb.{m}]({m}.md): {summary[m]}' for m in sorted(modules)) +
        '\n\n' + toctree(sorted(modules)))
    for a in sorted(assets):
        (docs / a).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nbs / a, docs / a)
    (docs / 'assets').mkdir(exist_ok=True)
    (docs / 'assets' / 'colab-badge.svg').write_text(BADGE_SVG)
    return [p.stem for p in paths], sorted(modules)


CONF = """# Written by tools/docs.py: Sphinx + myst-nb + pydata-sphinx-theme over the prepared notebooks.
project, html_title = 'lae_nb', 'lae_nb'
extensions = ['myst_nb']
nb_execution_mode = 'off'  # outputs as stored in the notebooks; the build runs no lesson
myst_enable_extensions = ['dollarmath', 'amsmath']
myst_heading_anchors = 3  # nbdev's links name headings (#predict_image)
html_theme = 'pydata_sphinx_theme'
html_theme_options = {{'github_url': {repo!r}, 'show_toc_level': 2, 'header_links_before_dropdown': 4,
                      'navigation_with_keys': False, 'secondary_sidebar_items': ['page-toc']}}
html_context = {{'default_mode': 'light'}}  # else the theme logs 'invalid theme mode' on a first visit
html_static_path = ['_static']
mathjax_path = 'mathjax/tex-chtml.js'  # MathJax 3 served by the site itself: no CDN
html_copy_source = html_show_sourcelink = False
exclude_patterns = ['_static']
suppress_warnings = ['myst.header', 'misc.highlighting_failure']  # show_doc's ### under a page's #
"""


def mathjax(docs: Path):
    "MathJax 3 (tex-chtml, its fonts, the TeX extensions it loads on demand), from the django-static-mathjax wheel."
    import importlib.util
    spec = importlib.util.find_spec('mathjax')
    src = Path(spec.submodule_search_locations[0]) / 'static' / 'mathjax' / 'es5' if spec else None
    if not src or not (src / 'tex-chtml.js').exists():
        raise SystemExit('MathJax is missing: pip install -r docs/requirements.txt')
    dst = docs / '_static' / 'mathjax'
    for part in ('input/tex/extensions', 'output/chtml/fonts/woff-v2', 'a11y', 'ui'):
        shutil.copytree(src / part, dst / part, ignore=shutil.ignore_patterns('sre*'))
    shutil.copy(src / 'tex-chtml.js', dst)


def build(out='_site', only=(), work='_proc/docs', nbs='nbs'):
    "prepare + render; returns the seconds each took."
    out, work = Path(out), Path(work)
    t0 = time.time()
    stems, mods = prepare(Path(nbs), work, only)
    mathjax(work / 'docs')
    (work / 'docs' / 'conf.py').write_text(CONF.format(repo=settings()[0]))
    t1 = time.time()
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-d', str(work / 'doctrees'),
           str(work / 'docs'), str(out)]
    if subprocess.run(cmd).returncode: raise SystemExit('sphinx-build failed')
    (out / '.nojekyll').touch() # GitHub Pages: serve _static/ as is
    t2 = time.time()
    print(f'docs: {len(stems)} notebooks and {len(mods)} API pages -> {out}/ (prepare {t1 - t0:.0f} s, '
          f'render {t2 - t1:.0f} s)')
    return {'prepare_s': round(t1 - t0, 1), 'render_s': round(t2 - t1, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('build', help='build the site')
    b.add_argument('--out', default='_site', help='the site folder (default _site)')
    b.add_argument('--only', nargs='*', default=(), metavar='NB',
                   help='only these notebooks (and index, and every API page)')
    b.add_argument('--work', default='_proc/docs', help='where the prepared pages go (default _proc/docs)')
    b.add_argument('--nbs', default=str(ROOT / 'nbs'), help='the notebooks folder (default nbs; tests pass a copy)')
    a = ap.parse_args(argv)
    build(a.out, a.only, a.work, a.nbs)


if __name__ == '__main__':
    sys.path.insert(0, str(ROOT))
    main()

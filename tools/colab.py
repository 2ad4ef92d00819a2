"""Give every notebook in nbs/ an "Open in Colab" badge and a guarded setup cell, and keep the README's
install line on the repository that pyproject.toml names (idempotent).

    python tools/colab.py          # add or refresh them
    python tools/colab.py --check  # exit 1 if a notebook lacks them or they are out of date
    python tools/colab.py nbs/03_model.ipynb  # only the notebooks named

`[project.urls] Repository` (and `[tool.nbdev] branch`) in pyproject.toml is the one place that names the
repository: the badges, the setup cells and the `lae_nb @ git+...` install lines in the notebooks' markdown
(the README's, from index.ipynb) are written from it, so they follow the repository when it moves.

The setup cell does nothing where lae_nb is importable (a local install). Elsewhere (Colab, a fresh runtime) it
installs lae_nb from, in this order: the path or URL in the environment variable LAE_NB_WHEEL, a wheel
`lae_nb-*.whl` uploaded next to the notebook (the newest name), or the repository. If pip changed a package
this runtime has already imported (torch, numpy, ...) or ipywidgets (whose front end is already loaded), it
prints that the runtime must be restarted.
"""
import json, re, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BADGE_MARK = 'colab-badge.svg'
SETUP_MARK = '# Setup for Colab or a fresh runtime'
INSTALL_LINE = re.compile(r'lae_nb @ git\+[^\s"\'`)]+') # a pip requirement naming the repository


def settings():
    cfg = tomllib.loads((ROOT / 'pyproject.toml').read_text())
    repo = cfg['project']['urls']['Repository'].rstrip('/')
    return repo, cfg['tool']['nbdev'].get('branch', 'main')


def badge_source(nb_name, repo, branch):
    gh = repo.split('github.com/', 1)[1]
    url = f'https://colab.research.google.com/github/{gh}/blob/{branch}/nbs/{nb_name}'
    return f'[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})'


def setup_source(repo):
    return '\n'.join([
        f'{SETUP_MARK}: installs lae_nb only when it is not importable; does nothing in a local install.',
        "# From: $LAE_NB_WHEEL (a wheel's path or URL), else a lae_nb-*.whl uploaded next to this notebook,",
        '# else the repository.',
        'import glob, importlib, importlib.metadata as md, importlib.util, os, subprocess, sys',
        "if importlib.util.find_spec('lae_nb') is None:",
        "    wheels = sorted(glob.glob('lae_nb-*.whl'))",
        "    source = (os.environ.get('LAE_NB_WHEEL')",
        f"              or (wheels[-1] if wheels else 'lae_nb @ git+{repo}'))",
        "    print(f'installing lae_nb from {source} ...')",
        '    before = {d.name.lower(): d.version for d in md.distributions()}',
        "    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', source], check=True)",
        '    importlib.invalidate_caches()',
        '    changed = {d.name.lower() for d in md.distributions()',
        '               if d.name.lower() in before and before[d.name.lower()] != d.version}',
        '    imported = {dist.lower() for mod, dists in md.packages_distributions().items()',
        '                if mod in sys.modules for dist in dists}',
        "    stale = sorted(changed & (imported | {'ipywidgets'}))"
        " # in memory at their old version (ipywidgets: its front end)",
        "    if stale: print(f'RESTART NEEDED: pip changed {stale}, already loaded at their old version."
        " Restart the runtime '",
        "                    '(Colab: Runtime > Restart session) and run the notebook again;"
        " this cell will then do nothing.')",
        "    else: print('lae_nb installed; no restart needed.')",
    ])


def _cell(kind, source):
    c = {'cell_type': kind, 'metadata': {}, 'source': source.splitlines(True)}
    if kind == 'code': c.update(execution_count=None, outputs=[])
    return c


def _index_after_title(cells):
    "Position after the '# Title' markdown cell (and a leading default_exp cell)."
    for i, c in enumerate(cells):
        if c['cell_type'] == 'markdown' and ''.join(c['source']).lstrip().startswith('# '): return i + 1
    return 1 if cells and ''.join(cells[0]['source']).startswith('#| default_exp') else 0


def _with_repo(cell, repo):
    "A markdown cell whose `lae_nb @ git+...` install lines name `repo`."
    if cell['cell_type'] != 'markdown': return cell
    src = ''.join(cell['source'])
    new = INSTALL_LINE.sub(f'lae_nb @ git+{repo}', src)
    return cell if new == src else {**cell, 'source': new.splitlines(True)}


def apply(nb_path, repo, branch, write=True):
    "Insert or refresh the badge and setup cells and the install lines; returns True if the notebook changed."
    nb = json.loads(nb_path.read_text())
    cells = nb['cells']
    want_badge, want_setup = badge_source(nb_path.name, repo, branch), setup_source(repo)
    kept = [_with_repo(c, repo) for c in cells
            if not (BADGE_MARK in ''.join(c['source']) and c['cell_type'] == 'markdown')
            and not (c['cell_type'] == 'code' and ''.join(c['source']).startswith(SETUP_MARK))]
    at = _index_after_title(kept)
    new = kept[:at] + [_cell('markdown', want_badge), _cell('code', want_setup)] + kept[at:]
    def strip(cs): return [(c['cell_type'], ''.join(c['source'])) for c in cs]
    changed = strip(new) != strip(cells)
    if changed and write:
        nb['cells'] = new
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return changed


if __name__ == '__main__':
    repo, branch = settings()
    check = '--check' in sys.argv
    paths = [Path(a) for a in sys.argv[1:] if not a.startswith('--')] or sorted((ROOT / 'nbs').glob('*.ipynb'))
    stale = [p.name for p in paths if apply(p, repo, branch, write=not check)]
    if check and stale: sys.exit(f'notebooks without an up-to-date Colab badge / setup cell / install line: {stale}; '
                                 'run python tools/colab.py')
    print(('missing in: ' if check else 'updated: ') + (', '.join(stale) or 'none'))

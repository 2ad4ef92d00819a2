"""Give every notebook in nbs/ an "Open in Colab" badge and a guarded setup cell (idempotent).

    python tools/colab.py          # add or refresh them
    python tools/colab.py --check  # exit 1 if a notebook lacks them or they are out of date
    python tools/colab.py nbs/01_model.ipynb  # only the notebooks named

The badge URL is built from `[project.urls] Repository` and `[tool.nbdev] branch` in pyproject.toml, so it
follows the repository when it moves. The setup cell installs lae_nb only when it is not importable
(Colab, a fresh runtime) and does nothing in a local install.
"""
import json, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BADGE_MARK = 'colab-badge.svg'
SETUP_MARK = '# Setup for Colab or a fresh runtime'


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
        'import importlib.util, subprocess, sys',
        "if importlib.util.find_spec('lae_nb') is None:",
        f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'lae_nb @ git+{repo}'], check=True)",
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


def apply(nb_path, repo, branch, write=True):
    "Insert or refresh the badge and setup cells; returns True if the notebook changed."
    nb = json.loads(nb_path.read_text())
    cells = nb['cells']
    want_badge, want_setup = badge_source(nb_path.name, repo, branch), setup_source(repo)
    kept = [c for c in cells if not (BADGE_MARK in ''.join(c['source']) and c['cell_type'] == 'markdown')
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
    if check and stale: sys.exit(f'notebooks without an up-to-date Colab badge / setup cell: {stale}; run python tools/colab.py')
    print(('missing in: ' if check else 'updated: ') + (', '.join(stale) or 'none'))

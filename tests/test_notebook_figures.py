"""The notebooks that teach by showing draw pictures: executed headlessly with nbclient (as nbconvert and
JupyterLab would), each writes at least one PNG image output and no output that is only a figure's text
repr (`<Figure size 640x480 with 1 Axes>`, what a bare matplotlib Figure prints instead of a picture).

About two minutes on a 2-core CPU (the five notebooks run again, besides their own tests in
test_notebooks.py), so it runs when LAE_FIGURE_TEST=1.
"""
import os, re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NBS = Path(__file__).resolve().parent.parent / 'nbs'
SHOWING = ['03_model', '05_cam', '14_active', '20_widgets', 'index']
SKIP_FLAGS = {'slow', 'cuda', 'browser'} # as test_notebooks.py leaves them out by default
FIGURE_REPR = re.compile(r'^\s*<(matplotlib\.figure\.)?Figure size [^>]*>\s*$')

pytestmark = pytest.mark.skipif(os.environ.get('LAE_FIGURE_TEST') != '1',
                                reason='set LAE_FIGURE_TEST=1 to execute the notebooks that draw figures '
                                       '(about two minutes)')


def _flags(src: str) -> set:
    return {l[3:].strip().split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#| ') and l[3:].strip()}


def _texts(output) -> list[str]:
    "The text an output shows: a stream's text, or a display's text/plain when it has no richer picture."
    if output.get('output_type') == 'stream': return [output.get('text', '')]
    data = output.get('data', {})
    if ('text/plain' in data
            and not {'image/png', 'image/svg+xml', 'application/vnd.jupyter.widget-view+json'} & set(data)):
        return [data['text/plain']]
    return []


def test_figure_repr_pattern():
    "The pattern catches a bare figure's repr and nothing else."
    assert FIGURE_REPR.match('<Figure size 1300x330 with 4 Axes>')
    assert FIGURE_REPR.match('<matplotlib.figure.Figure size 640x480 with 0 Axes>\n')
    assert not FIGURE_REPR.match('fake: score +1.02')


@pytest.mark.parametrize('name', SHOWING)
def test_notebook_shows_images(name, monkeypatch):
    monkeypatch.setenv('IN_TEST', '1') # the kernel inherits it: the same shrunk workloads as nbdev-test
    path = NBS / f'{name}.ipynb'
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells
                if not (c.cell_type == 'code' and (_flags(c.source) & SKIP_FLAGS or '#| eval: false' in c.source))]
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(NBS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs]
    n_png = sum('image/png' in o.get('data', {}) for o in outputs)
    bare = [t for o in outputs for t in _texts(o) if FIGURE_REPR.match(t)]
    assert n_png >= 1, f'{name} wrote no image output'
    assert not bare, f'{name} printed a figure instead of showing it: {bare}'

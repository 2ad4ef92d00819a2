"""Lessons stored with their outputs (issue 23): the lesson notebooks hold their executed figures, made by
`python tools/outputs.py`, and no stored output outlives a change of its cell's source.

Each code cell whose outputs are stored carries a hash of its source in its metadata; a cell edited since
(prose, code or figure drifting apart) fails here until `python tools/outputs.py NB` makes its outputs again.
"""
import base64, json, re, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import outputs # noqa: E402 (tools/outputs.py)

NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'))


def _images(nb_path: Path) -> list[bytes]:
    "Every PNG stored in a notebook's outputs, in order."
    nb = json.loads(nb_path.read_text())
    return [base64.b64decode(''.join(o['data']['image/png'])) for c in nb['cells'] if c['cell_type'] == 'code'
            for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_belong_to_their_cells(nb):
    stale = outputs.stale_outputs(nb)
    assert not stale, f'outputs made from another source; run python tools/outputs.py {nb.relative_to(ROOT)}: {stale}'


DRAWS = re.compile(r'\bshow\(|DisplayImage\(|\.subplots\(|\bplot_\w+\(|\bexplore_\w+\(')


def _draws(nb_path: Path) -> bool:
    "Whether a lesson has a kept cell (shown to the student, not hidden) that draws a figure."
    nb = json.loads(nb_path.read_text())
    return any(outputs._kept(c) and DRAWS.search(''.join(c['source'])) for c in nb['cells'])


@pytest.mark.parametrize('name', outputs.LESSONS)
def test_lessons_hold_their_figures(name):
    "Every lesson stores its outputs; one that draws (most of them; 25_exp_ablation is tables) stores its PNGs."
    nb_path = ROOT / 'nbs' / f'{name}.ipynb'
    cells = json.loads(nb_path.read_text())['cells']
    assert any(c.get('outputs') for c in cells), f'{name} stores no output: python tools/outputs.py nbs/{name}.ipynb'
    images = _images(nb_path)
    assert images or not _draws(nb_path), f'{name} stores no figure: run python tools/outputs.py nbs/{name}.ipynb'
    assert all(png[:8] == b'\x89PNG\r\n\x1a\n' for png in images)


def test_a_lesson_that_draws_is_recognised():
    assert _draws(ROOT / 'nbs' / '05_cam.ipynb') and not _draws(ROOT / 'nbs' / '25_exp_ablation.ipynb')


def test_a_changed_cell_is_caught(tmp_path):
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    cell = next(c for c in nb['cells'] if c['cell_type'] == 'code' and c.get('outputs'))
    cell['source'] = ''.join(cell['source']) + '\n# edited after its outputs were made'
    path = tmp_path / 'edited.ipynb'
    path.write_text(json.dumps(nb))
    assert len(outputs.stale_outputs(path)) == 1


def test_lesson_outputs_stay_small():
    total = sum((ROOT / 'nbs' / f'{n}.ipynb').stat().st_size for n in outputs.LESSONS)
    assert total < 8_000_000, f'the lesson notebooks weigh {total / 1e6:.1f} MB with their outputs'


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_hidden_checks_are_collapsed(nb):
    "Cells flagged `#| hide` (checks, test imports) are collapsed in JupyterLab: a lesson reads as prose, code, figures"
    assert not outputs.hidden_not_collapsed(nb), 'run python tools/outputs.py --collapse'

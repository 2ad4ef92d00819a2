"""Execute nbs/18_widgets.ipynb headlessly with nbclient and check the widget state it saves.

nbclient records every widget model the kernel creates (with binary buffers, such as the explorers'
PNGs) in the notebook's metadata, as JupyterLab does on save. These tests read that saved state back:
each explorer's status line, its sliders, its picture, and how they fit together.
"""
import base64
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image

NB = Path(__file__).resolve().parent.parent / 'nbs' / '18_widgets.ipynb'
MANIFEST = Path(__file__).resolve().parent.parent / 'data_samples' / 'manifest.csv'
WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'


@pytest.fixture(scope='module')
def executed():
    nb = nbformat.read(NB, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name='python3', store_widget_state=True,
                   resources={'metadata': {'path': str(NB.parent)}}).execute()
    return nb


@pytest.fixture(scope='module')
def state(executed):
    return executed.metadata['widgets'][WIDGET_STATE]['state']


@pytest.fixture(scope='module')
def records():
    from lae_nb.data import read_manifest
    return read_manifest(MANIFEST)


def _first_fake_iou(train: list, index: int) -> float:
    "IoU at threshold 0.5 of the shipped detector's heatmap of train image `index` with its mask, computed here."
    from lae_nb.core import evaluating
    from lae_nb.data import ForgeryDataset
    from lae_nb.evaluate import cam_iou
    from lae_nb.runs import load_detector
    det = load_detector(device='cpu')
    item = ForgeryDataset(train, img_size=det.img_size)[index]
    with evaluating(det.module):
        cam = det.heatmap(item['image'][None])
    return cam_iou(cam, item['mask'][None], 0.5).item()


def _ref(v: str) -> str: return v.removeprefix('IPY_MODEL_')


def _explorer(state: dict, name: str) -> dict:
    "The models of the explorer whose status line starts '<name>: rendered', keyed by model name (lists)."
    for mid, m in state.items():
        if m['model_name'] != 'VBoxModel': continue
        kids = [_ref(c) for c in m['state']['children']]
        html = [state[k] for k in kids if state[k]['model_name'] == 'HTMLModel']
        if html and html[0]['state']['value'].startswith(f'<code>{name}: rendered '):
            out = {'box': mid, 'status': html[0]['state']['value']}
            todo = list(kids)
            while todo: # the explorer's widgets, including those inside its HBoxes
                k = todo.pop(0)
                out.setdefault(state[k]['model_name'], []).append(state[k])
                todo += [_ref(c) for c in state[k]['state'].get('children', [])]
            return out
    raise AssertionError(f'no explorer with a "{name}: rendered" status in the saved widget state')


def _png(model: dict) -> Image.Image:
    buf = next(b for b in model['buffers'] if b['path'] == ['value'])
    data = base64.b64decode(buf['data'])
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    return Image.open(io.BytesIO(data))


def test_every_displayed_widget_is_saved(executed, state):
    shown = [o['data'][WIDGET_VIEW]['model_id'] for c in executed.cells if c.cell_type == 'code'
             for o in c.get('outputs', []) if WIDGET_VIEW in o.get('data', {})]
    assert len(shown) == 3, shown # one per explorer
    assert all(mid in state for mid in shown)


def test_latent_explorer_state(state, records):
    ex = _explorer(state, 'latent')
    (slider,) = ex['IntSliderModel']
    n_test = sum(r.split == 'test' for r in records)
    assert (slider['state']['min'], slider['state']['max'], slider['state']['value']) == (0, n_test - 1, 0)
    assert re.match(r'<code>latent: rendered index=0 a_T=\d\.\d\d a_F=\d\.\d\d predicted=(real|fake)</code>', ex['status'])
    (img,) = ex['ImageModel']
    assert _png(img).size[0] > 600 # the four-panel figure


def test_heatmap_explorer_state(state, records):
    ex = _explorer(state, 'heatmap')
    split, method = ex['DropdownModel']
    train = [r for r in records if r.split == 'train']
    assert split['state']['_options_labels'] == ['train', 'val', 'test'] and split['state']['index'] == 0
    assert method['state']['_options_labels'] == ['all fakes', 'all', *sorted({r.method for r in train})]
    assert method['state']['index'] == 0 # all fakes
    (toggle,) = ex['ToggleButtonsModel']
    assert toggle['state']['_options_labels'] == ['stage 2', 'stage 1'] and toggle['state']['index'] == 0
    (index,) = ex['IntSliderModel']
    assert (index['state']['value'], index['state']['max']) == (0, sum(r.label == 0 for r in train) - 1)
    alpha, threshold = ex['FloatSliderModel']
    assert (alpha['state']['value'], threshold['state']['value']) == (0.5, 0.5)
    m = re.match(r'<code>heatmap: rendered split=train method=all fakes position=0 index=(\d+) model=stage 2 '
                 r'alpha=0\.50 threshold=0\.50 iou=(\d\.\d\d)</code>', ex['status'])
    assert m, ex['status']
    assert int(m[1]) == next(i for i, r in enumerate(train) if r.label == 0) # the first fake of the split
    assert float(m[2]) == pytest.approx(_first_fake_iou(train, int(m[1])), abs=0.006) # shown with two decimals
    (img,) = ex['ImageModel']
    assert _png(img).size[0] > 500 # the three-panel figure


def test_active_gallery_state(state, records):
    ex = _explorer(state, 'active')
    (slider,) = ex['IntSliderModel']
    n_fakes = sum(r.split == 'train' and r.label == 0 for r in records)
    assert (slider['state']['min'], slider['state']['max'], slider['state']['value']) == (1, min(12, n_fakes), 3)
    assert ex['status'] == '<code>active: rendered n_active=3</code>'
    (img,) = ex['ImageModel']
    assert _png(img).size[1] > 300 # weights above two rows of thumbnails

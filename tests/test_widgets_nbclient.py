"""Execute nbs/20_widgets.ipynb and nbs/20b_gallery.ipynb headlessly with nbclient and check the widget state they save.

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

NB = Path(__file__).resolve().parent.parent / 'nbs' / '20_widgets.ipynb'
GALLERY_NB = NB.with_name('20b_gallery.ipynb')
MANIFEST = Path(__file__).resolve().parent.parent / 'data_samples' / 'manifest.csv'
WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'


def _execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name='python3', store_widget_state=True,
                   resources={'metadata': {'path': str(path.parent)}}).execute()
    return nb


@pytest.fixture(scope='module')
def executed(): return _execute(NB)


@pytest.fixture(scope='module')
def gallery_executed(): return _execute(GALLERY_NB)


@pytest.fixture(scope='module')
def state(executed):
    return executed.metadata['widgets'][WIDGET_STATE]['state']


@pytest.fixture(scope='module')
def gallery_state(gallery_executed):
    return gallery_executed.metadata['widgets'][WIDGET_STATE]['state']


@pytest.fixture(scope='module')
def records():
    from lae_nb.data import read_manifest
    return read_manifest(MANIFEST)


def _test_split(records: list, img_size: int):
    "The postprocess task's test split with its unseen fakes, as the notebook opens it, built here from the manifest."
    from lae_nb.data import ForgeryDataset, task_datasets
    sets = task_datasets(records, 'postprocess', img_size=img_size)
    unseen = [r for ds in sets['unseen'].values() for r in ds.records if r.label == 0]
    return ForgeryDataset(sets['test'].records + unseen, img_size=img_size)


@pytest.fixture(scope='module')
def test_ious(records):
    "(masked fakes' indices in the first split, their IoU after stage 2), computed here with lae_nb.evaluate."
    from lae_nb.evaluate import predict_dataset
    from lae_nb.runs import load_detector
    det = load_detector(device='cpu')
    data = _test_split(records, det.img_size)
    masked = [i for i, r in enumerate(data.records) if r.label == 0 and r.mask_path]
    return masked, predict_dataset(det, data, device='cpu', progress=False)['iou']


def _ref(v: str) -> str: return v.removeprefix('IPY_MODEL_')


def _explorer(state: dict, name: str, contains: str = '') -> dict:
    ("The models of the explorer whose status line starts '<name>: rendered' and contains `contains`, "
     "keyed by model name (lists).")
    for mid, m in state.items():
        if m['model_name'] != 'VBoxModel': continue
        kids = [_ref(c) for c in m['state']['children']]
        html = [state[k] for k in kids if state[k]['model_name'] == 'HTMLModel']
        status = html[0]['state']['value'] if html else ''
        if status.startswith(f'<code>{name}: rendered ') and contains in status:
            out = {'box': mid, 'status': html[0]['state']['value']}
            todo = list(kids)
            while todo: # the explorer's widgets, including those inside its HBoxes
                k = todo.pop(0)
                out.setdefault(state[k]['model_name'], []).append(state[k])
                todo += [_ref(c) for c in state[k]['state'].get('children', [])]
            return out
    raise AssertionError(f'no explorer with a "{name}: rendered ...{contains}" status in the saved widget state')


def _png(model: dict) -> Image.Image:
    buf = next(b for b in model['buffers'] if b['path'] == ['value'])
    data = base64.b64decode(buf['data'])
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    return Image.open(io.BytesIO(data))


def _shown(nb) -> list[dict]:
    return [o['data'] for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
            if WIDGET_VIEW in o.get('data', {})]


def test_every_displayed_widget_is_saved(executed, state, gallery_executed, gallery_state):
    shown, gallery = _shown(executed), _shown(gallery_executed)
    # latent, heatmap twice (typical and failure); the gallery
    assert len(shown) == 3 and len(gallery) == 1, (len(shown), len(gallery))
    assert (all(d[WIDGET_VIEW]['model_id'] in state for d in shown)
            and gallery[0][WIDGET_VIEW]['model_id'] in gallery_state)


def test_every_explorer_output_carries_its_picture(executed, gallery_executed):
    "Beside the live widget, the same output holds a PNG of its view, for front ends that cannot run widgets."
    for data in _shown(executed) + _shown(gallery_executed):
        assert base64.b64decode(data['image/png'])[:8] == b'\x89PNG\r\n\x1a\n'
        assert data['text/plain'].split(':')[0] in ('LatentExplorer', 'HeatmapExplorer', 'ActiveGallery')


def test_latent_explorer_state(state, records):
    ex = _explorer(state, 'latent')
    (slider,) = ex['IntSliderModel']
    n_task = sum(r.task in ('', 'postprocess') for r in records) # every sample of the task, and the reals
    assert (slider['state']['min'], slider['state']['max'], slider['state']['value']) == (0, n_task - 1, 0)
    assert re.match(r'<code>latent: rendered index=0 a_T=\d\.\d\d a_F=\d\.\d\d '
                    r'predicted=(real|fake)</code>', ex['status'])
    (img,) = ex['ImageModel']
    assert _png(img).size[0] > 600 # the four-panel figure


def _heatmap(state: dict, records: list, rule: str) -> tuple[dict, int, list]:
    "The saved heatmap explorer opened by `rule`: (its models, the index its status names, the first split's records)."
    ex = _explorer(state, 'heatmap', f' rule={rule}<')
    split, method = ex['DropdownModel']
    assert split['state']['_options_labels'] == ['test', 'val', 'train'] and split['state']['index'] == 0
    test = _test_split(records, 64).records
    assert method['state']['_options_labels'] == ['all fakes', 'all', *sorted({r.method for r in test})]
    assert method['state']['index'] == 0 # all fakes
    assert 'ToggleButtonsModel' not in ex # the detectors are rows of one figure, not a toggle
    sliders = {m['state']['description']: m['state']['value'] for m in ex['FloatSliderModel']} # saved in no set order
    assert sliders == {'opacity': 0.6, 'CAM threshold': 0.5}
    m = re.match(r'<code>heatmap: rendered split=test method=all fakes position=(\d+) index=(\d+) '
                 rf'alpha=0\.60 threshold=0\.50 iou=(\d\.\d\d),(\d\.\d\d) rule={rule}</code>', ex['status'])
    assert m, ex['status']
    (index,) = ex['IntSliderModel']
    fakes = [i for i, r in enumerate(test) if r.label == 0]
    assert (index['state']['max'], index['state']['value']) == (len(fakes) - 1, int(m[1]))
    assert fakes[int(m[1])] == int(m[2]) # the slider's position names the image of the status line
    (img,) = ex['ImageModel']
    assert _png(img).size[0] > 500 and _png(img).size[1] > 400 # three panels, two rows (stage 1, stage 2)
    return ex, int(m[2]), m


def test_heatmap_explorer_opens_on_median_fake(state, records, test_ious):
    ex, shown, m = _heatmap(state, records, 'median')
    masked, iou = test_ious
    order = sorted(range(len(iou)), key=lambda k: (iou[k], k)) # ascending, ties to the earlier fake
    assert shown == masked[order[(len(iou) - 1) // 2]] # the median (lower middle for an even count)
    assert float(m[4]) == pytest.approx(iou[masked.index(shown)], abs=0.006) # stage 2's IoU, shown with two decimals


def test_heatmap_explorer_failure_case(state, records, test_ious):
    ex, shown, m = _heatmap(state, records, 'worst')
    masked, iou = test_ious
    assert shown == masked[min(range(len(iou)), key=lambda k: (iou[k], k))]
    assert float(m[4]) == pytest.approx(min(iou), abs=0.006)


def test_active_gallery_state(gallery_state, records):
    ex = _explorer(gallery_state, 'active')
    (slider,) = ex['IntSliderModel']
    from lae_nb.runs import load_candidates, shipped_run_dir
    stored = len(load_candidates(shipped_run_dir())['active_index'])
    # over the run's stored thumbnails
    assert (slider['state']['min'], slider['state']['max'], slider['state']['value']) == (1, stored, 6)
    assert ex['status'] == '<code>active: rendered n_active=6</code>'
    (img,) = ex['ImageModel']
    assert _png(img).size[1] > 300 # weights above two rows of thumbnails

"""The wheel a student pip-installs: built from the repo and installed into a fresh virtual environment
without nbdev, it imports lae_nb, finds data_samples and the shipped model, runs `lae predict`, and runs
every notebook copied to an empty folder outside the repository (quick mode, as on Colab).

Slow (it installs torch into a new environment), so it runs when LAE_WHEEL_TEST=1 (as .ci/run sets it).
"""
import os, shutil, subprocess, sys, venv, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.environ.get('LAE_WHEEL_TEST') != '1',
                                reason='set LAE_WHEEL_TEST=1 to build and install the wheel (slow; .ci/run does)')

CHECK = r'''
import importlib.util
from lae_nb.core import data_samples_dir
from lae_nb.data import read_manifest
from lae_nb.train import load_model, shipped_run_dir
assert importlib.util.find_spec('nbdev') is None, 'nbdev must not be needed by the installed package'
d = data_samples_dir()
assert 'site-packages' in str(d), d
recs = read_manifest(d / 'manifest.csv')
assert len(recs) >= 20 and {r.label for r in recs} == {0, 1}, len(recs)
model = load_model()
from lae_nb.benchmark import PHOTOS, load_photo
assert all(load_photo(n).ndim == 3 for n in PHOTOS), 'a benchmark photo is missing from the installed package'
print('OK', d, len(recs), shipped_run_dir())
'''

# Executes notebooks as a student would, without nbdev: cells flagged slow/cuda/browser are left out,
# IN_TEST=1 shrinks workloads, each notebook runs in its own folder (a copy, outside the repo).
RUN_NOTEBOOKS = r'''
import os, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
os.environ['IN_TEST'] = '1'
SKIP = {'slow', 'cuda', 'browser'}
def flags(src):
    return {l[3:].strip().split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#| ') and l[3:].strip()}
failed = []
for p in sorted(Path(sys.argv[1]).glob('*.ipynb')):
    nb = nbformat.read(p, as_version=4)
    nb.cells = [c for c in nb.cells
                if not (c.cell_type == 'code' and (flags(c.source) & SKIP or '#| eval: false' in c.source))]
    t0 = time.time()
    try:
        NotebookClient(nb, timeout=1200, kernel_name='python3',
                       resources={'metadata': {'path': str(p.parent)}}).execute()
        print(f'ran {p.name} in {time.time() - t0:.0f} s', flush=True)
    except Exception as e:
        failed.append(p.name); print(f'FAILED {p.name}: {str(e)[-1500:]}', flush=True)
sys.exit(f'notebooks failed: {failed}' if failed else 0)
'''


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(out), str(ROOT)], check=True)
    return next(out.glob('lae_nb-*.whl'))


@pytest.fixture(scope='module')
def fresh_env(wheel, tmp_path_factory):
    "A new virtual environment with the wheel (and its dependencies) and the notebook runner, but not nbdev."
    env_dir = tmp_path_factory.mktemp('env') / 'venv'
    venv.create(env_dir, with_pip=True)
    py = env_dir / 'bin' / 'python'
    subprocess.run([str(py), '-m', 'pip', 'install', '-q', str(wheel), 'nbclient', 'nbformat', 'ipykernel'], check=True)
    return env_dir


def test_wheel_contains_data_and_model(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert 'lae_nb/data_samples/manifest.csv' in names
    assert any(n.startswith('lae_nb/data_samples/') and n.endswith('.png') for n in names)
    assert 'lae_nb/assets/lae_tiny/model.safetensors' in names and 'lae_nb/assets/lae_tiny/config.json' in names
    assert {f'lae_nb/assets/inpainters/{n}.{ext}' for n in ('gl_inpaint', 'pconv_inpaint')
            for ext in ('safetensors', 'json')} <= set(names)
    assert sum(n.startswith('lae_nb/assets/photos/') and n.endswith('.jpg') for n in names) == 9


def test_wheel_imports_and_predicts_without_nbdev(fresh_env, tmp_path):
    py = fresh_env / 'bin' / 'python'
    res = subprocess.run([str(py), '-c', CHECK], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith('OK'), res.stderr
    sample = next((ROOT / 'data_samples').rglob('*.png'))
    res = subprocess.run([str(fresh_env / 'bin' / 'lae'), 'predict', str(sample), '--out', str(tmp_path / 'pred')],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    # <input name>_lae.png: x.png and x.jpg never share an overlay
    assert (tmp_path / 'pred' / f'{sample.name}_lae.png').is_file()


def test_notebooks_run_from_a_plain_install(fresh_env, tmp_path):
    nbs = tmp_path / 'student' / 'nbs' # an empty folder outside the repository
    shutil.copytree(ROOT / 'nbs', nbs, ignore=shutil.ignore_patterns('.ipynb_checkpoints'))
    res = subprocess.run([str(fresh_env / 'bin' / 'python'), '-c', RUN_NOTEBOOKS, str(nbs)], capture_output=True,
                         text=True, cwd=tmp_path, env={**os.environ, 'PYTHONPATH': ''})
    print(res.stdout)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]

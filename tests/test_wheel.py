"""The wheel a student pip-installs: built from the repo, installed into a fresh virtual environment
without nbdev, it imports lae_nb, finds data_samples and the shipped model, and runs `lae predict`.

Slow (it installs torch into a new environment), so it runs when LAE_WHEEL_TEST=1 (as .ci/run sets it).
"""
import os, subprocess, sys, venv, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.environ.get('LAE_WHEEL_TEST') != '1',
                                reason='set LAE_WHEEL_TEST=1 to build and install the wheel (slow; .ci/run does)')

CHECK = r'''
import importlib.util, subprocess, sys
from lae_nb.core import data_samples_dir
from lae_nb.data import read_manifest
from lae_nb.train import load_model, shipped_run_dir
assert importlib.util.find_spec('nbdev') is None, 'nbdev must not be needed by the installed package'
d = data_samples_dir()
assert 'site-packages' in str(d), d
recs = read_manifest(d / 'manifest.csv')
assert len(recs) >= 20 and {r.label for r in recs} == {0, 1}, len(recs)
model = load_model()
print('OK', d, len(recs), shipped_run_dir())
'''


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(out), str(ROOT)], check=True)
    return next(out.glob('lae_nb-*.whl'))


def test_wheel_contains_data_and_model(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert 'lae_nb/data_samples/manifest.csv' in names
    assert any(n.startswith('lae_nb/data_samples/') and n.endswith('.png') for n in names)
    assert 'lae_nb/assets/lae_tiny/model.safetensors' in names and 'lae_nb/assets/lae_tiny/config.json' in names


def test_wheel_works_in_a_fresh_environment(wheel, tmp_path):
    env_dir = tmp_path / 'venv'
    venv.create(env_dir, with_pip=True)
    py = env_dir / 'bin' / 'python'
    subprocess.run([str(py), '-m', 'pip', 'install', '-q', str(wheel)], check=True)
    res = subprocess.run([str(py), '-c', CHECK], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith('OK'), res.stderr
    sample = next((ROOT / 'data_samples').rglob('*.png'))
    res = subprocess.run([str(env_dir / 'bin' / 'lae'), 'predict', str(sample), '--out', str(tmp_path / 'pred')],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / 'pred' / f'{sample.stem}_lae.png').is_file()

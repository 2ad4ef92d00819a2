"""Training is bit-identical to the trainer before the second renovation (issue 22): the same small `lae train`
run, once with the code of REFERENCE (checked out from git into a temporary folder) and once with this checkout,
each in its own process, cache and run folder, must give byte-identical weights after both stages and the same
metrics (every number the reference wrote; newer code may add keys, e.g. the priors' pointing scores).

Skipped when git or the reference commit is not available (a source tarball, a shallow clone).
"""
import json, os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = 'a0b9451' # the last commit before the trainer was split into the steps of Algorithm 1
OVERRIDES = ['benchmark_size=200', 'max_train=400', 'stage1_epochs=2', 'stage2_epochs=1', 'threads=1', 'seed=3']


def _has_reference() -> bool:
    if shutil.which('git') is None: return False
    return subprocess.run(['git', 'cat-file', '-e', f'{REFERENCE}^{{commit}}'], cwd=ROOT,
                          capture_output=True).returncode == 0


def _train(tree: Path, cache: Path, out: Path) -> None:
    code = 'import sys; from lae_nb.cli import main; sys.exit(main(sys.argv[1:]))'
    env = {**os.environ, 'PYTHONPATH': str(tree), 'LAE_NB_CACHE': str(cache), 'OMP_NUM_THREADS': '1'}
    res = subprocess.run([sys.executable, '-c', code, 'train', '--preset', 'tiny', '--out', str(out), '--quiet',
                          '--set', *OVERRIDES],
                         cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def _same_numbers(reference, now, where='metrics') -> list[str]:
    "Every value of `reference` found unchanged in `now` (keys only `now` has are allowed)."
    if isinstance(reference, dict):
        return [p for k, v in reference.items()
                for p in ([f'{where}.{k} missing'] if k not in now else _same_numbers(v, now[k], f'{where}.{k}'))]
    return [] if reference == now else [f'{where}: {reference!r} then, {now!r} now']


@pytest.mark.skipif(not _has_reference(),
                    reason=f'git history with {REFERENCE} is needed to check out the reference trainer')
def test_training_is_bit_identical_to_the_reference(tmp_path):
    old = tmp_path / 'reference'
    old.mkdir()
    archive = subprocess.run(['git', 'archive', REFERENCE], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(old)], input=archive, check=True)
    for name, tree in (('old', old), ('new', ROOT)): _train(tree, tmp_path / f'cache_{name}', tmp_path / f'run_{name}')
    for f in ('stage1.safetensors', 'model.safetensors'):
        old_bytes, new_bytes = ((tmp_path / f'run_{name}' / f).read_bytes() for name in ('old', 'new'))
        assert old_bytes == new_bytes, f'{f} differs from the reference trainer'
    read = lambda name: json.loads((tmp_path / f'run_{name}' / 'metrics.json').read_text())
    assert _same_numbers(read('old'), read('new')) == []

"""Training under torchrun with two gloo processes on the CPU: the command the README gives for several GPUs.

Runs `torchrun --standalone --nproc_per_node=2 $(which lae) train --preset tiny --stage1-epochs 1 --stage2-epochs 1`
and checks that it exits 0, writes one run folder (metrics, log, report) and that both processes ended
with the same model (train_lae compares their weights and records it in metrics.json). About a minute
with the 64 px benchmark in the cache (CI's setup command fills it); generating it first adds about one.
"""
import json, os, shutil, subprocess, sys
from pathlib import Path


def test_two_processes_train_one_model(tmp_path):
    lae = shutil.which('lae', path=str(Path(sys.executable).parent)) or shutil.which('lae')
    out = tmp_path/'run'
    res = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', lae,
                          'train', '--preset', 'tiny', '--stage1-epochs', '1', '--stage2-epochs', '1', '--out',
                          str(out), '--quiet'],
                         capture_output=True, text=True, timeout=900, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    metrics = json.loads((out/'metrics.json').read_text())
    assert metrics['distributed'] == {'world_size': 2, 'ranks_agree': True}, metrics.get('distributed')
    log = [json.loads(line) for line in (out/'log.jsonl').read_text().splitlines()]
    # one writer: each epoch logged once
    assert [(r['stage'], r['epoch'], r['world_size']) for r in log] == [(1, 1, 2), (2, 1, 2)]
    assert (out/'report.md').is_file() and res.stdout.count('wrote ') == 1 # one report, written by the first process

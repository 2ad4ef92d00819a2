"""Wall time and test metrics of `lae train --preset tiny`, from an empty cache (benchmark generation included),
and the spread of its numbers over seeds and CPU thread counts.

    python benchmarks/train_tiny.py                                  # writes nbs/results/tiny.json
    python benchmarks/train_tiny.py --seeds 1 2 3 4 --threads 1      # ... with the spread over seeds 0-4 and 1 thread
    python benchmarks/train_tiny.py --out other.json
    python benchmarks/train_tiny.py --machine runs/tiny  # adds a run made on this machine to tiny.json's machines

Runs the command a user runs, in a fresh temporary cache and run folder, and records its wall time
(and the part spent generating the benchmark), the machine's load before and after, the run's
metrics, and where it ran (device, versions, threads, commit). Then, for the spread, the same command
with `--set seed=S` for each extra seed and `--set threads=T` (seed 0) for each thread count, in one
shared cache; each of those records its seed, threads, wall time and headline metrics. The README's
numbers for `tiny` are checked against this file. Run it on an idle machine: the times mean nothing
otherwise. The metrics of one seed and thread count are the same on every run on one machine (torch
on the CPU is deterministic here), but change with the thread count, the torch build and the machine
(measured: two VMs of this project, one with only AVX2 kernels, gave other stage-2 numbers); `--machine RUN`
records a run made here by the same command (e.g. CI's `runs/tiny`) beside the file's, with this machine's
CPU model and torch's CPU capability, without training.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

from lae_nb.benchmark import BENCHMARK_VERSION
from lae_nb.core import temporary_env
from lae_nb.files import provenance, read_json, write_json

ROOT = Path(__file__).resolve().parent.parent
# the `lae` command
LAE = [sys.executable, '-c', 'import sys; from lae_nb.cli import main; sys.exit(main(sys.argv[1:]))']


def train(run: Path, *overrides: str) -> tuple[dict, list[dict], float, float, float]:
    "(metrics, log, wall seconds, load before, load after) of `lae train --preset tiny` into run."
    load0, t0 = os.getloadavg()[0], time.time()
    res = subprocess.run([*LAE, 'train', '--preset', 'tiny', '--out', str(run), '--quiet',
                          *(['--set', *overrides] if overrides else [])],
                         capture_output=True, text=True, env=os.environ.copy())
    wall, load1 = time.time() - t0, os.getloadavg()[0]
    if res.returncode != 0:
        sys.exit(f"lae train failed ({' '.join(overrides)}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    log = [json.loads(line) for line in (run/'log.jsonl').read_text().splitlines()]
    return read_json(run/'metrics.json'), log, wall, load0, load1


def headline(metrics: dict) -> dict:
    "Seen and unseen AUC and IoU after each stage, and the centre prior's IoU, of one run."
    seen, unseen = next(iter(metrics['seen'])), next(iter(metrics['unseen']))
    loc, loc1 = metrics['localization'], metrics['stage1']['localization']
    return dict(seen_auc_s1=metrics['stage1']['seen'][seen]['auc'], seen_auc=metrics['seen'][seen]['auc'],
                unseen_auc_s1=metrics['stage1']['unseen'][unseen]['auc'], unseen_auc=metrics['unseen'][unseen]['auc'],
                iou_s1=loc1[seen]['iou'], iou=loc[seen]['iou'], iou_prior=loc[seen]['iou_prior'])


def add_machine(out: Path, run: Path) -> dict:
    "Add a finished `lae train --preset tiny` run made on this machine to the results file's `machines`."
    record = read_json(out)
    cfg, log = read_json(run/'config.json'), [json.loads(line) for line in (run/'log.jsonl').read_text().splitlines()]
    if {k: cfg.get(k) for k in ('img_size', 'seed')} != {'img_size': 64, 'seed': 0}:
        sys.exit(f'{run} is not a seed-0 run of the tiny preset: {run/"config.json"}')
    entry = dict(run=str(run), threads=log[0]['threads'], provenance=provenance('cpu'),
                 **headline(read_json(run/'metrics.json')))
    record['machines'] = [*record.get('machines', []), entry]
    write_json(out, record)
    return entry


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT/'nbs'/'results'/'tiny.json'))
    p.add_argument('--seeds', type=int, nargs='*', default=[],
                   help='further seeds for the spread (seed 0 is the main run)')
    p.add_argument('--threads', type=int, nargs='*', default=[],
                   help='further CPU thread counts for the spread (seed 0)')
    p.add_argument('--machine', metavar='RUN', help='record a tiny run made on this machine (no training)')
    a = p.parse_args(argv)
    if a.machine:
        print(json.dumps(add_machine(Path(a.out), Path(a.machine)), indent=1))
        return 0
    with tempfile.TemporaryDirectory() as tmp, temporary_env(LAE_NB_CACHE=str(Path(tmp)/'cache')):
        metrics, log, wall, load0, load1 = train(Path(tmp)/'run')
        record = dict(command='lae train --preset tiny', wall_seconds=round(wall, 1),
                      epoch_seconds=round(sum(r['seconds'] for r in log), 1), load_before=round(load0, 2),
                      load_after=round(load1, 2), metrics=metrics, benchmark_version=BENCHMARK_VERSION,
                      provenance=provenance('cpu'), spread=[dict(seed=0, threads=log[0]['threads'],
                                                                 wall_seconds=round(wall, 1), **headline(metrics))])
        print(f"lae train --preset tiny: {wall:.0f} s wall ({record['epoch_seconds']:.0f} s in epochs), "
              f"load {load0:.2f} -> {load1:.2f}", flush=True)
        for seed, threads in [(s, None) for s in a.seeds] + [(0, t) for t in a.threads]:
            overrides = [f'seed={seed}'] + ([f'threads={threads}'] if threads else [])
            m, log, wall, load0, load1 = train(Path(tmp)/f"run_{'_'.join(overrides)}", *overrides)
            record['spread'].append(dict(seed=seed, threads=log[0]['threads'], wall_seconds=round(wall, 1),
                                         load=[round(load0, 2), round(load1, 2)], **headline(m)))
            print(f"  {' '.join(overrides)}: {wall:.0f} s; "
                  + ', '.join(f'{k} {v:.3f}' for k, v in headline(m).items()), flush=True)
    write_json(a.out, record)
    print(f"wrote {a.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())

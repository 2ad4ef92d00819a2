"""Each built-in task's seen/unseen gap, measured with the plain CNN (`lae_nb.fit.measure_gap`), into a results file.

    python benchmarks/gap.py --seeds 0 1 2     # what nbs/results/gap.json holds: default 64 px benchmark, 6 epochs
    python benchmarks/gap.py --out other.json  # seed 0 only, into another file

One torch thread (results change with the thread count). The file keeps the rows (task, method, seen,
accuracy at the threshold chosen on the seen validation set, AUC), the benchmark version, the time, the
machine's load and the versions; 13_benchmark and the README read their gap table from it.
"""
import argparse, os, sys, time
from pathlib import Path

import torch

from lae_nb.benchmark import BENCHMARK_VERSION, TASKS, make_benchmark
from lae_nb.data import read_manifest
from lae_nb.files import provenance, write_json
from lae_nb.fit import measure_gap

ROOT = Path(__file__).resolve().parent.parent
RECIPE = dict(img_size=64, epochs=6, threads=1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--out', default=str(ROOT/'nbs'/'results'/'gap.json'))
    a = p.parse_args(argv)
    torch.set_num_threads(RECIPE['threads'])
    records = read_manifest(make_benchmark(img_size=RECIPE['img_size']))
    load0, t0, rows = os.getloadavg()[0], time.time(), []
    for seed in a.seeds:
        for task in TASKS:
            for row in measure_gap(records, task, img_size=RECIPE['img_size'], epochs=RECIPE['epochs'], seed=seed):
                rows.append({**row, 'seed': seed})
                print(f"seed {seed} {task:12s} {row['method']:18s} {'seen' if row['seen'] else 'unseen':6s} acc "
                      f"{row['accuracy']:.3f} AUC {row['auc']:.3f}", flush=True)
    write_json(a.out, dict(recipe=RECIPE, seeds=a.seeds, benchmark_version=BENCHMARK_VERSION, tasks=TASKS, rows=rows,
                           wall_seconds=round(time.time() - t0, 1), load_before=round(load0, 2),
                           provenance=provenance('cpu')))
    print(f"wrote {a.out} ({time.time() - t0:.0f} s, load {load0:.2f} -> {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""How far a model of the suite moves when it is trained again on another machine.

    python benchmarks/retrained.py --check      # score again; compare with nbs/results/suite/retrained_seed0.json
    python benchmarks/retrained.py --out new.json --baselines MesoInception:splicing

The standard plan's seed-0 LAE units (stage 1, the control and active selection at the plan's N_active, every task)
and the baselines named (`NAME:TASK`) are taken from this machine's runs cache, or trained again exactly as the suite
trained them (`lae_nb.suite.load_unit(train_missing=True)`: it warns when a stage 1 is not its row's), then scored on
their own task's test methods. Each number is a pair [trained again, row]: seen AUC, the unseen AUC of each unseen
method and the seen IoU, to 3 decimals. `--check` scores the models in the runs cache again and compares them with the
file's first members (scoring is deterministic on one machine and thread count; training is not across machines).
A new file is written only where none exists. Scoring the ten models of the committed file took 35 s on one thread of
an idle 2-core CPU (load 0.2-0.7); training one again takes 1-5 minutes more there.
"""
import argparse, sys, time, os
from pathlib import Path

import torch

from lae_nb.experiments import PLANS, runs_root
from lae_nb.files import CheckpointError, provenance, read_json, write_json
from lae_nb.suite import Unit, cross_task_metrics, load_unit, read_rows, results_path, test_sets

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT/'nbs/results/suite/retrained_seed0.json'


def pair(unit: Unit, detector, sets: dict, plan, rows: dict) -> dict:
    "One unit's numbers, [trained again, row] each."
    mine = cross_task_metrics(detector, {unit.task: sets[unit.task]}, plan)[unit.task]
    theirs = rows[unit.key]['metrics'][unit.task]
    seen = next(iter(mine['seen']))
    both = lambda f: [round(f(mine), 3), round(f(theirs), 3)]
    return dict(unit=unit.key, seen_auc=both(lambda m: m['seen'][seen]['auc']),
                unseen_auc=[both(lambda m, k=k: m['unseen'][k]['auc']) for k in mine['unseen']],
                seen_iou=both(lambda m: m['localization'][seen]['iou']))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--check', action='store_true', help='compare with the committed file; write nothing')
    p.add_argument('--out', type=Path, default=COMMITTED, help='where to write (never over an existing file)')
    p.add_argument('--baselines', nargs='*', default=None, metavar='NAME:TASK',
                   help="baselines to add (default with --check: the committed file's)")
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args(argv)
    if not a.check and a.out.exists(): sys.exit(f'{a.out} exists: give another --out (nothing was run)')
    committed = read_json(COMMITTED) if a.check else {}
    if a.baselines is None:
        a.baselines = [f"{r['unit'].split('/')[3]}:{r['unit'].split('/')[1]}" for r in committed.get('baselines', [])]
    bad = [b for b in a.baselines if b.count(':') != 1]
    if bad: sys.exit(f'--baselines takes NAME:TASK, not {bad}')
    torch.set_num_threads(a.threads)
    plan = PLANS['standard']
    rows = {r['unit']: r for r in read_rows(results_path(plan), plan)}
    lae = [Unit('lae', task, 0, name) for task in plan.tasks_table3
           for name in ('stage1', f'control_{plan.n_lae}', f'active_{plan.n_lae}')]
    baselines = [Unit('baseline', b.split(':')[1], 0, b.split(':')[0]) for b in a.baselines]
    missing = [u.key for u in lae + baselines if u.key not in rows]
    if missing: sys.exit(f'no row in {results_path(plan)} for {missing}')
    load0, t0 = os.getloadavg()[0], time.time()
    sets = test_sets(plan, 0)
    out = {}
    for units, key in ((lae, 'rows'), (baselines, 'baselines')):
        out[key] = []
        for u in units:
            try: detector = load_unit(plan, u, train_missing=not a.check, row=rows[u.key])
            except CheckpointError: sys.exit(f'{u.key} is not in this runs cache ({runs_root(plan)}): --check scores '
                                             'the cached models only (run without it to train them again)')
            out[key].append(pair(u, detector, sets, plan, rows))
            print(out[key][-1], flush=True)
    wall, load1 = time.time() - t0, os.getloadavg()[0]
    print(f'{wall:.0f} s, load {load0:.1f}-{load1:.1f}, {a.threads} thread(s)')
    if a.check:
        first = lambda recs: [[r['unit'], r['seen_auc'][0], [u[0] for u in r['unseen_auc']], r['seen_iou'][0]]
                              for r in recs]
        differ = [(key, first(out[key]), first(committed.get(key, []))) for key in out
                  if first(out[key]) != first(committed.get(key, []))] # whole lists: a missing or extra unit differs
        if differ: sys.exit(f'differs from {COMMITTED}: {differ}')
        print(f'the models in this runs cache score as {COMMITTED.name} records')
        return
    write_json(a.out, dict(what="The standard plan's seed-0 units trained again (or taken from the runs cache) and "
                                "scored beside their rows (each pair: [trained again, row]).",
                           how=f'benchmarks/retrained.py, {a.threads} thread(s)', wall_seconds=round(wall),
                           load=[round(load0, 1), round(load1, 1)], provenance=provenance(), **out))
    print(f'wrote {a.out}')


if __name__ == '__main__': main()

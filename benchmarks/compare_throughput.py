r"""Is the trainer slower than it was? This commit's throughput against an earlier commit's, interleaved.

    python benchmarks/compare_throughput.py --against 01294e2          # tiny preset, CPU, 3 rounds
    python benchmarks/compare_throughput.py --against 01294e2 --set feature_stride=16 beta3=0.01 stage2_lr=none \
        --record nbs/results/throughput_vs_01294e2.json

Clones the earlier commit into a temporary folder and runs its `benchmarks/throughput.py` and this
checkout's, one after the other, for a few rounds (consecutive CPU timings on a shared machine vary by a
third; interleaving spreads that over both), then prints and records the medians. `--set` applies to
this checkout's run only, to give it the earlier commit's settings where the preset has changed since.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile
from pathlib import Path

from lae_nb.files import provenance, write_json

ROOT = Path(__file__).resolve().parent.parent


def rates(stdout: str) -> dict:
    ("{stage1, stage2: images/s} from a throughput.py run's output, in its old ('stage1_train') or current "
     "('stage1') form.")
    record = json.loads([line for line in stdout.splitlines() if line.startswith('{')][-1])
    def rate(v): return v['images_per_s'] if isinstance(v, dict) else v
    return {stage: rate(record.get(stage, record.get(f'{stage}_train'))) for stage in ('stage1', 'stage2')}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--against', required=True, help='the earlier commit')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE')
    p.add_argument('--record', help='JSON file to write the comparison to')
    a = p.parse_args(argv)
    runs = {'earlier': [], 'now': []}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['git', 'clone', '-q', str(ROOT), tmp], check=True)
        subprocess.run(['git', '-C', tmp, 'checkout', '-q', a.against], check=True)
        commands = {'earlier': ([sys.executable, f'{tmp}/benchmarks/throughput.py', '--device', 'cpu', '--steps',
                                 str(a.steps)], tmp),
                    'now': ([sys.executable, str(ROOT/'benchmarks'/'throughput.py'), '--device', 'cpu', '--steps',
                             str(a.steps), '--repeat', '1', *(['--set', *a.set] if a.set else [])], str(ROOT))}
        for _ in range(a.rounds):
            for who, (cmd, path) in commands.items():
                out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                                     env={**os.environ, 'PYTHONPATH': path}).stdout
                runs[who].append(rates(out))
    medians = {who: {s: round(statistics.median(r[s] for r in rs), 1) for s in ('stage1', 'stage2')}
               for who, rs in runs.items()}
    for who in runs: print(f"{who:>8} ({a.against if who == 'earlier' else 'this checkout'}): "
                           f"stage 1 {medians[who]['stage1']} images/s, stage 2 {medians[who]['stage2']} images/s")
    if a.record: write_json(a.record, dict(against=a.against, set=a.set, rounds=a.rounds, steps=a.steps, runs=runs,
                                           medians=medians, provenance=provenance('cpu')))
    return 0


if __name__ == '__main__':
    sys.exit(main())

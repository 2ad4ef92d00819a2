"""Wall time and test metrics of `lae train --preset tiny`, from an empty cache (benchmark generation included).

    python benchmarks/train_tiny.py                  # writes nbs/results/tiny.json
    python benchmarks/train_tiny.py --out other.json

Runs the command a user runs, in a fresh temporary cache and run folder, and records its wall time
(and the part spent generating the benchmark), the machine's load before and after, the run's
metrics, and where it ran (device, versions, threads, commit). The README's numbers for `tiny` are
checked against this file. Run it on an idle machine: the time is meaningless otherwise.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

from lae_nb.benchmark import BENCHMARK_VERSION
from lae_nb.core import temporary_env
from lae_nb.files import provenance, read_json, write_json

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT/'nbs'/'results'/'tiny.json'))
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, temporary_env(LAE_NB_CACHE=str(Path(tmp)/'cache')):
        load0, t0 = os.getloadavg()[0], time.time()
        lae = [sys.executable, '-c', 'import sys; from lae_nb.cli import main; sys.exit(main(sys.argv[1:]))'] # the `lae` command
        res = subprocess.run([*lae, 'train', '--preset', 'tiny', '--out', str(Path(tmp)/'run'), '--quiet'],
                             capture_output=True, text=True, env=os.environ.copy())
        wall, load1 = time.time() - t0, os.getloadavg()[0]
        if res.returncode != 0:
            print(res.stdout[-3000:], res.stderr[-3000:])
            return res.returncode
        log = [json.loads(line) for line in (Path(tmp)/'run'/'log.jsonl').read_text().splitlines()]
        metrics = read_json(Path(tmp)/'run'/'metrics.json')
    record = dict(command='lae train --preset tiny', wall_seconds=round(wall, 1), epoch_seconds=round(sum(r['seconds'] for r in log), 1),
                  load_before=round(load0, 2), load_after=round(load1, 2), metrics=metrics, benchmark_version=BENCHMARK_VERSION, provenance=provenance('cpu'))
    write_json(a.out, record)
    print(f"lae train --preset tiny: {wall:.0f} s wall ({record['epoch_seconds']:.0f} s in epochs), load {load0:.2f} -> {load1:.2f}; wrote {a.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())

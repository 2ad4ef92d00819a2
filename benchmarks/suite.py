"""Run or resume an experiment plan's suite (`lae_nb.suite`): one unit at a time, one results row per unit.

    python benchmarks/suite.py                     # run or resume PLANS['standard'] in the foreground
    python benchmarks/suite.py --commit            # also commit the results file after every row
    python benchmarks/suite.py --estimate          # what is left and how long it should take; runs nothing
    python benchmarks/suite.py --summarize         # the paired differences and verdicts, from the rows (lae_nb.verdict)
    python benchmarks/suite.py --plan quick        # another plan of lae_nb.experiments.PLANS
    nohup python benchmarks/suite.py --commit > suite.log 2>&1 &     # in the background
    python benchmarks/suite.py --results ../main/nbs/results           # rows into another checkout's results folder

The rows land in nbs/results/suite/<plan>_v<benchmark version>.jsonl as each unit finishes; run the command
again and it skips every unit that has a row. Run it as the only heavy job on the machine: timings in the
rows are wall and CPU seconds with the load average before and after each unit.
"""
import argparse, subprocess, sys, time
from pathlib import Path

from lae_nb.experiments import PLANS
from lae_nb.suite import estimate_seconds, read_rows, results_path, run_suite, suite_units
from lae_nb.verdict import write_differences

ROOT = Path(__file__).resolve().parent.parent


def commit_row(path: Path, row: dict) -> None:
    ("Commit the results file alone, in the checkout that holds it (other staged changes stay staged); "
     "retried while git is busy.")
    message = (f"suite {row['plan']}: {row['unit']} ({row['seconds']:.0f} s, "
               f"load {row['load'][0]:.1f}-{row['load'][1]:.1f})")
    for attempt in range(10):
        add = subprocess.run(['git', 'add', '--', path.name], cwd=path.parent, capture_output=True, text=True)
        done = add.returncode == 0 and subprocess.run(['git', 'commit', '-q', '-m', message, '--', path.name],
                                                      cwd=path.parent, capture_output=True, text=True).returncode == 0
        if done: return
        time.sleep(3)
    print(f"warning: could not commit {path} after {row['unit']}; the row is in the file, "
          "commit it by hand.", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--plan', default='standard', choices=sorted(PLANS))
    p.add_argument('--commit', action='store_true', help='commit the results file after every row')
    p.add_argument('--estimate', action='store_true', help='print what is left and its estimated time; run nothing')
    p.add_argument('--summarize', action='store_true',
                   help='write the paired differences and verdicts from the rows; run nothing')
    p.add_argument('--max-units', type=int, default=None, help='stop after so many units')
    p.add_argument('--results', default=str(ROOT/'nbs'/'results'),
                   help='results folder (the rows go to its suite/ subfolder)')
    a = p.parse_args(argv)
    plan = PLANS[a.plan]
    path = results_path(plan, Path(a.results).absolute())
    if a.summarize:
        print(f"wrote {write_differences(plan, Path(a.results).absolute())}")
        return 0
    if a.estimate:
        rows = read_rows(path, plan)
        done = {r['unit'] for r in rows}
        todo = [u for u in suite_units(plan) if u.key not in done]
        print(f"{path}: {len(rows)} rows; {len(todo)} units left, about {estimate_seconds(rows, todo) / 3600:.1f} h at "
              "the pace so far")
        for u in todo[:10]: print('  next:', u.key)
        return 0
    print(f"suite {a.plan} -> {path}", flush=True)
    run_suite(plan, path, a.max_units, log=lambda line: print(line, flush=True),
              on_row=commit_row if a.commit else None)
    return 0


if __name__ == '__main__':
    sys.exit(main())

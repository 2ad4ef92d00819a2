"""Train the model that ships inside lae_nb, seeded, and put it in lae_nb/assets/lae_tiny.

    python tools/ship_model.py        # train into runs/shipped, then copy into the package (asks before overwriting)
    python tools/ship_model.py --yes  # overwrite the shipped model without asking

The recipe is the `tiny` preset (64 px, quarter width, CAM grid 8x8; `15_config`) on more of the built-in
benchmark: 2,000 real crops per training split (all 4,000 training images of the postprocess task), 16
stage-1 epochs, 100 masks. Two CPU threads, so the run is repeatable (training results change with the
thread count). The package gets the weights in float16 (both stages), the run's config, log, selection
with thumbnails of its candidates, and metrics recomputed from the float16 weights, so that
`lae eval $(python -c 'from lae_nb.runs import shipped_run_dir; print(shipped_run_dir())')` gives them back.
"""
import argparse, dataclasses, json, shutil, sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from lae_nb.benchmark import BENCHMARK_VERSION
from lae_nb.config import LAEConfig
from lae_nb.evaluate import centre_prior, evaluate_splits
from lae_nb.files import atomic_write, load_checkpoint, provenance, read_json, write_json
from lae_nb.candidates import save_candidates
from lae_nb.reports import write_report
from lae_nb.run_data import prepare_data
from lae_nb.runs import load_detector
from lae_nb.train import train_lae

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT/'lae_nb'/'assets'/'lae_tiny'
RECIPE = dict(benchmark_size=2000, max_train=None, stage1_epochs=16, n_active=100, seed=0)
COPIED = ('config.json', 'log.jsonl', 'selection.json', 'candidates.npz')


def to_float16(src: Path, dst: Path) -> None:
    "A safetensors file with its floating-point tensors stored as float16."
    state = {k: v.half() if v.is_floating_point() else v for k, v in load_file(str(src)).items()}
    atomic_write(dst, lambda tmp: save_file(state, tmp))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--run', default=str(ROOT/'runs'/'shipped'), help='run folder to train into (resumed if it exists)')
    p.add_argument('--yes', action='store_true', help=f'overwrite {SHIPPED} without asking')
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    cfg = LAEConfig.preset('tiny', **RECIPE)
    run = Path(a.run)
    data = prepare_data(cfg)
    train_lae(cfg, run, data=data)
    log = [json.loads(line) for line in (run/'log.jsonl').read_text().splitlines()]
    # training time of the run's epochs (a resumed call does not restart the count)
    seconds = sum(r['seconds'] for r in log)
    save_candidates(run, data)
    write_report(run, data)
    if (SHIPPED.exists() and not a.yes
            and input(f'overwrite the shipped model in {SHIPPED}? [y/N] ').strip().lower() != 'y'):
        print(f'left {SHIPPED} as it was; the new run is in {run}')
        return 1
    tmp = SHIPPED.with_name(SHIPPED.name + '.new')
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in COPIED: shutil.copy2(run/name, tmp/name)
    for name in ('model.safetensors', 'stage1.safetensors'): to_float16(run/name, tmp/name)
    masks = load_checkpoint(run/'checkpoint.pt')['state']['masks'].float()
    priors = {'prior': centre_prior(cfg.img_size), 'prior_mask': masks.mean(0, keepdim=True)}
    # the weights as shipped (float16)
    stage1, final = (evaluate_splits(load_detector(tmp, stage), data['test'], data['unseen'], data['seen_method'],
                                     batch_size=cfg.batch_size, progress=False, priors=priors) for stage in (1, 2))
    selection = read_json(run/'selection.json')
    metrics = {**final, 'stage1': stage1,
               'selection': {k: selection[k] for k in ('selection', 'n_requests', 'ranking_holdout_acc')}}
    write_json(tmp/'metrics.json', metrics)
    write_json(tmp/'shipped.json', dict(recipe=dataclasses.asdict(cfg), command='python tools/ship_model.py',
                                        train_seconds=round(seconds, 1), benchmark_version=BENCHMARK_VERSION,
                                        provenance=provenance('cpu')))
    shutil.rmtree(SHIPPED, ignore_errors=True)
    tmp.rename(SHIPPED)
    print(f'shipped {SHIPPED} ({sum(f.stat().st_size for f in SHIPPED.iterdir()) / 1e6:.1f} MB); '
          f'training took {seconds:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())

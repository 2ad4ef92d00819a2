"""Train the benchmark's two inpainting networks on the training photos and put them in lae_nb/assets/inpainters.

    python tools/train_inpainters.py            # both networks; refuses to overwrite shipped weights
    python tools/train_inpainters.py --yes      # overwrite them

Seeded and run on two CPU threads (results change with the thread count): 4,000 random 64 px crops of the
benchmark's training photos (`PHOTO_SPLIT` 'train' only; no val or test photo is read), then
`train_inpainter` for each network (12a_inpainters). Each network's JSON record keeps the recipe, the
photos, the training log, the time, the machine's load and the versions.
"""
import argparse, sys, time

import numpy as np
import torch

from lae_nb.benchmark import BENCHMARK_VERSION
from lae_nb.photos import PHOTO_SPLIT, load_photo, random_crop
from lae_nb.files import provenance
from lae_nb.inpainters import INPAINTERS, inpainter_dir, save_inpainter, train_inpainter

RECIPE = dict(n_crops=4000, img_size=64, steps=4000, batch_size=16, seed=0, threads=2)


def training_crops(n: int, img_size: int, seed: int) -> tuple[np.ndarray, list[str]]:
    "`n` textured crops of the training photos, cycling through them; and the photos' names."
    names = sorted(n for n, split in PHOTO_SPLIT.items() if split == 'train')
    photos = [load_photo(name) for name in names]
    rng = np.random.default_rng(seed)
    return np.stack([random_crop(photos[i % len(photos)], img_size, rng) for i in range(n)]), names


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--yes', action='store_true', help=f'overwrite the weights in {inpainter_dir()}')
    p.add_argument('--only', choices=sorted(INPAINTERS), help='train one network only')
    a = p.parse_args(argv)
    names = [a.only] if a.only else list(INPAINTERS)
    existing = [inpainter_dir()/f'{n}.safetensors' for n in names if (inpainter_dir()/f'{n}.safetensors').exists()]
    if existing and not a.yes:
        print(f"refusing to overwrite {', '.join(map(str, existing))}; pass --yes", file=sys.stderr)
        return 2
    torch.set_num_threads(RECIPE['threads'])
    crops, photos = training_crops(RECIPE['n_crops'], RECIPE['img_size'], RECIPE['seed'])
    for name in names:
        t0 = time.perf_counter()
        net, log = train_inpainter(name, crops, steps=RECIPE['steps'], batch_size=RECIPE['batch_size'],
                                   seed=RECIPE['seed'])
        seconds = time.perf_counter() - t0
        record = dict(name=name, network=type(net).__name__, parameters=sum(p.numel() for p in net.parameters()),
                      recipe=RECIPE, photos=photos, benchmark_version_of_split=BENCHMARK_VERSION,
                      seconds=round(seconds, 1), log=log, provenance=provenance('cpu'))
        print(f"{name}: {seconds:.0f} s, last loss {log[-1]}, wrote {save_inpainter(net, name, record)}")
    return 0


if __name__ == '__main__':
    sys.exit(main())

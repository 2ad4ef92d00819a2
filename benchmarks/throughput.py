"""Training and inference throughput of LAE through the trainer's own path, in images per second.

    python benchmarks/throughput.py                           # the tiny preset on the best device (CPU here)
    python benchmarks/throughput.py --preset paper            # 256x256, full width, VGG16 perceptual loss (GPU)
    python benchmarks/throughput.py --device cpu --steps 3
    python benchmarks/throughput.py --preset paper --input stream --batch-size 128
    python benchmarks/throughput.py --set feature_stride=16 beta3=0.01   # any config field
    python benchmarks/throughput.py --record nbs/results/throughput.json   # also append the record to a results file

Writes steps x batch random images as PNG files, then times what `train_lae` runs: the training set
chosen by `lae_nb.engine.training_input` (kept on the device as uint8, or streamed by DataLoader
workers), `stage1_epoch` and `stage2_epoch` with the trainer's networks, optimisers, precision and
memory format, after a warm-up epoch (the median of several timed epochs); and inference (score and
heatmap in one pass) on batches already on the device. Prints per stage: images/s, the share of wall
time spent waiting for data, device, batch size, precision; then one JSON line.
"""
import argparse, json, os, platform, tempfile, time, warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lae_nb.config import LAEConfig, parse_overrides
from lae_nb.core import seed_everything
from lae_nb.data import ForgeryDataset, ForgeryRecord
from lae_nb.detector import LAEDetector
from lae_nb.distributed import cpu_threads, training_device
from lae_nb.engine import build_networks, grad_scaler, make_optimizers, precision, stage2_optimizer, training_input
from lae_nb.files import provenance, read_json, write_json
from lae_nb.model import PretrainedWeightsWarning
from lae_nb.stages import stage1_epoch, stage2_epoch


def image_folder(root: Path, n: int, size: int, seed: int = 0) -> ForgeryDataset:
    "n random RGB images of size x size as PNG files, half labelled real, as a training set without masks."
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        path = root/f'{i:05d}.png'
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path, compress_level=1)
        records.append(ForgeryRecord(str(path), i % 2, None, 'real' if i % 2 else 'fake', f's{i}', 'train', 'bench'))
    return ForgeryDataset(records, size, return_mask=False)


def sync(device: torch.device) -> None:
    if device.type == 'cuda': torch.cuda.synchronize(device)


def measure(cfg: LAEConfig, steps: int, warmup: int = 1, repeat: int = 3) -> dict:
    "images/s and data-wait share of both training stages (through the trainer's functions) and of inference."
    device = training_device(cfg.device)
    seed_everything(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', PretrainedWeightsWarning) # speed does not depend on the weights' values
        model, D, C = build_networks(cfg, device)
    opt, opt_D = make_optimizers(model, D, cfg)
    opt2 = stage2_optimizer(model, cfg)[0]
    scaler = grad_scaler(cfg, device)
    cpu_name = platform.processor() or platform.machine()
    device_name = torch.cuda.get_device_name(device) if device.type == 'cuda' else cpu_name
    res = dict(device=str(device), device_name=device_name, preset_img_size=cfg.img_size, width=cfg.width,
               batch_size=cfg.batch_size, precision=precision(cfg, device),
               channels_last=bool(cfg.channels_last if cfg.channels_last is not None else device.type == 'cuda'),
               threads=torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp:
        train, how = training_input(image_folder(Path(tmp), cfg.batch_size * steps, cfg.img_size), cfg,
                                    device, progress=False)
        res['input'] = how
        masked_x = torch.stack([train[i]['image'] for i in range(cfg.masked_per_batch)]).to(device)
        masked_g = torch.zeros(cfg.masked_per_batch, 1, cfg.img_size, cfg.img_size, device=device)
        masked_g[..., cfg.img_size // 4:cfg.img_size // 2, cfg.img_size // 4:cfg.img_size // 2] = 1
        stages = dict(stage1=lambda e: stage1_epoch(model, D, C, opt, opt_D, scaler, train, cfg, e,
                                                    device, progress=False),
                      stage2=lambda e: stage2_epoch(model, opt2, scaler, train, masked_x, masked_g, cfg, e,
                                                    device, progress=False))
        for name, epoch in stages.items():
            for e in range(warmup): epoch(e)
            rates, waits = [], []
            # the median of `repeat` timed epochs: one CPU timing alone can be off by a third
            for e in range(warmup, warmup + repeat):
                sync(device)
                t0 = time.perf_counter()
                summary = epoch(e)
                sync(device)
                # stage 2 adds masked images to every batch
                images = len(train) + (steps * cfg.masked_per_batch if name == 'stage2' else 0)
                rates.append(images / (time.perf_counter() - t0))
                waits.append(summary['data_wait'])
            res[name] = dict(images_per_s=round(float(np.median(rates)), 1),
                             data_wait=round(float(np.median(waits)), 3),
                             spread=[round(min(rates), 1), round(max(rates), 1)])
    detector = LAEDetector(model.eval(), cfg.cam_normalize)
    x = torch.randn(cfg.batch_size, 3, cfg.img_size, cfg.img_size, device=device)
    with torch.no_grad():
        for _ in range(2): detector.score_and_heatmap(x)
        sync(device)
        t0 = time.perf_counter()
        for _ in range(steps): detector.score_and_heatmap(x)
        sync(device)
    res['inference'] = dict(images_per_s=round(cfg.batch_size * steps / (time.perf_counter() - t0), 1))
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--preset', default='tiny')
    p.add_argument('--device')
    p.add_argument('--steps', type=int, default=5, help='batches per timed epoch')
    p.add_argument('--repeat', type=int, default=3, help='timed epochs per stage; the median is reported')
    p.add_argument('--batch-size', type=int)
    p.add_argument('--input', default='auto', choices=('auto', 'memory', 'stream'))
    p.add_argument('--compile', action='store_true')
    p.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE',
                   help='other config fields, e.g. feature_stride=16')
    p.add_argument('--record', help='a JSON file whose list of records this measurement is appended to')
    a = p.parse_args()
    over = dict(device=a.device, input_path=a.input, compile=a.compile,
                **({'batch_size': a.batch_size} if a.batch_size else {}), **parse_overrides(a.set))
    cfg = LAEConfig.preset(a.preset, **over)
    cpu_threads(cfg.threads)
    load0 = os.getloadavg()[0]
    res = measure(cfg, a.steps, repeat=a.repeat)
    res.update(preset=a.preset, overrides=a.set, steps=a.steps, repeat=a.repeat,
               load=[round(load0, 2), round(os.getloadavg()[0], 2)], provenance=provenance(res['device']))
    print(f"preset={a.preset} device={res['device']} ({res['device_name']}) batch={cfg.batch_size} "
          f"precision={res['precision']} channels_last={res['channels_last']} threads={res['threads']} input: "
          f"{res['input']}")
    for k in ('stage1', 'stage2'): print(f"{k:>9}: {res[k]['images_per_s']:9.1f} images/s (median of {a.repeat}; "
                                         f"{res[k]['spread'][0]}-{res[k]['spread'][1]}), "
                                         f"waiting for data {100 * res[k]['data_wait']:.1f}% of the time")
    print(f"inference: {res['inference']['images_per_s']:9.1f} images/s (score and heatmap, one pass)")
    print(json.dumps(res))
    if a.record: write_json(a.record, [*(read_json(a.record) if Path(a.record).is_file() else []), res])

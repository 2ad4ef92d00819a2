"""Training and inference throughput of LAE, in images per second.

    python benchmarks/throughput.py                  # the tiny preset on the best device (CPU here)
    python benchmarks/throughput.py --preset paper   # 256x256, full width, VGG16 perceptual loss (GPU)
    python benchmarks/throughput.py --device cpu --steps 5

Measures the exact step functions the trainer runs (stage1_epoch / stage2_epoch) on random batches,
after warm-up steps, and prints one line per measurement and a JSON summary.
"""
import argparse, json, platform, time, warnings

import torch

from lae_nb.config import LAEConfig
from lae_nb.core import pick_device, seed_everything
from lae_nb.model import PretrainedWeightsWarning
from lae_nb.train import autocast, build_networks, make_optimizers, stage1_epoch, stage2_epoch, stage2_optimizer


class RandomImages(torch.utils.data.Dataset):
    "n random normalised images with alternating labels."
    def __init__(self, n, size):
        self.x, self.y = torch.randn(n, 3, size, size), torch.arange(n) % 2
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return {'image': self.x[i], 'label': int(self.y[i])}


def _sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def measure(cfg: LAEConfig, steps: int, warmup: int = 2) -> dict:
    device = pick_device(cfg.device)
    seed_everything(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', PretrainedWeightsWarning) # speed does not depend on the weights' values
        model, D, C = build_networks(cfg, device)
    opt, opt_D = make_optimizers(model, D, cfg)
    scaler = torch.amp.GradScaler(device.type, enabled=False)
    res = {}
    for name, fn in [
        ('stage1_train', lambda data: stage1_epoch(model, D, C, opt, opt_D, scaler, data, cfg, 0, device, progress=False)),
        ('stage2_train', lambda data: stage2_epoch(model, stage2_optimizer(model, cfg)[0], scaler, data,
                                                   data.x[:cfg.masked_per_batch], torch.zeros(cfg.masked_per_batch, 1, cfg.img_size, cfg.img_size),
                                                   cfg, 0, device, progress=False)),
    ]:
        fn(RandomImages(cfg.batch_size * warmup, cfg.img_size))
        _sync(device)
        data = RandomImages(cfg.batch_size * steps, cfg.img_size)
        t0 = time.perf_counter()
        fn(data)
        _sync(device)
        res[name] = len(data) / (time.perf_counter() - t0)
    model.eval()
    x = torch.randn(cfg.batch_size, 3, cfg.img_size, cfg.img_size, device=device)
    with torch.no_grad(), autocast(cfg, device):
        for _ in range(warmup): model(x, decode=False)
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps): model(x, decode=False)
        _sync(device)
    res['inference'] = cfg.batch_size * steps / (time.perf_counter() - t0)
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--preset', default='tiny')
    p.add_argument('--device')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--batch-size', type=int)
    a = p.parse_args()
    cfg = LAEConfig.preset(a.preset, device=a.device, **({'batch_size': a.batch_size} if a.batch_size else {}))
    device = pick_device(cfg.device)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.processor() or platform.machine()
    print(f'preset={a.preset} img_size={cfg.img_size} width={cfg.width} batch={cfg.batch_size} device={device} ({name}) '
          f'threads={torch.get_num_threads()} amp={cfg.amp and device.type == "cuda"}')
    res = measure(cfg, a.steps)
    for k, v in res.items(): print(f'{k:>14}: {v:8.1f} images/s')
    print(json.dumps({'preset': a.preset, 'device': str(device), 'device_name': name, **{k: round(v, 1) for k, v in res.items()}}))

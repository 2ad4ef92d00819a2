"""Generation speed of the built-in benchmark, in images per second (reals and fakes with masks, written as PNG).

    python benchmarks/generation.py                   # 64 px, 200 training reals per task
    python benchmarks/generation.py --size 128 --n-real 500
    python benchmarks/generation.py --default         # the default benchmark of that size (64 px: 1,000/200/200 reals)

Generates into a temporary folder (never the cache), then prints one line per measurement and a JSON
summary with the machine's load average, so a time taken on a busy machine says so.
"""
import argparse, json, os, platform, tempfile, time

from lae_nb.benchmark import BENCHMARK_VERSION, DEFAULT_N_REAL, make_benchmark
from lae_nb.data import read_manifest


def measure(img_size: int, n_real: tuple[int, int, int], seed: int = 0) -> dict:
    "Wall and CPU seconds, and images per second, for a fresh benchmark with n_real reals per split (train, val, test)."
    with tempfile.TemporaryDirectory() as tmp:
        load_before = os.getloadavg()[0]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        n_images = len(read_manifest(make_benchmark(tmp, img_size, n_real, seed, progress=False)))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return dict(img_size=img_size, n_real=list(n_real), images=n_images, wall_s=round(wall, 2), cpu_s=round(cpu, 2),
                images_per_s_wall=round(n_images / wall, 1), images_per_s_cpu=round(n_images / cpu, 1),
                load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--size', type=int, default=64, choices=(64, 128, 256))
    p.add_argument('--n-real', type=int, default=200, help='training reals (1 val, 1 test)')
    p.add_argument('--default', action='store_true',
                   help="the size's default benchmark (DEFAULT_N_REAL), as make_benchmark makes it")
    a = p.parse_args()
    res = measure(a.size, DEFAULT_N_REAL[a.size] if a.default else (a.n_real, 1, 1))
    print(f"{res['images']} images at {a.size} px in {res['wall_s']} s wall ({res['images_per_s_wall']} img/s), "
          f"{res['cpu_s']} s CPU ({res['images_per_s_cpu']} img/s); load {res['load_before']} -> {res['load_after']}")
    print(json.dumps({**res, 'benchmark_version': BENCHMARK_VERSION, 'machine': platform.machine(),
                      'cpus': os.cpu_count()}))

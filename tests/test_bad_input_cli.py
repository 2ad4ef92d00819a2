"""Bad inputs and faults of the `lae` command (issues 13 and 16), one test per case, each asserting the message or the result.

`main` runs in this process (stdout and stderr captured); the light-import check runs in a subprocess.
"""
import csv, json, os, shutil, struct, subprocess, sys, zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lae_nb import __version__
from lae_nb.cli import main


def lae(capsys, *args) -> tuple[int, str, str]:
    "Exit code, stdout and stderr of `lae ARGS`."
    try: code = main([str(a) for a in args])
    except SystemExit as e: code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def image(path: Path, size=(48, 40), seed=0) -> Path:
    "A random RGB image file (any format PIL writes, from the suffix)."
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.random.default_rng(seed).random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(path)
    return path


def png_header(path: Path, width: int, height: int) -> Path:
    "A PNG whose header claims width x height and that holds no pixel data: only decoding it would notice."
    def chunk(kind: bytes, data: bytes) -> bytes: return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\x00' * 16)) + chunk(b'IEND', b''))
    return path


def rows(path: Path) -> list[dict]:
    with open(path, newline='') as f: return list(csv.DictReader(f))


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in folder.rglob('*') if p.is_file()}


# --- the command itself ---

def test_version(capsys):
    code, out, _ = lae(capsys, '--version')
    assert (code, out.strip()) == (0, f'lae_nb {__version__}')


def test_plain_lae_prints_help(capsys):
    code, out, err = lae(capsys)
    assert code == 0 and out.startswith('usage: lae') and 'predict' in out and err == ''


def test_help_loads_no_heavy_module():
    probe = ('import sys\nfrom lae_nb.cli import main\ntry: main(["--help"])\nexcept SystemExit: pass\n'
             'print(sorted(m for m in ("torch", "torchvision", "sklearn", "matplotlib") if m in sys.modules), file=sys.stderr)')
    res = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1])})
    assert res.returncode == 0 and 'usage: lae' in res.stdout and res.stderr.strip() == '[]', res.stderr


def test_predict_without_images_is_a_usage_error(capsys):
    code, _, err = lae(capsys, 'predict')
    assert code == 2 and 'the following arguments are required: images' in err


# --- never overwrite, never collide ---

def test_input_named_like_an_overlay_is_left_unchanged(capsys, tmp_path):
    x, x_lae = image(tmp_path/'x.png'), image(tmp_path/'x_lae.png', seed=1)
    before = x_lae.read_bytes()
    code, out, _ = lae(capsys, 'predict', x, x_lae, '--out', tmp_path)
    assert code == 0 and x_lae.read_bytes() == before
    assert sorted(line.split('\t')[3] for line in out.splitlines()) == [str(tmp_path/'x.png_lae.png'), str(tmp_path/'x_lae.png_lae.png')]


def test_output_that_would_replace_an_input_is_refused(capsys, tmp_path):
    x, victim = image(tmp_path/'x.png'), image(tmp_path/'x.png_lae.png', seed=1)
    before = snapshot(tmp_path)
    code, _, err = lae(capsys, 'predict', x, victim, '--out', tmp_path, '--overwrite')
    assert code == 2 and f'would replace the input {victim}' in err and snapshot(tmp_path) == before


def test_same_name_in_two_folders_gives_two_outputs(capsys, tmp_path):
    a, b = image(tmp_path/'a/x.png'), image(tmp_path/'b/x.png', seed=1)
    code, _, _ = lae(capsys, 'predict', a, b, '--out', tmp_path/'out')
    assert code == 0 and {p.relative_to(tmp_path/'out').as_posix() for p in (tmp_path/'out').rglob('*.png')} == {'a/x.png_lae.png', 'b/x.png_lae.png'}


def test_same_stem_two_formats_gives_two_outputs(capsys, tmp_path):
    code, _, _ = lae(capsys, 'predict', image(tmp_path/'ok.png'), image(tmp_path/'ok.jpg'), '--out', tmp_path/'out')
    assert code == 0 and sorted(p.name for p in (tmp_path/'out').glob('*.png')) == ['ok.jpg_lae.png', 'ok.png_lae.png']


def test_existing_outputs_are_refused_and_nothing_is_written(capsys, tmp_path):
    image(tmp_path/'in/x.png')
    image(tmp_path/'in/y.png', seed=1)
    assert lae(capsys, 'predict', tmp_path/'in/x.png', '--out', tmp_path/'out')[0] == 0
    before = snapshot(tmp_path/'out')
    code, _, err = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out')
    assert code == 2 and 'exist already' in err and 'nothing was written' in err and '--overwrite' in err
    assert snapshot(tmp_path/'out') == before # y.png's overlay was not written either


def test_overwrite_replaces_outputs(capsys, tmp_path):
    x = image(tmp_path/'x.png')
    assert lae(capsys, 'predict', x, '--out', tmp_path/'out')[0] == 0
    (tmp_path/'out/lae_results.csv').write_text('stale')
    code, _, _ = lae(capsys, 'predict', x, '--out', tmp_path/'out', '--overwrite')
    assert code == 0 and rows(tmp_path/'out/lae_results.csv')[0]['path'] == str(x)


def test_interrupted_overlay_leaves_no_file(capsys, tmp_path, monkeypatch):
    from matplotlib.figure import Figure
    def dies_half_way(self, fname, **kw):
        Path(fname).write_bytes(b'\x89PNG\r\n\x1a\n')
        raise KeyboardInterrupt
    monkeypatch.setattr(Figure, 'savefig', dies_half_way)
    with pytest.raises(KeyboardInterrupt): main(['predict', str(image(tmp_path/'x.png')), '--out', str(tmp_path/'out')])
    assert list((tmp_path/'out').iterdir()) == [] # no truncated PNG under its final name, no temporary file


# --- inputs: files, folders, globs ---

def test_folder_gives_one_overlay_per_image_and_one_results_file(capsys, tmp_path):
    names = ['a.png', 'b.jpg', 'deep/c.bmp', 'deep/er/d.webp']
    for i, n in enumerate(names): image(tmp_path/'in'/n, seed=i)
    (tmp_path/'in/readme.txt').write_text('not an image, and not an image extension: not picked up')
    code, out, _ = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out')
    overlays = sorted(p.relative_to(tmp_path/'out').as_posix() for p in (tmp_path/'out').rglob('*_lae.png'))
    assert code == 0 and overlays == sorted(n + '_lae.png' for n in names)
    listed = rows(tmp_path/'out/lae_results.csv')
    assert sorted(Path(r['path']).relative_to(tmp_path/'in').as_posix() for r in listed) == sorted(names)
    assert all(r['label'] in ('real', 'fake') and r['output'] and int(r['tiles']) >= 1 for r in listed)


def test_quoted_glob_is_expanded(capsys, tmp_path):
    for i, n in enumerate(['a.png', 'b.png', 'c.jpg']): image(tmp_path/n, seed=i)
    code, out, _ = lae(capsys, 'predict', str(tmp_path/'*.png'), '--out', tmp_path/'out', '--no-overlay')
    assert code == 0 and sorted(Path(line.split('\t')[0]).name for line in out.splitlines()) == ['a.png', 'b.png']


def test_glob_with_no_match(capsys, tmp_path):
    code, _, err = lae(capsys, 'predict', str(tmp_path/'*.tif'), '--out', tmp_path/'out')
    assert code == 1 and f'{tmp_path}/*.tif: no file matches this pattern' in err and not (tmp_path/'out').exists()


def test_empty_folder(capsys, tmp_path):
    (tmp_path/'empty').mkdir()
    code, _, err = lae(capsys, 'predict', tmp_path/'empty', '--out', tmp_path/'out')
    assert code == 1 and 'empty: no images' in err and 'nothing was written' in err and not (tmp_path/'out').exists()


def test_missing_file_is_reported_and_the_others_run(capsys, tmp_path):
    good = image(tmp_path/'good.png')
    code, out, err = lae(capsys, 'predict', tmp_path/'missing.png', good, '--out', tmp_path/'out')
    assert code == 1 and 'missing.png: no such file or folder' in err and out.startswith(str(good))
    assert [(Path(r['path']).name, r['label'] == 'error') for r in rows(tmp_path/'out/lae_results.csv')] == [('missing.png', True), ('good.png', False)]


# --- bad files ---

def test_non_image_names_the_file_and_says_so(capsys, tmp_path):
    (tmp_path/'notes.txt').write_text('hello')
    code, out, err = lae(capsys, 'predict', tmp_path/'notes.txt', image(tmp_path/'x.png'), '--out', tmp_path/'out')
    assert code == 1 and 'notes.txt: not an image' in err and 'on_error' not in err and len(out.splitlines()) == 1


def test_truncated_image_names_the_file(capsys, tmp_path):
    full = image(tmp_path/'full.png', size=(200, 200)).read_bytes()
    (tmp_path/'cut.png').write_bytes(full[:len(full) // 2])
    code, _, err = lae(capsys, 'predict', tmp_path/'cut.png', '--out', tmp_path/'out')
    assert code == 1 and 'cut.png: cannot be decoded' in err and 'on_error' not in err


def test_too_many_pixels_refused_before_decoding(capsys, tmp_path, monkeypatch):
    import lae_nb.data
    def never(path): raise AssertionError(f'{path} was decoded')
    monkeypatch.setattr(lae_nb.data, 'load_rgb', never)
    code, _, err = lae(capsys, 'predict', png_header(tmp_path/'huge.png', 10_000, 5_000), '--out', tmp_path/'out')
    assert code == 1 and 'huge.png: 10000x5000 = 50.0 megapixels, above --max-pixels=40000000' in err


def test_max_pixels_option(capsys, tmp_path):
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png', size=(48, 40)), '--out', tmp_path/'out', '--max-pixels', '1000')
    assert code == 1 and 'x.png: 48x40 = 0.0 megapixels, above --max-pixels=1000' in err


def test_nan_model_is_an_error_naming_the_file(capsys, tmp_path):
    from lae_nb.files import save_weights
    from lae_nb.runs import load_model, shipped_run_dir
    model = load_model()
    model.encoder.fc.weight.data.fill_(float('nan'))
    save_weights(model, tmp_path/'nan_run/model.safetensors')
    shutil.copy(shipped_run_dir()/'config.json', tmp_path/'nan_run/config.json')
    code, out, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--run', tmp_path/'nan_run', '--out', tmp_path/'out')
    assert code == 1 and out == '' and "x.png: the model's score is nan (not a finite number)" in err
    assert rows(tmp_path/'out/lae_results.csv')[0]['label'] == 'error'


def test_results_as_strict_json(capsys, tmp_path):
    code, _, _ = lae(capsys, 'predict', image(tmp_path/'x.png'), tmp_path/'nope.png', '--out', tmp_path/'out', '--no-overlay', '--format', 'json')
    text = (tmp_path/'out/lae_results.json').read_text()
    res = json.loads(text, parse_constant=lambda c: pytest.fail(f'{c} is not strict JSON'))
    assert code == 1 and [r['label'] == 'error' for r in res] == [True, False] and res[1]['output'] == ''
    assert not list((tmp_path/'out').glob('*.png'))


# --- lae train's command line ---

def test_train_field_given_twice(capsys):
    code, _, err = lae(capsys, 'train', '--seed', '1', '--set', 'seed=2')
    assert code == 2 and "['seed'] given both as a flag and in --set" in err


def test_train_bad_field_value_names_the_field(capsys, tmp_path):
    code, _, err = lae(capsys, 'train', '--img-size', '100', '--out', tmp_path/'run')
    assert code == 2 and 'img_size' in err and not (tmp_path/'run').exists()


def test_train_layout_needs_a_folder(capsys, tmp_path):
    (tmp_path/'m.csv').write_text('path,label\n')
    code, _, err = lae(capsys, 'train', '--data', tmp_path/'m.csv', '--layout', 'faceforensics', '--out', tmp_path/'run')
    assert code == 2 and 'needs --data FOLDER' in err and not (tmp_path/'run').exists()

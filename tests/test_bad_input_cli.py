"""Bad inputs and faults of the `lae` command (issues 13, 16 and 20), one test per case, each asserting the message or
the result.

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
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\x00' * 16))
                     + chunk(b'IEND', b''))
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
             'print(sorted(m for m in ("torch", "torchvision", "sklearn", "matplotlib") if m in sys.modules), '
             'file=sys.stderr)')
    res = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                         env={**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1])})
    assert res.returncode == 0 and 'usage: lae' in res.stdout and res.stderr.strip() == '[]', res.stderr


def test_train_help_loads_no_torch_and_answers_in_under_a_second():
    ("lae train --help, in a fresh process: no torch (nor numpy, matplotlib) and under 1 s of CPU time, "
     "what it takes on an idle machine (issue 22).")
    probe = ('import sys\nfrom lae_nb.cli import main\ntry: main(["train", "--help"])\nexcept SystemExit: pass\n'
             'print(sorted(m for m in ("torch", "numpy", "matplotlib") if m in sys.modules), file=sys.stderr)')
    before = os.times()
    res = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                         env={**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1])})
    after = os.times()
    # the interpreter's start included
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    assert res.returncode == 0 and 'LAEConfig fields' in res.stdout and res.stderr.strip() == '[]', res.stderr
    assert cpu < 1.0, f'lae train --help took {cpu:.2f} s of CPU time'


def test_predict_without_images_is_a_usage_error(capsys):
    code, _, err = lae(capsys, 'predict')
    assert code == 2 and 'the following arguments are required: images' in err


# --- never overwrite, never collide ---

def test_input_named_like_an_overlay_is_left_unchanged(capsys, tmp_path):
    x, x_lae = image(tmp_path/'x.png'), image(tmp_path/'x_lae.png', seed=1)
    before = x_lae.read_bytes()
    code, out, _ = lae(capsys, 'predict', x, x_lae, '--out', tmp_path)
    assert code == 0 and x_lae.read_bytes() == before
    assert sorted(line.split('\t')[3] for line in out.splitlines()) == [str(tmp_path/'x.png_lae.png'),
                                                                        str(tmp_path/'x_lae.png_lae.png')]


def test_output_that_would_replace_an_input_is_refused(capsys, tmp_path):
    x, victim = image(tmp_path/'x.png'), image(tmp_path/'x.png_lae.png', seed=1)
    before = snapshot(tmp_path)
    code, _, err = lae(capsys, 'predict', x, victim, '--out', tmp_path, '--overwrite')
    assert code == 2 and f'would replace the input {victim}' in err and snapshot(tmp_path) == before


def test_same_name_in_two_folders_gives_two_outputs(capsys, tmp_path):
    a, b = image(tmp_path/'a/x.png'), image(tmp_path/'b/x.png', seed=1)
    code, _, _ = lae(capsys, 'predict', a, b, '--out', tmp_path/'out')
    made = {p.relative_to(tmp_path/'out').as_posix() for p in (tmp_path/'out').rglob('*.png')}
    assert code == 0 and made == {'a/x.png_lae.png', 'b/x.png_lae.png'}


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
    failed = [(Path(r['path']).name, r['label'] == 'error') for r in rows(tmp_path/'out/lae_results.csv')]
    assert failed == [('missing.png', True), ('good.png', False)]


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
    import lae_nb.predict_files
    def never(path): raise AssertionError(f'{path} was decoded')
    monkeypatch.setattr(lae_nb.predict_files, 'load_rgb', never) # the name lae predict's file handling decodes with
    code, _, err = lae(capsys, 'predict', png_header(tmp_path/'huge.png', 10_000, 5_000), '--out', tmp_path/'out')
    assert code == 1 and 'huge.png: 10000x5000 = 50.0 megapixels, above --max-pixels=40000000' in err


def test_max_pixels_option(capsys, tmp_path):
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png', size=(48, 40)), '--out', tmp_path/'out',
                       '--max-pixels', '1000')
    assert code == 1 and 'x.png: 48x40 = 0.0 megapixels, above --max-pixels=1000' in err


def test_nan_model_is_an_error_naming_the_file(capsys, tmp_path):
    from lae_nb.files import save_weights
    from lae_nb.runs import load_model, shipped_run_dir
    model = load_model()
    model.encoder.fc.weight.data.fill_(float('nan'))
    save_weights(model, tmp_path/'nan_run/model.safetensors')
    shutil.copy(shipped_run_dir()/'config.json', tmp_path/'nan_run/config.json')
    code, out, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--run', tmp_path/'nan_run',
                         '--out', tmp_path/'out')
    assert code == 1 and out == '' and "x.png: the model's score is nan (not a finite number)" in err
    assert rows(tmp_path/'out/lae_results.csv')[0]['label'] == 'error'


def test_results_as_strict_json(capsys, tmp_path):
    code, _, _ = lae(capsys, 'predict', image(tmp_path/'x.png'), tmp_path/'nope.png', '--out', tmp_path/'out',
                     '--no-overlay', '--format', 'json')
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
    code, _, err = lae(capsys, 'train', '--data', tmp_path/'m.csv', '--layout', 'faceforensics',
                       '--out', tmp_path/'run')
    assert code == 2 and 'needs --data FOLDER' in err and not (tmp_path/'run').exists()


# --- issue 20, round 2: each case failed before its fix (lost results, a traceback, a silent pass, a blocked retry)

def no_model(monkeypatch):
    "Make loading a model fail, to show that a refusal came before it."
    import lae_nb.predict_files
    def never(*a, **k): raise AssertionError('the model was loaded')
    monkeypatch.setattr(lae_nb.predict_files, 'load_detector', never)


def test_second_predict_into_a_busy_folder_is_refused(capsys, tmp_path):
    from lae_nb.files import exclusive
    x = image(tmp_path/'x.png')
    (tmp_path/'out').mkdir()
    with exclusive(tmp_path/'out', 'the output folder'): # what a first `lae predict` into it holds while it runs
        code, _, err = lae(capsys, 'predict', x, '--out', tmp_path/'out')
    assert (code == 1 and 'another process is already using the output folder' in err
            and list((tmp_path/'out').iterdir()) == [])


def test_killed_predict_resumes_without_rescoring(capsys, tmp_path, monkeypatch):
    import lae_nb.predict_files
    for i in range(4): image(tmp_path/'in'/f'{i}.png', seed=i)
    real_row, scored = lae_nb.predict_files.predict_row, []
    def killed_at_third(detector, path, *a):
        if len(scored) == 2: raise KeyboardInterrupt
        scored.append(path.name)
        return real_row(detector, path, *a)
    monkeypatch.setattr(lae_nb.predict_files, 'predict_row', killed_at_third)
    with pytest.raises(KeyboardInterrupt): main(['predict', str(tmp_path/'in'), '--out', str(tmp_path/'out')])
    assert [Path(r['path']).name for r in rows(tmp_path/'out/lae_results.csv')] == ['0.png', '1.png'] # kept what it did
    code, _, err = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out')
    assert code == 2 and '--resume' in err # a plain rerun is refused and says how to finish
    monkeypatch.setattr(lae_nb.predict_files, 'predict_row',
                        lambda detector, path, *a: (scored.append(path.name), real_row(detector, path, *a))[1])
    code, _, err = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out', '--resume')
    assert (code == 0 and scored == ['0.png', '1.png', '2.png', '3.png']
            and '4 scored (2 of them by the run it resumed)' in err)
    assert [Path(r['path']).name for r in rows(tmp_path/'out/lae_results.csv')] == ['0.png', '1.png', '2.png', '3.png']


def test_full_disk_keeps_the_rows_already_scored(capsys, tmp_path, monkeypatch):
    import lae_nb.predict_files
    from lae_nb.files import DiskFullError
    for i in range(3): image(tmp_path/'in'/f'{i}.png', seed=i)
    real_overlay, written = lae_nb.predict_files.write_overlay, []
    def fills_the_disk(dest, *a):
        if written: raise DiskFullError(f'no space left on the disk holding {dest.parent} while writing {dest.name}')
        written.append(dest)
        return real_overlay(dest, *a)
    monkeypatch.setattr(lae_nb.predict_files, 'write_overlay', fills_the_disk)
    code, _, err = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out')
    assert code == 1 and 'lae predict: error: no space left on the disk' in err and 'Traceback' not in err
    # was: no results file at all
    assert [Path(r['path']).name for r in rows(tmp_path/'out/lae_results.csv')] == ['0.png']


def test_outputs_colliding_with_each_other_are_refused(capsys, tmp_path, monkeypatch):
    no_model(monkeypatch)
    x = image(tmp_path/'x.png')
    code, _, err = lae(capsys, 'predict', x, '--out', tmp_path/'out', '--results', tmp_path/'out/x.png_lae.png')
    assert code == 2 and 'would be one file' in err and not (tmp_path/'out').exists()


def test_output_under_a_file_is_refused_before_the_model_loads(capsys, tmp_path, monkeypatch):
    no_model(monkeypatch)
    (tmp_path/'afile').write_text('x')
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--out', tmp_path/'afile/out')
    assert code == 2 and f"{tmp_path/'afile'} is a file, not a folder" in err and 'choose another --out' in err


def test_read_only_output_folder_is_one_line(capsys, tmp_path, monkeypatch):
    import errno, lae_nb.files
    no_model(monkeypatch)
    def read_only(**kw): raise OSError(errno.EROFS, 'Read-only file system')
    monkeypatch.setattr(lae_nb.files.tempfile, 'mkstemp', read_only)
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--out', tmp_path/'out')
    assert (code == 1 and err.startswith('lae predict: error: ')
            and '(Read-only file system); choose another --out' in err and 'Traceback' not in err)


def test_results_csv_neutralises_formulas_and_keeps_numbers(capsys, tmp_path):
    names = ['=HYPERLINK("x").png', '+1.png', '-x.png', '@a.png']
    for i, n in enumerate(names): image(tmp_path/'in'/n, seed=i)
    code, _, _ = lae(capsys, 'predict', tmp_path/'in', '--out', tmp_path/'out', '--no-overlay')
    with open(tmp_path/'out/lae_results.csv', newline='') as f: raw = list(csv.DictReader(f))
    assert code == 0 and not any(v.startswith(('=', '+', '-', '@')) for r in raw for k, v in r.items() if k != 'score')
    assert all(float(r['score']) == float(r['score']) for r in raw) # scores stay numbers (a negative one too)
    from lae_nb.predict_files import read_results
    assert sorted(Path(r['path']).name for r in read_results(tmp_path/'out/lae_results.csv')) == sorted(names)


@pytest.mark.parametrize('flag, value', [('--stride', '-5'), ('--stride', '0'), ('--batch-size', '0'),
                                         ('--max-pixels', '0'), ('--alpha', '2'), ('--alpha', 'nan')])
def test_predict_numeric_options_refused_before_anything(capsys, tmp_path, monkeypatch, flag, value):
    no_model(monkeypatch)
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--out', tmp_path/'out', flag, value)
    assert (code == 2 and f'lae predict: error: argument {flag}: {flag[2:].replace("-", "_")}=' in err
            and not (tmp_path/'out').exists())


@pytest.mark.parametrize('args, named', [(['--max-epochs', '0'], '--max-epochs'),
                                         (['--batch-size', '0'], '--batch-size'),
                                         (['--lr', 'nan'], '--lr'), (['--stage1-epochs', '-1'], '--stage1-epochs')])
def test_train_numeric_flags_refused_while_parsing(capsys, tmp_path, args, named):
    code, _, err = lae(capsys, 'train', *args, '--out', tmp_path/'run')
    assert code == 2 and f'argument {named}:' in err and not (tmp_path/'run').exists()


def test_train_set_non_finite_refused(capsys, tmp_path):
    code, _, err = lae(capsys, 'train', '--set', 'noise_max_std=inf', '--out', tmp_path/'run')
    assert code == 2 and 'noise_max_std=inf: must be a finite number' in err and not (tmp_path/'run').exists()


def test_train_manifest_with_a_bad_mask_spec_is_refused_before_training(capsys, tmp_path):
    header = 'path,label,mask_path,method,source,split,task'
    (tmp_path/'m.csv').write_text(f'{header}\na.png,0,center:abc,GL,a,train,t\n')
    code, _, err = lae(capsys, 'train', '--data', tmp_path/'m.csv', '--task', 't', '--out', tmp_path/'run')
    assert code == 1 and "line 2: mask spec 'center:abc'" in err and not (tmp_path/'run/checkpoint.pt').exists()


def mask_folder(root: Path, masks: bool) -> Path:
    "A tiny generic --data folder: real/, fake/ and, if asked, masks/."
    mask = np.zeros((32, 32), np.uint8)
    mask[8:20, 8:20] = 255
    for i in range(24):
        image(root/'real'/f'{i}.png', size=(32, 32), seed=i)
        image(root/'fake'/f'{i}.png', size=(32, 32), seed=100 + i)
        if masks:
            (root/'masks').mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask).save(root/'masks'/f'{i}.png')
    return root

TINY = ['--quiet', '--img-size', '32', '--set', 'stage1_epochs=1', 'stage2_epochs=1', 'width=0.125', 'disc_base=8',
        'batch_size=8', 'masked_per_batch=2', 'device=cpu']


def test_train_folder_without_masks_says_how_and_trains_with_n_active_0(capsys, tmp_path):
    data = mask_folder(tmp_path/'data', masks=False)
    code, _, err = lae(capsys, 'train', '--data', data, '--task', 'mine', '--out', tmp_path/'run', *TINY)
    assert code == 1 and 'without a mask' in err and '--n-active 0 or --selection none' in err
    code, out, _ = lae(capsys, 'train', '--data', data, '--task', 'mine', '--out', tmp_path/'run0',
                       '--n-active', '0', *TINY)
    assert code == 0 and (tmp_path/'run0/model.safetensors').is_file() and '| seen' in out


def test_failed_folder_run_does_not_block_its_retry(capsys, tmp_path):
    data = mask_folder(tmp_path/'data', masks=False)
    # no masks: refused
    assert lae(capsys, 'train', '--data', data, '--task', 'mine', '--out', tmp_path/'run', *TINY)[0] == 1
    mask_folder(data, masks=True) # the user adds them
    code, _, err = lae(capsys, 'train', '--data', data, '--task', 'mine', '--out', tmp_path/'run', *TINY)
    assert code == 0 and 'the folder changed' not in err and (tmp_path/'run/model.safetensors').is_file()


def test_reuse_stage1_of_the_shipped_model_says_what_to_set(capsys, tmp_path):
    from lae_nb.runs import shipped_run_dir
    code, _, err = lae(capsys, 'train', '--reuse-stage1', shipped_run_dir(), '--n-active', '10',
                       '--out', tmp_path/'fork')
    assert (code == 1 and '--set benchmark_size=2000 max_train=none stage1_epochs=16' in err
            and 'has not finished stage 1' not in err)
    assert 'Traceback' not in err and not (tmp_path/'fork/checkpoint.pt').exists()


def test_eval_json_into_an_unwritable_folder_is_refused_before_the_work(capsys, tmp_path, monkeypatch):
    import lae_nb.run_data
    from lae_nb.runs import shipped_run_dir
    def never(*a, **k): raise AssertionError('evaluated')
    monkeypatch.setattr(lae_nb.run_data, 'prepare_data', never)
    (tmp_path/'afile').write_text('x')
    code, _, err = lae(capsys, 'eval', shipped_run_dir(), '--json', tmp_path/'afile/m.json')
    assert code == 1 and 'afile: nothing can be written there' in err and 'choose another --json' in err


@pytest.mark.skipif(__import__('torch').cuda.is_available(), reason='needs a machine without CUDA')
def test_device_cuda_without_a_gpu_is_one_line_and_debug_shows_the_traceback(capsys, tmp_path):
    x = image(tmp_path/'x.png')
    code, _, err = lae(capsys, 'predict', x, '--out', tmp_path/'out', '--device', 'cuda')
    assert code == 1 and err.strip().startswith("lae predict: error: device='cuda' was requested but CUDA "
                                                "is not available") and 'Traceback' not in err
    code, _, err = lae(capsys, 'predict', x, '--out', tmp_path/'out2', '--device', 'cuda', '--debug')
    assert (code == 1 and 'Traceback (most recent call last)' in err
            and err.strip().endswith('pass device=None to pick automatically.'))


def test_unexpected_error_is_one_line_with_its_type(capsys, tmp_path, monkeypatch):
    import lae_nb.predict_files
    def broken(*a, **k): raise TypeError('something lae_nb did not expect')
    monkeypatch.setattr(lae_nb.predict_files, 'load_detector', broken)
    code, _, err = lae(capsys, 'predict', image(tmp_path/'x.png'), '--out', tmp_path/'out')
    assert code == 1 and ('lae predict: error: TypeError: something lae_nb did not expect '
                          '(lae --debug shows where it was raised)') in err


FIRST_WAITS = """import sys, time
from pathlib import Path
import lae_nb.predict_files as pf
row, go = pf.predict_row, Path(sys.argv[1])
def waits(*a):
    while not go.exists(): time.sleep(0.05) # scoring, as slowly as the test needs: until the second run has tried
    return row(*a)
pf.predict_row = waits
from lae_nb.cli import main
sys.exit(main(sys.argv[2:]))
"""

def test_two_predict_processes_into_one_folder_lose_nothing(tmp_path):
    import time
    for i in range(4): image(tmp_path/'a'/f'{i}.png', seed=i)
    image(tmp_path/'b/other.png', seed=99)
    env = {**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1]), 'OMP_NUM_THREADS': '1'}
    first = subprocess.Popen([sys.executable, '-c', FIRST_WAITS, str(tmp_path/'go'), 'predict', str(tmp_path/'a'),
                              '--out', str(tmp_path/'out')],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # it has made its folder, and locks it next
    while first.poll() is None and not (tmp_path/'out').exists(): time.sleep(0.05)
    time.sleep(1) # it holds the lock and waits in its first file
    second = subprocess.run([sys.executable, '-c',
                             'import sys; from lae_nb.cli import main; sys.exit(main(sys.argv[1:]))', 'predict',
                             str(tmp_path/'b'), '--out', str(tmp_path/'out'), '--overwrite'], env=env,
                            capture_output=True, text=True)
    (tmp_path/'go').touch()
    first_err = first.communicate(timeout=120)[1]
    assert first.returncode == 0, first_err
    assert second.returncode == 1, second.stderr # was: both exit 0
    assert 'another process is already using the output folder' in second.stderr, second.stderr
    names = sorted(Path(r['path']).name for r in rows(tmp_path/'out/lae_results.csv'))
    assert names == ['0.png', '1.png', '2.png', '3.png'] # the first's, whole
    assert not (tmp_path/'out/other.png_lae.png').exists()

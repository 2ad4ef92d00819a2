"""Bad input and faults against the Python API (issues 13 and 20): one test per case, each asserting the message or
the result.

The `lae` command's cases are in test_bad_input_cli.py. Every case here is fast (the two trainings are a
toy run of seconds at 32 px), so the module runs in the normal suite."""
import dataclasses, json, math, os, re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lae_nb.adapters import records_from_celeba_edits, records_from_folder, toy_manifest
from lae_nb.benchmark import make_benchmark
from lae_nb.config import ConfigError, LAEConfig, parse_overrides
from lae_nb.core import OptionError, cache_root, temporary_env
from lae_nb.data import (MANIFEST_COLUMNS, CorruptImageError, ForgeryDataset, ForgeryRecord, ManifestError,
                         MaskSizeError, TensorSet, image_size, load_mask, load_rgb, read_manifest, write_manifest)
from lae_nb.detector import LAEDetector, NonFiniteScoreError, predict_image, predict_tiles
from lae_nb.engine import NonFiniteError
from lae_nb.evaluate import detection_metrics, metrics_table
from lae_nb.files import BusyError, DiskFullError, atomic_write, exclusive, load_checkpoint, read_json, write_json
from lae_nb.manifest import MaskSpecError
from lae_nb.run_data import DataError, data_problems, prepare_data
from lae_nb.runs import RunExistsError, fork_stage1, load_detector, load_run, move_aside, shipped_run_dir
from lae_nb.train import train_lae

HEADER = ','.join(MANIFEST_COLUMNS)


# --- configuration: every bad field is named when the config is built, before any work -------------
@pytest.mark.parametrize('over, message', [
    (dict(width=0), 'width=0: must be > 0'),
    (dict(n_active=-1), 'n_active=-1: must be >= 0'),
    (dict(n_top_channels=0), 'n_top_channels=0: must be >= 1'),
    (dict(n_top_channels=10_000), 'the encoder has only 512 channels'),
    (dict(cam_normalize='softmax'), "cam_normalize='softmax': must be one of"),
    (dict(stage1_epochs=0), 'stage1_epochs=0: must be >= 1'),
    (dict(stage2_epochs=-1), 'stage2_epochs=-1: must be >= 0'),
    (dict(patience=0), 'patience=0: must be >= 1'),
    (dict(lr_decay_every=0), 'lr_decay_every=0: must be >= 1'),
    (dict(latent_dim=0), 'latent_dim=0: must be an even number >= 2'),
    (dict(latent_dim=7), 'latent_dim=7: must be an even number >= 2'),
    (dict(img_size=100), 'img_size=100: must be a power of two'),
    (dict(img_size='64'), "img_size='64': must be <class 'int'>"),
    (dict(batch_size=1), 'batch_size=1: must be >= 2 (BatchNorm)'),
    (dict(lr=0.0), 'lr=0.0: must be > 0'),
    (dict(betas=(0.9, 1.5)), 'betas=(0.9, 1.5): must be two numbers in [0, 1)'),
    (dict(selection='best'), "selection='best': must be one of"),
    (dict(ablation='nope'), "ablation='nope': must be one of"),
    (dict(feature_stride=4), 'feature_stride=4: must be 8 or 16'),
    (dict(alpha1=0.0, alpha2=0.0), 'alpha1=alpha2=0: stage 1 would have no loss'),
    (dict(amp='yes'), "amp='yes': must be <class 'bool'>"),
])
def test_config_field(over, message):
    with pytest.raises(ConfigError) as e: LAEConfig(**over)
    assert message in str(e.value)

def test_config_lists_every_problem_at_once():
    with pytest.raises(ConfigError) as e: LAEConfig(width=0, n_active=-1, lr=-1.0)
    assert all(s in str(e.value) for s in ('width=0', 'n_active=-1', 'lr=-1.0'))

def test_config_json_not_json_names_the_file(tmp_path):
    (tmp_path/'config.json').write_text('{"img_size": 64,')
    with pytest.raises(ConfigError, match='config.json: Expecting property name'):
        LAEConfig.load(tmp_path/'config.json')

def test_config_json_unknown_field_names_the_file(tmp_path):
    (tmp_path/'config.json').write_text('{"no_such_field": 1}')
    with pytest.raises(ConfigError, match=r"config.json: unknown config fields \['no_such_field'\]"):
        LAEConfig.load(tmp_path/'config.json')


# --- manifests: nothing is dropped in silence ----------------------------------------------------------
def _manifest(tmp_path, rows, name='m.csv'):
    (tmp_path/name).write_text(HEADER + '\n' + ''.join(r + '\n' for r in rows))
    return tmp_path/name

def _problems(path):
    with pytest.raises(ManifestError) as e: read_manifest(path)
    return str(e.value)

def test_manifest_unknown_split_capitalised(tmp_path):
    problems = _problems(_manifest(tmp_path, ['a.png,1,,real,a,Train,']))
    assert "line 2: split must be one of ('train', 'val', 'test') (or empty), got 'Train'" in problems

def test_manifest_unknown_split_name(tmp_path):
    assert "got 'bogus'" in _problems(_manifest(tmp_path, ['a.png,1,,real,a,bogus,']))

def test_manifest_short_row(tmp_path):
    assert 'line 2: 5 of 7 fields missing (short row)' in _problems(_manifest(tmp_path, ['a.png,1']))

def test_manifest_long_row(tmp_path):
    assert 'line 2: 1 more fields than the header' in _problems(_manifest(tmp_path, ['a.png,1,,real,a,train,,extra']))

def test_manifest_duplicate_row(tmp_path):
    problems = _problems(_manifest(tmp_path, ['a.png,1,,real,a,train,'] * 2))
    assert 'line 3: a.png is listed twice (first on line 2)' in problems

def test_manifest_bad_label(tmp_path):
    problems = _problems(_manifest(tmp_path, ['a.png,fake,,m,a,train,t']))
    assert "line 2: label must be 1 (real) or 0 (fake), got 'fake'" in problems

def test_manifest_all_problems_in_one_error(tmp_path):
    text = _problems(_manifest(tmp_path, ['a.png,1,,real,a,Train,', 'b.png,2,,real,b,train,', 'c.png']))
    assert text.startswith(f'{tmp_path/"m.csv"} has 3 bad rows; nothing was read')

def test_manifest_missing_columns(tmp_path):
    (tmp_path/'m.csv').write_text('path,label\na.png,1\n')
    assert "lacks columns ['mask_path', 'method', 'source', 'split', 'task']" in _problems(tmp_path/'m.csv')

def test_manifest_not_utf8(tmp_path):
    (tmp_path/'m.csv').write_bytes((HEADER + '\nb\xe9b\xe9.png,1,,real,a,train,\n').encode('latin-1'))
    assert 'm.csv is not UTF-8 text' in _problems(tmp_path/'m.csv')

def test_manifest_oversized_field(tmp_path):
    (tmp_path/'m.csv').write_text(HEADER + '\n"' + 'x' * 200_000 + '",1,,real,a,train,\n')
    assert 'm.csv line 2: field larger than field limit' in _problems(tmp_path/'m.csv')

def test_manifest_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.csv does not exist'): read_manifest(tmp_path/'nope.csv')

def test_manifest_binary_file(tmp_path):
    (tmp_path/'m.csv').write_bytes(b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR')
    assert 'm.csv' in _problems(tmp_path/'m.csv')


# --- images and masks as people have them ----------------------------------------------------------------
def test_image_garbage(tmp_path):
    (tmp_path/'x.png').write_bytes(b'not an image')
    with pytest.raises(CorruptImageError, match='x.png cannot be decoded as an image'): load_rgb(tmp_path/'x.png')

def test_image_truncated(tmp_path):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 9).save(tmp_path/'ok.png')
    (tmp_path/'cut.png').write_bytes((tmp_path/'ok.png').read_bytes()[:60])
    with pytest.raises(CorruptImageError, match='cut.png cannot be decoded'): load_rgb(tmp_path/'cut.png')

def test_image_missing(tmp_path):
    with pytest.raises(FileNotFoundError): load_rgb(tmp_path/'gone.png')

def test_image_nan_float_tiff(tmp_path):
    Image.fromarray(np.array([[0.5, np.nan]], np.float32)).save(tmp_path/'nan.tif')
    with pytest.raises(CorruptImageError, match='nan.tif cannot be decoded as an image \\(it holds NaN'):
        load_rgb(tmp_path/'nan.tif')

def test_image_exif_orientation_applied(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 8 # rotate 90 degrees counter-clockwise to display
    Image.fromarray(rgb).save(tmp_path/'phone.png', exif=exif)
    assert np.array_equal(load_rgb(tmp_path/'phone.png'), np.rot90(rgb, k=1))
    assert image_size(tmp_path/'phone.png') == (6, 4)

def test_mask_16bit_zero_one(tmp_path):
    Image.fromarray(np.array([[0, 1, 1, 0]], np.uint16)).save(tmp_path/'m.png')
    assert load_mask(str(tmp_path/'m.png'), (1, 4)).tolist() == [[False, True, True, False]]

def test_mask_16bit_full_range(tmp_path):
    Image.fromarray(np.array([[0, 65535, 30000, 40000]], np.uint16)).save(tmp_path/'m.png')
    assert load_mask(str(tmp_path/'m.png'), (1, 4)).tolist() == [[False, True, False, True]]

def test_mask_wrong_size(tmp_path):
    Image.fromarray(np.zeros((5, 7), np.uint8)).save(tmp_path/'m.png')
    with pytest.raises(MaskSizeError, match='m.png is 7x5 but its image x.png is 4x4'):
        load_mask(str(tmp_path/'m.png'), (4, 4), 'x.png')

def test_mask_center_larger_than_image():
    with pytest.raises(MaskSizeError, match="'center:300' is larger than its 256x256 image"):
        load_mask('center:300', (256, 256))

def test_dataset_without_records():
    with pytest.raises(ValueError, match='ForgeryDataset got no records'): ForgeryDataset([])

def test_dataset_skips_unreadable_with_a_warning(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path/'ok.png')
    (tmp_path/'bad.png').write_bytes(b'x')
    recs = [ForgeryRecord(str(tmp_path/f), 1, None, 'real', f, 'train', '') for f in ('ok.png', 'bad.png')]
    with pytest.warns(UserWarning, match='skipped 1 of 2 images'): ds = ForgeryDataset(recs, on_error='skip')
    assert len(ds) == 1


# --- dataset layouts -----------------------------------------------------------------------------------------
def _pair(root, name, mask_name=None):
    for sub in ('real', 'fake'):
        (root/sub).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root/sub/f'{name}.png')
    if mask_name:
        (root/Path(mask_name).parent).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), 255, np.uint8)).save(root/mask_name)

def test_folder_masks_named_x_mask(tmp_path):
    _pair(tmp_path, 'x', 'masks/x_mask.png')
    fake = next(r for r in records_from_folder(tmp_path) if r.label == 0)
    assert fake.mask_path == str(tmp_path/'masks/x_mask.png')

def test_folder_masks_beside_the_fakes_are_not_fakes(tmp_path):
    _pair(tmp_path, 'x', 'fake/x_mask.png')
    fakes = [r for r in records_from_folder(tmp_path) if r.label == 0]
    assert [(Path(r.path).name, Path(r.mask_path).name) for r in fakes] == [('x.png', 'x_mask.png')]

def test_folder_without_images(tmp_path):
    (tmp_path/'real').mkdir()
    with pytest.raises(FileNotFoundError, match='no images .* under .*real; expected layout'):
        records_from_folder(tmp_path)

def test_celeba_identity_file_malformed(tmp_path):
    for sub in ('real', 'StarGAN', 'Glow'):
        (tmp_path/sub).mkdir()
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path/sub/'000001.png')
    (tmp_path/'ids.txt').write_text('000001.jpg 7\n000002.jpg\n')
    with pytest.raises(ValueError, match=r"ids.txt: 1 lines are not '<image> <person id>'.*line 2: '000002.jpg'"):
        records_from_celeba_edits(tmp_path, identity_file=tmp_path/'ids.txt')

def test_celeba_identity_file_binary(tmp_path):
    (tmp_path/'real').mkdir()
    (tmp_path/'ids.txt').write_bytes(b'\xff\xfe\x00garbage')
    with pytest.raises(ValueError, match='ids.txt is not a text file'):
        records_from_celeba_edits(tmp_path, identity_file=tmp_path/'ids.txt')


# --- data checked before training: one report, every problem with its file ----------------------------------
TOY = dict(task='toy', img_size=32, width=0.25, highpass=True, disc_base=8, beta2=0.0, stage1_epochs=2, stage2_epochs=2,
           batch_size=8, n_active=4, masked_per_batch=2, patience=None, device='cpu')

@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    return root, toy_manifest(root)

def _broken(toy, tmp_path, change):
    recs = change(read_manifest(toy[1]))
    write_manifest(recs, tmp_path/'broken.csv')
    return LAEConfig(data=str(tmp_path/'broken.csv'), **TOY)

def _data_error(cfg, evaluate_only=False):
    with pytest.raises(DataError) as e: prepare_data(cfg, progress=False, evaluate_only=evaluate_only)
    return str(e.value)

def test_data_fakes_without_masks(toy, tmp_path):
    cfg = _broken(toy, tmp_path, lambda rs: [dataclasses.replace(r, mask_path=None) for r in rs])
    text = _data_error(cfg)
    # and how to train without them (issue 20)
    assert 'training fake(s) without a mask' in text and '--n-active 0 or --selection none' in text

def test_data_train_split_without_reals(toy, tmp_path):
    cfg = _broken(toy, tmp_path, lambda rs: [r for r in rs if not (r.split == 'train' and r.label == 1)])
    assert "split 'train' of task 'toy' has 0 reals" in _data_error(cfg)

def test_data_wrong_size_mask(toy, tmp_path):
    def change(rs):
        fake = next(r for r in rs if r.label == 0 and r.split == 'train')
        Image.new('L', (3, 3)).save(tmp_path/'small.png')
        return [dataclasses.replace(r, mask_path=str(tmp_path/'small.png')) if r is fake else r for r in rs]
    assert 'small.png: mask is 3x3 but its image' in _data_error(_broken(toy, tmp_path, change))

def test_data_missing_image_file(toy, tmp_path):
    cfg = _broken(toy, tmp_path, lambda rs: [dataclasses.replace(rs[0], path=str(tmp_path/'gone.png'))] + rs[1:])
    assert 'gone.png: no such file' in _data_error(cfg)

def test_data_source_in_two_splits(toy, tmp_path):
    def change(rs):
        train_source = next(r.source for r in rs if r.split == 'train')
        return [dataclasses.replace(r, source=train_source) if r.split == 'test' and r.label == 1 else r for r in rs]
    error = _data_error(_broken(toy, tmp_path, change))
    assert "is in splits ['test', 'train']: a source's images must stay in one split" in error

def test_data_report_counts_every_problem(toy, tmp_path):
    def change(rs):
        # 32 missing files
        rs = [dataclasses.replace(r, path=f'{r.path}.gone') if r.label == 0 and r.split == 'train' else r for r in rs]
        return [r for r in rs if not (r.split == 'val' and r.label == 1)]
    text = _data_error(_broken(toy, tmp_path, change))
    # 32 files and the val split: 20 listed, the rest counted
    assert '33 problems, found before training' in text and '... and 13 more' in text

def test_eval_on_test_only_manifest(toy, tmp_path):
    cfg = _broken(toy, tmp_path, lambda rs: [r for r in rs if r.split == 'test'])
    data = prepare_data(cfg, progress=False, evaluate_only=True)
    assert data['test'] is None and sorted(data['unseen']) == ['bright', 'dark']

def test_eval_reads_only_the_test_split(toy, tmp_path):
    cfg = _broken(toy, tmp_path,
                  lambda rs: [dataclasses.replace(r, path=str(tmp_path/f'gone{i}.png')) if r.split == 'train' else r
                              for i, r in enumerate(rs)])
    # the missing train files are never touched
    assert prepare_data(cfg, progress=False, evaluate_only=True)['seen_method'] == 'bright'


# --- numbers you can trust ------------------------------------------------------------------------------------
def test_metrics_one_class_is_null_in_json(tmp_path):
    m = {'seen': {'x': detection_metrics(np.array([1., 2.]), np.array([0, 0]))}, 'unseen': {}, 'localization': {}}
    write_json(tmp_path/'metrics.json', m)
    assert json.loads((tmp_path/'metrics.json').read_text(),
                      parse_constant=lambda c: pytest.fail(f'bare {c}'))['seen']['x']['auc'] is None

def test_metrics_one_class_marked_in_table():
    m = {'seen': {'x': detection_metrics(np.array([1., 2.]), np.array([0, 0]))}, 'unseen': {}, 'localization': {}}
    assert 'one class missing (0 real, 2 fake): no AUC' in metrics_table(m)

def test_metrics_few_images_warned():
    m = {'seen': {'x': detection_metrics(np.array([1., -1.]), np.array([0, 1]))}, 'unseen': {}, 'localization': {}}
    assert 'Warning: 1 rows rest on fewer than 20 images of a class' in metrics_table(m)

def test_metrics_nan_scores_are_an_error():
    with pytest.raises(ValueError, match='1 of 2 scores are not finite'):
        detection_metrics(np.array([np.nan, 1.]), np.array([0, 1]))

def test_write_json_infinity_is_null(tmp_path):
    write_json(tmp_path/'x.json', {'a': math.inf, 'b': [math.nan]})
    assert json.loads((tmp_path/'x.json').read_text()) == {'a': None, 'b': [None]}

def test_read_json_names_the_file(tmp_path):
    (tmp_path/'x.json').write_text('{')
    with pytest.raises(ValueError, match='x.json is not valid JSON'): read_json(tmp_path/'x.json')


# --- never overwrite, never mix runs --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def trained(toy, tmp_path_factory):
    torch.set_num_threads(1)
    cfg = LAEConfig(data=str(toy[1]), **TOY)
    run = tmp_path_factory.mktemp('runs')/'run'
    metrics = train_lae(cfg, run, progress=False)
    return cfg, run, metrics

def test_no_resume_into_a_run_changes_nothing(trained):
    cfg, run, _ = trained
    before = {f.name: f.read_bytes() for f in run.iterdir()}
    with pytest.raises(RunExistsError, match='holds a run .*a new run never writes over it'):
        train_lae(cfg, run, resume=False, progress=False)
    assert {f.name: f.read_bytes() for f in run.iterdir()} == before

def test_resume_with_another_config_lists_the_fields(trained):
    cfg, run, _ = trained
    with pytest.raises(RunExistsError, match=r"lambda2: 1.0 -> 2.0\); only fields a fork may change differ"):
        train_lae(dataclasses.replace(cfg, lambda2=2.0), run, progress=False)

def test_two_trainings_into_one_folder(trained, tmp_path):
    cfg, run, _ = trained
    with exclusive(run/'.lock', 'a test'):
        with pytest.raises(BusyError, match='another process is already using a training into'):
            train_lae(cfg, run, progress=False)

def test_move_aside_keeps_the_old_run(trained, tmp_path):
    _, run, _ = trained
    copy = tmp_path/'run'
    copy.mkdir()
    (copy/'config.json').write_bytes((run/'config.json').read_bytes())
    moved = move_aside(copy)
    assert (moved.name == 'run.old1' and (moved/'config.json').read_bytes() == (run/'config.json').read_bytes()
            and not copy.exists())

def test_metrics_json_of_a_run_is_strict_json(trained):
    _, run, _ = trained
    json.loads((run/'metrics.json').read_text(), parse_constant=lambda c: pytest.fail(f'bare {c}'))

def test_max_epochs_out_of_range_is_refused_before_anything_is_written(toy, tmp_path):
    cfg = LAEConfig(data=str(toy[1]), **TOY)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(OptionError, match=f'max_epochs={bad!r}: must be a whole number >= 1, or None'):
            train_lae(cfg, tmp_path/'run', max_epochs=bad, progress=False)
    assert not (tmp_path/'run').exists()

def test_load_run_stage_3(trained):
    with pytest.raises(ValueError, match='stage=3: use 2'): load_run(trained[1], stage=3)

def test_nan_images_stop_training(toy, tmp_path):
    cfg = LAEConfig(data=str(toy[1]), **TOY)
    data = prepare_data(cfg, progress=False)
    data.train = TensorSet(torch.full((16, 3, 32, 32), math.nan), torch.tensor([0, 1] * 8))
    with pytest.raises(NonFiniteError, match="stage 1 epoch 1 batch 1: latent = nan.*images hold"):
        train_lae(cfg, tmp_path/'nan', progress=False, data=data)

def test_nan_weights_stop_training(toy, tmp_path, monkeypatch):
    cfg = LAEConfig(data=str(toy[1]), **TOY)
    data = prepare_data(cfg, progress=False)
    import lae_nb.train as train_mod
    build = train_mod.build_networks
    def poisoned(*a, **k):
        model, D, C = build(*a, **k)
        with torch.no_grad(): next(model.parameters()).fill_(math.nan)
        return model, D, C
    monkeypatch.setattr(train_mod, 'build_networks', poisoned)
    with pytest.raises(NonFiniteError, match="images are finite, so the weights diverged"):
        train_lae(cfg, tmp_path/'w', progress=False, data=data)

def test_checkpoint_with_code_is_refused(tmp_path):
    import pickle
    class Evil:
        def __reduce__(self): return (os.system, ('true',))
    torch.save({'x': Evil()}, tmp_path/'checkpoint.pt', pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(Exception, match='checkpoint.pt'): load_checkpoint(tmp_path/'checkpoint.pt')


# --- the disk and the cache --------------------------------------------------------------------------------------
def test_full_disk_says_no_space_and_the_path(tmp_path):
    def fill(tmp): raise OSError(28, 'No space left on device')
    with pytest.raises(DiskFullError, match=f'no space left on the disk holding {tmp_path}'):
        atomic_write(tmp_path/'x.bin', fill)
    assert not (tmp_path/'x.bin').exists() and not list(tmp_path.glob('.x.bin.*'))

def test_failed_write_keeps_the_old_file(tmp_path):
    (tmp_path/'x.json').write_text('{"old": 1}')
    def fail(tmp): raise RuntimeError('killed')
    with pytest.raises(RuntimeError): atomic_write(tmp_path/'x.json', fail)
    assert (tmp_path/'x.json').read_text() == '{"old": 1}'

def test_benchmark_generation_killed_midway_is_redone(tmp_path):
    manifest = make_benchmark(tmp_path, img_size=64, n_real_per_split=(12, 4, 4), progress=False)
    partial = manifest.parent.with_name(manifest.parent.name + '.partial')
    import shutil
    shutil.rmtree(manifest.parent)
    partial.mkdir()
    (partial/'half.png').write_bytes(b'half a benchmark') # what a killed generation leaves
    assert make_benchmark(tmp_path, img_size=64, n_real_per_split=(12, 4, 4), progress=False) == manifest
    assert not partial.exists() and len(read_manifest(manifest)) > 0

def test_run_files_readable_by_others_as_with_open(tmp_path):
    old = os.umask(0o022)
    try: write_json(tmp_path/'metrics.json', {'auc': 0.5})
    finally: os.umask(old)
    assert (tmp_path/'metrics.json').stat().st_mode & 0o777 == 0o644 # not the owner-only 0o600 of a bare mkstemp file


# --- issue 20, second round: each case below failed (crashed, passed in silence or blocked a retry) before its fix ---

def test_cache_root_from_a_relative_variable_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with temporary_env(LAE_NB_CACHE='rel_cache'): assert cache_root() == tmp_path/'rel_cache'

def test_relative_cache_benchmark_is_valid_from_another_directory(tmp_path, monkeypatch):
    (tmp_path/'a').mkdir()
    (tmp_path/'b').mkdir()
    monkeypatch.chdir(tmp_path/'a')
    with temporary_env(LAE_NB_CACHE='cache'):
        manifest = make_benchmark(img_size=64, n_real_per_split=(12, 4, 4), progress=False)
    monkeypatch.chdir(tmp_path/'b')
    assert manifest.is_absolute() and data_problems(read_manifest(manifest), 'postprocess') == []
    monkeypatch.chdir(tmp_path/'a') # the same relative variable, later: the same cache, reused
    with temporary_env(LAE_NB_CACHE='cache'):
        assert make_benchmark(img_size=64, n_real_per_split=(12, 4, 4), progress=False) == manifest

@pytest.mark.parametrize('spec', ['center:abc', 'center:-5', 'center:0', 'center:', 'center:1.5'])
def test_manifest_bad_mask_spec_refused_when_read(tmp_path, spec):
    assert f"line 2: mask spec {spec!r}" in _problems(_manifest(tmp_path, [f'a.png,0,{spec},GL,a,train,t']))

def test_load_mask_bad_spec_names_it():
    # was an empty mask, in silence
    with pytest.raises(MaskSpecError, match="mask spec 'center:-5'"): load_mask('center:-5', (64, 64))

def test_data_center_mask_larger_than_a_test_image(toy, tmp_path):
    def change(rs):
        fake = next(r for r in rs if r.label == 0 and r.split == 'test')
        return [dataclasses.replace(r, mask_path='center:40') if r is fake else r for r in rs]
    # before training, not at evaluation
    assert "mask 'center:40' is larger than its 32x32 image" in _data_error(_broken(toy, tmp_path, change))

def test_parse_overrides_applies_the_field_rules():
    for pair, message in (('lr=nan', 'lr=nan: must be a finite number'),
                          ('noise_max_std=inf', 'must be a finite number'),
                          ('img_size=100', 'must be a power of two'), ('batch_size=0', 'batch_size=0: must be >= 2')):
        with pytest.raises(ConfigError, match=message): parse_overrides([pair])

@pytest.mark.parametrize('over, message', [
    (dict(width=1e308), 'width=1e+308: must be > 0 and <= 64'), # was an OverflowError
    (dict(betas=(0.9, 'x')), "betas=(0.9, 'x'): must be two numbers")]) # was a TypeError
def test_config_field_values_that_crashed(over, message):
    with pytest.raises(ConfigError, match=re.escape(message)): LAEConfig(**over)

def test_config_json_holding_a_list_names_the_file(tmp_path):
    (tmp_path/'config.json').write_text('[1, 2]')
    with pytest.raises(ConfigError, match='config.json: it holds a JSON list, not an object'):
        LAEConfig.load(tmp_path/'config.json')

@pytest.fixture(scope='module')
def nan_detector():
    det = load_detector(device='cpu')
    det.model.encoder.fc.weight.data.fill_(float('nan'))
    return det

def test_predict_image_nan_model_refused(nan_detector, tmp_path):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path/'x.png')
    with pytest.raises(NonFiniteScoreError, match="x.png: the model's score is nan"):
        predict_image(nan_detector, tmp_path/'x.png') # was 'real'

def test_predict_tiles_nan_model_refused(nan_detector):
    with pytest.raises(NonFiniteScoreError, match="the model's score is nan"):
        predict_tiles(nan_detector, np.zeros((64, 64, 3), np.uint8))

@pytest.mark.parametrize('over', [dict(stride=-5), dict(stride=0), dict(batch_size=0)])
def test_predict_tiles_bad_tiling_refused(over):
    name = next(iter(over))
    with pytest.raises(OptionError, match=f'{name}=') as e:
        predict_tiles(LAEDetector(LAEConfig.preset('tiny').build_model()), np.zeros((80, 80, 3), np.uint8), **over)
    assert e.value.name == name

def test_explorers_refuse_a_nan_model(nan_detector, toy):
    from lae_nb.widgets import HeatmapExplorer, LatentExplorer
    test = ForgeryDataset([r for r in read_manifest(toy[1]) if r.split == 'test'], img_size=64)
    with pytest.raises(NonFiniteScoreError, match="the model's score is nan"): HeatmapExplorer(nan_detector, test)
    with pytest.raises(NonFiniteScoreError, match="the model's score is nan"): LatentExplorer(nan_detector, test)

def test_manifest_formula_fields_neutralised_and_read_back(tmp_path):
    recs = [ForgeryRecord(str(tmp_path/'=cmd|calc.png'), 0, 'center:8', '@SUM(A1)', '+src', 'train', '-t'),
            ForgeryRecord(str(tmp_path/"'quote.png"), 1, None, 'real', "'=x", 'train', '')]
    write_manifest(recs, tmp_path/'m.csv')
    fields = [f for line in (tmp_path/'m.csv').read_text().splitlines() for f in line.split(',')]
    assert not any(f.startswith(('=', '+', '-', '@')) for f in fields) and read_manifest(tmp_path/'m.csv') == recs

def test_fork_of_the_shipped_model_runs_stage2(toy, tmp_path):
    cfg = dataclasses.replace(LAEConfig.load(shipped_run_dir()/'config.json'), n_active=4, stage2_epochs=1,
                              masked_per_batch=2, device='cpu')
    fork_stage1(shipped_run_dir(), cfg, tmp_path/'fork') # was: "has not finished stage 1 yet"
    # the toy data, to keep it quick
    data = prepare_data(dataclasses.replace(cfg, data=str(toy[1]), task='toy'), progress=False)
    metrics = train_lae(cfg, tmp_path/'fork', progress=False, data=data)
    assert metrics['selection']['n_requests'] == 4 and (tmp_path/'fork/model.safetensors').is_file()

def test_fork_with_other_stage1_fields_says_what_to_set(tmp_path):
    with pytest.raises(ConfigError,
                       match=re.escape('(lae train: --set benchmark_size=2000 max_train=none stage1_epochs=16)')):
        fork_stage1(shipped_run_dir(), LAEConfig.preset('tiny'), tmp_path/'fork')

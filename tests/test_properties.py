"""Property-based tests (Hypothesis) of the parsers and validators users feed directly (issue 20): manifests, config
fields and `--set`, mask specs, `lae predict`'s numeric options and output names. Whatever the input, the answer is a
result or one of lae_nb's documented errors, never a raw exception, and `lae predict` writes nothing outside its output
folder.

A few hundred examples each; the whole module runs in well under a minute on a CPU."""
import csv, io, json, math, tempfile
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from lae_nb.cli import main
from lae_nb.config import ConfigError, LAEConfig, parse_overrides
from lae_nb.core import OptionError
from lae_nb.data import MaskSizeError, load_mask
from lae_nb.detector import Detector
from lae_nb.manifest import (CENTER_MASK_PREFIX, MANIFEST_COLUMNS, SPLITS, ForgeryRecord, ManifestError, MaskSpecError,
                             center_side, read_manifest, write_manifest)
from lae_nb.predict_files import (OVERLAY_SUFFIX, OutputError, check_collisions, check_options, expand_inputs,
                                  output_paths, predict_files, read_results)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = [f for f in LAEConfig.__dataclass_fields__]
# any text Python can encode (no lone surrogates)
text = st.text(st.characters(blacklist_categories=('Cs',)), max_size=24)
# what a CSV field can hold
field_text = st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'), max_size=16)
numbers_as_text = st.one_of(st.integers(-10**6, 10**6).map(str),
                            st.floats(allow_nan=True, allow_infinity=True).map(repr),
                            st.sampled_from(['nan', 'inf', '-inf', '1e309', '-0', '9' * 5000, '1_000', ' 8 ', '0x10',
                                             'none', 'true']))


# --- manifests: random rows, encodings, delimiters, byte-order marks --------------------------------------------------
def _line(fields: list[str], delimiter: str, quote: bool) -> str:
    return delimiter.join('"' + f.replace('"', '""') + '"' if quote else f for f in fields)

@SETTINGS
@given(header=st.one_of(st.just(MANIFEST_COLUMNS), st.permutations(MANIFEST_COLUMNS), st.lists(field_text, max_size=8)),
       rows=st.lists(st.lists(st.one_of(field_text, st.sampled_from(['0', '1', 'train', 'test', 'center:8', 'center:-5',
                                                                     'center:x', '=1+1'])),
                              max_size=9), max_size=6),
       delimiter=st.sampled_from([',', ';', '\t', '|']), quote=st.booleans(), bom=st.booleans(),
       encoding=st.sampled_from(['utf-8', 'utf-16', 'latin-1', 'cp1252']), newline=st.sampled_from(['\n', '\r\n']))
def test_read_manifest_answers_any_csv_with_records_or_a_manifest_error(header, rows, delimiter, quote,
                                                                        bom, encoding, newline):
    body = newline.join(_line(r, delimiter, quote) for r in [header, *rows]) + newline
    data = ('\ufeff' if bom else '') + body
    with tempfile.TemporaryDirectory() as d:
        path = Path(d)/'m.csv'
        path.write_bytes(data.encode(encoding, errors='replace'))
        try: records = read_manifest(path)
        except ManifestError: return
        assert all(isinstance(r, ForgeryRecord) and r.label in (0, 1) and r.split in ('', *SPLITS) for r in records)
        assert all(r.mask_path is None or not r.mask_path.startswith(CENTER_MASK_PREFIX)
                   or center_side(r.mask_path) >= 1 for r in records)

@SETTINGS
@given(st.binary(max_size=300))
def test_read_manifest_answers_any_bytes(content):
    with tempfile.TemporaryDirectory() as d:
        (Path(d)/'m.csv').write_bytes(content)
        try: read_manifest(Path(d)/'m.csv')
        except ManifestError: pass

name = st.text(st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='/\\'), min_size=1, max_size=20
               ).filter(lambda n: n not in ('.', '..') and len(n.encode()) < 200)

@SETTINGS
@given(st.lists(st.tuples(name, st.sampled_from([0, 1]),
                          st.one_of(st.none(), st.integers(1, 512).map(lambda s: f'center:{s}'), name),
                          field_text, field_text, st.sampled_from(['', *SPLITS]), field_text), max_size=6,
                unique_by=lambda t: t[0]))
def test_write_then_read_manifest_gives_back_every_record(rows):
    with tempfile.TemporaryDirectory() as d:
        base = Path(d).resolve()
        records = [ForgeryRecord(str(base/'img'/p), label,
                                 m if m is None or m.startswith(CENTER_MASK_PREFIX) else str(base/'masks'/m), method,
                                 source, split, task) for p, label, m, method, source, split, task in rows]
        write_manifest(records, base/'m.csv')
        assert read_manifest(base/'m.csv') == records
        with open(base/'m.csv', newline='', encoding='utf-8') as f:
            assert not any(v.startswith(('=', '+', '-', '@', '\t', '\r')) for row in csv.reader(f) for v in row)


# --- config fields and --set: any value gives a config or a ConfigError -----------------------------------------------
@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(numbers_as_text, text)), max_size=4))
def test_parse_overrides_then_config_answers_with_a_config_or_a_config_error(pairs):
    try: over = parse_overrides([f'{k}={v}' for k, v in pairs])
    except ConfigError: return
    for k, v in over.items(): assert not (isinstance(v, float) and not math.isfinite(v)), (k, v) # refused while parsing
    try: cfg = LAEConfig.preset('tiny', **over)
    except ConfigError: return
    assert LAEConfig.from_json(cfg.to_json()) == cfg

value = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                  st.floats(allow_nan=True, allow_infinity=True), text,
                  st.lists(st.one_of(st.floats(), st.integers(), text), max_size=3).map(tuple))

@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS), value, max_size=4))
def test_config_answers_any_field_values_with_a_config_error(over):
    try: LAEConfig(**over)
    except ConfigError: pass

json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.one_of(st.sampled_from(FIELDS), text),
                                                                  inner, max_size=3)),
                          max_leaves=8)

@SETTINGS
@given(json_value)
def test_config_load_answers_any_json_with_a_config_error_naming_the_file(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d)/'config.json'
        path.write_text(json.dumps(content))
        try: LAEConfig.load(path)
        except ConfigError as e: assert str(path) in str(e)


# --- mask specs -------------------------------------------------------------------------------------------------------
@SETTINGS
@given(spec=st.one_of(st.integers(-10, 80).map(lambda s: f'center:{s}'), text.map(lambda t: CENTER_MASK_PREFIX + t)),
       size=st.tuples(st.integers(1, 64), st.integers(1, 64)))
def test_mask_spec_gives_its_square_or_a_named_error(spec, size):
    try: mask = load_mask(spec, size)
    except (MaskSpecError, MaskSizeError) as e:
        assert repr(spec) in str(e)
        return
    side = center_side(spec)
    assert mask.shape == size and mask.sum() == side * side


# --- lae predict: numeric options and output names --------------------------------------------------------------------
option_value = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), text)

@SETTINGS
@given(st.dictionaries(st.sampled_from(['max_pixels', 'stride', 'batch_size', 'alpha']), option_value, max_size=4))
def test_predict_options_pass_or_name_the_option(options):
    try: check_options(**options)
    except OptionError as e: assert e.name in options and str(e).startswith(f'{e.name}=')

@SETTINGS
@given(flag=st.sampled_from(['--stride', '--batch-size', '--max-pixels', '--alpha']),
       value=st.one_of(numbers_as_text, text))
def test_predict_numeric_flags_answer_with_a_usage_error_before_any_work(flag, value):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)/'out'
        # no image: only options are read
        try: code = main(['predict', str(Path(d)/'missing.png'), '--out', str(out), f'{flag}={value}'])
        except SystemExit as e: code = e.code # argparse, on a value it cannot read as a number
        assert code in (1, 2) and not out.exists()


PNG = io.BytesIO()
Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(PNG, format='png')

class _Mean(Detector):
    "A stand-in detector: any image size, the mean brightness as its score, no weights to load."
    module = torch.nn.Identity()
    def score(self, x): return x.mean((1, 2, 3))
    def heatmap(self, x): return torch.zeros(len(x), 1, *x.shape[-2:])

file_name = st.one_of(name, st.tuples(st.sampled_from(['a', 'A', '=x', ' b c ', 'été', '@', '-1', '+']),
                                      st.sampled_from(['.png', '.jpg', '.PNG', '', OVERLAY_SUFFIX,
                                                       '.png' + OVERLAY_SUFFIX])).map(''.join))

@settings(SETTINGS, max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(['', 'sub', 'sub/deeper', 'other']), file_name), min_size=1,
                max_size=5), st.booleans())
def test_predict_names_outputs_inside_out_and_never_onto_each_other(entries, overlay):
    with tempfile.TemporaryDirectory() as d:
        root, out = Path(d)/'in', Path(d)/'out'
        for folder, n in entries:
            try:
                (root/folder).mkdir(parents=True, exist_ok=True)
                (root/folder/n).write_bytes(PNG.getvalue())
            # a file and a folder of one name
            except (FileExistsError, NotADirectoryError, IsADirectoryError): assume(False)
        before = {p: p.stat().st_mtime_ns for p in root.rglob('*')}
        files, anchors, _ = expand_inputs([str(root)])
        dests = output_paths(files, anchors, out) if overlay else []
        try: check_collisions(files, dests, out/'lae_results.csv')
        except OutputError: return
        assert (len({*dests, out/'lae_results.csv'}) == len(dests) + 1
                and all(o.resolve().is_relative_to(out.resolve()) for o in dests))
        if not files: return
        done = predict_files([str(root)], out, model=_Mean(), overlay=overlay)
        # nothing written elsewhere
        assert {p: p.stat().st_mtime_ns for p in root.rglob('*')} == before and sorted(Path(d).iterdir()) == [root, out]
        assert sorted(Path(r['path']) for r in read_results(done.results)) == sorted(files)
        assert sorted(out.rglob('*' + OVERLAY_SUFFIX)) == sorted(dests)

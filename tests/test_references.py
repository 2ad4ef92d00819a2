"""References that cannot go stale (issue 22): every notebook named in the notebooks, the README, the tools and
benchmark scripts (`NN_name`, e.g. `19_train`, `12a_inpainters`) exists in nbs/, and every `lae_nb.module` or
`lae_nb.module.name` they mention is a module of the package holding that name."""
import importlib, importlib.util, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_REF = re.compile(r'`(\d\d[a-z]?_[a-z0-9_]+)`')
SYMBOL_REF = re.compile(r'\blae_nb\.([a-z_][a-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?')
NOT_MODULES = {'data_samples'} # a data folder mapped into the installed package, not a module


def _texts():
    "(where, text) of every notebook cell, the README, and the tools' and benchmarks' scripts."
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for k, cell in enumerate(json.loads(nb.read_text())['cells']):
            yield f'{nb.name} cell {k}', ''.join(cell['source'])
    for path in [ROOT / 'README.md', *sorted((ROOT / 'tools').glob('*.py')),
                 *sorted((ROOT / 'benchmarks').glob('*.py'))]:
        yield path.name, path.read_text()


def stale_references() -> list[str]:
    notebooks = {p.stem for p in (ROOT / 'nbs').glob('*.ipynb')}
    problems = []
    for where, text in _texts():
        problems += [f'{where}: `{ref}` is not a notebook in nbs/' for ref in NOTEBOOK_REF.findall(text)
                     if ref not in notebooks]
        for module, name in SYMBOL_REF.findall(text):
            if module in NOT_MODULES: continue
            if importlib.util.find_spec(f'lae_nb.{module}') is None:
                problems.append(f'{where}: lae_nb.{module} is not a module')
            elif name and not hasattr(importlib.import_module(f'lae_nb.{module}'), name):
                problems.append(f'{where}: lae_nb.{module} has no {name}')
    return sorted(set(problems))


def test_no_stale_references():
    problems = stale_references()
    assert not problems, '\n'.join(problems)


def test_a_stale_reference_is_found(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text('See `16_train` and lae_nb.train.no_such_function and lae_nb.nowhere.')
    (tmp_path / 'nbs').mkdir()
    cells = [{'source': ['`19_train` holds lae_nb.train.train_lae']}]
    (tmp_path / 'nbs' / '19_train.ipynb').write_text(json.dumps({'cells': cells}))
    for sub in ('tools', 'benchmarks'): (tmp_path / sub).mkdir()
    monkeypatch.setattr(__import__(__name__), 'ROOT', tmp_path)
    assert stale_references() == ['README.md: `16_train` is not a notebook in nbs/',
                                  'README.md: lae_nb.nowhere is not a module',
                                  'README.md: lae_nb.train has no no_such_function']

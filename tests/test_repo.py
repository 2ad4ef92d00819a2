("Repository-level checks: README generated from nbs/index.ipynb, CI commands, Colab cells, "
 "and the library's structure rules.")
import ast, json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = sorted(p for p in (ROOT / 'lae_nb').glob('*.py') if p.name not in ('__init__.py', '_modidx.py'))
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60 # from `def` to the last line, signature and docstring included (issue 22)


def test_readme_matches_index_notebook():
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'readme.py'), '--check'], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr or res.stdout


def test_readme_names_the_ci_commands():
    res = [subprocess.run([sys.executable, str(ROOT / 'tools' / 'readme.py'), '--command', k],
                          capture_output=True, text=True)
           for k in ('setup', 'test')]
    assert all(r.returncode == 0 and r.stdout.strip() for r in res), [r.stderr for r in res]


def test_every_notebook_has_colab_badge_and_setup_cell():
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'colab.py'), '--check'], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr or res.stdout


def _imports(tree):
    "(node, module, names) of every `from X import ...` in a module, with the function it sits in (or None)."
    out = []
    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.ImportFrom):
                out.append((child, child.module or '', [a.name for a in child.names], func))
            if isinstance(child, ast.Import): out.extend((child, a.name, [], func) for a in child.names)
            visit(child, inner)
    visit(tree, None)
    return out


def test_library_structure():
    ("No lae_nb import inside a function body, no other module's _private names (benchmark scripts included), "
     "no module above the size limit.")
    problems = []
    for path in LIB + sorted((ROOT / 'benchmarks').glob('*.py')):
        text = path.read_text()
        if path in LIB and len(text.splitlines()) > MAX_MODULE_LINES:
            problems.append(f'{path.name}: {len(text.splitlines())} lines (limit {MAX_MODULE_LINES})')
        for node, module, names, func in _imports(ast.parse(text)):
            local = getattr(node, 'level', 0) > 0 or module.startswith('lae_nb')
            # the `lae` command imports its commands' modules when
            # they run, so that `lae --help` loads no torch (issue 16)
            lazy = (path.name == 'cli.py'
                    # the model (torch) only when a config builds one: `lae train --help` reads configs (issue 22)
                    or (path.name == 'config.py' and func == 'build_model'))
            if local and func is not None and path in LIB and not lazy:
                problems.append(f'{path.name}:{node.lineno}: lae_nb import inside {func}()')
            if local: problems += [f'{path.name}:{node.lineno}: imports private {n} from {module}' for n in names
                                   if n.startswith('_') and not n.endswith('__')]
    assert not problems, '\n'.join(problems)


def test_cam_normalisation_default_is_written_once():
    ("The default's literal appears once as the default and once in the list of allowed values, "
     "in the torch-free cam_norms module only.")
    hits = [(p.name, n) for p in LIB for n, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(r"""['"]minmax['"]""", line)]
    assert [name for name, _ in hits] == ['cam_norms.py', 'cam_norms.py'], hits


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    "Every function (methods and nested ones too) longer than `limit` lines, as 'name (lineno): N lines'."
    return [f'{n.name} ({n.lineno}): {n.end_lineno - n.lineno + 1} lines' for n in ast.walk(ast.parse(source))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]


def test_no_function_is_longer_than_the_limit():
    ("A reader holds a function on one screen: none in lae_nb is longer than MAX_FUNCTION_LINES; "
     "split it rather than compress it.")
    problems = [f'{p.name}: {f}' for p in LIB for f in long_functions(p.read_text())]
    assert not problems, '\n'.join(problems)


def test_a_long_function_is_found():
    def function(name, n_lines, indent=''): # `def` and n_lines - 1 statements
        return f'{indent}def {name}():\n' + ''.join(f'{indent}    x{i} = {i}\n' for i in range(n_lines - 1))
    assert long_functions(function('short', MAX_FUNCTION_LINES)) == []
    assert long_functions('class C:\n' + function('long', MAX_FUNCTION_LINES + 1,
                                                  indent='    ')) == [f'long (2): {MAX_FUNCTION_LINES + 1} lines']


# modules whose use is file handling (Path itself is allowed: below)
FILE_MODULES = {'os', 'glob', 'shutil', 'csv', 'io', 'tempfile', 'fnmatch', 'pathlib'}
FILE_CALLS = {'open', 'exists', 'is_file', 'is_dir', 'read_text', 'write_text', 'read_bytes', 'write_bytes', 'mkdir',
              'touch', 'unlink', 'rmdir', 'rename', 'glob', 'rglob', 'iterdir', 'walk', 'listdir', 'scandir', 'stat',
              'resolve', 'expanduser', 'absolute', 'samefile'}


def file_handling(source: str) -> list[str]:
    ("Where a module touches the file system itself: a file-system module used (beyond `from pathlib import Path`), "
     "or a call of open or of a Path method that reads, writes, lists, tests or expands paths.")
    found = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.Import):
            found += [f'{n.lineno}: import {a.name}' for a in n.names if a.name.split('.')[0] in FILE_MODULES]
        if (isinstance(n, ast.ImportFrom) and (n.module or '').split('.')[0] in FILE_MODULES
                and [a.name for a in n.names] != ['Path']):
            found.append(f'{n.lineno}: from {n.module} import ...')
        if isinstance(n, ast.Call):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, 'id', None)
            if name in FILE_CALLS: found.append(f'{n.lineno}: {name}()')
    return found


def test_cli_holds_no_file_handling():
    ("cli.py parses the command line and calls the library: Path names a file (path arithmetic, no disk access), "
     "and the library reads, writes, lists and expands.")
    found = file_handling((ROOT / 'lae_nb' / 'cli.py').read_text())
    assert not found, 'cli.py handles files itself (move it into the library):\n' + '\n'.join(found)


def test_file_handling_is_found():
    assert file_handling('from pathlib import Path\ndef f(a): return Path(a) / "x.csv"') == []
    assert file_handling('import glob\ndef f(a):\n'
                         '    if Path(a).is_dir(): return open(a)') == ['1: import glob', '3: is_dir()', '3: open()']


SMALL_TEXT = re.compile(r'\b(fontsize|labelsize)=[1-8]\b')


def small_figure_text(paths) -> list[str]:
    "Code cells that set figure text below 9 pt (1 pt = 1 px at the 72 dpi of the explorers' pictures)."
    out = []
    for path in paths:
        for k, cell in enumerate(json.loads(path.read_text())['cells']):
            if cell['cell_type'] == 'code' and SMALL_TEXT.search(''.join(cell['source'])):
                out.append(f'{path.name} cell {k}')
    return out


def test_figure_text_is_readable():
    "Figure text of at least 9 pt (issue 23); `lae predict`'s overlays (02_display) lay out their pixels at 100 dpi."
    assert small_figure_text(p for p in sorted((ROOT / 'nbs').glob('*.ipynb')) if p.name != '02_display.ipynb') == []


def test_small_figure_text_is_found(tmp_path):
    nb = tmp_path / 'x.ipynb'
    nb.write_text(json.dumps({'cells': [{'cell_type': 'code', 'source': ['ax.set_title(t, fontsize=7)']}]}))
    assert small_figure_text([nb]) == ['x.ipynb cell 0']


def test_retrained_refuses_bad_input_before_any_work(tmp_path):
    "benchmarks/retrained.py names the bad option, the missing row or the existing file, and writes nothing."
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'retrained.py'), *map(str, a)],
                                    capture_output=True, text=True, timeout=300)
    committed = ROOT / 'nbs' / 'results' / 'suite' / 'retrained_seed0.json'
    before = committed.read_bytes()
    cases = [(('--out', tmp_path / 'a.json', '--baselines', 'MesoInception'), 'NAME:TASK'),
             (('--out', tmp_path / 'b.json', '--baselines', 'NoSuchNet:splicing'), 'baseline/splicing/seed0/NoSuchNet'),
             (('--out', committed), 'exists')]
    for args, said in cases:
        res = run(*args)
        assert res.returncode == 1 and said in res.stderr, (args, res.stderr[-500:])
    assert committed.read_bytes() == before and not list(tmp_path.iterdir())

"Repository-level checks: README generated from nbs/index.ipynb, CI commands, Colab cells, and the library's structure rules."
import ast, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = sorted(p for p in (ROOT / 'lae_nb').glob('*.py') if p.name not in ('__init__.py', '_modidx.py'))
MAX_MODULE_LINES = 350


def test_readme_matches_index_notebook():
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'readme.py'), '--check'], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr or res.stdout


def test_readme_names_the_ci_commands():
    res = [subprocess.run([sys.executable, str(ROOT / 'tools' / 'readme.py'), '--command', k], capture_output=True, text=True)
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
            if isinstance(child, ast.ImportFrom): out.append((child, child.module or '', [a.name for a in child.names], func))
            if isinstance(child, ast.Import): out.extend((child, a.name, [], func) for a in child.names)
            visit(child, inner)
    visit(tree, None)
    return out


def test_library_structure():
    "No lae_nb import inside a function body, no other module's _private names (benchmark scripts included), no module above the size limit."
    problems = []
    for path in LIB + sorted((ROOT / 'benchmarks').glob('*.py')):
        text = path.read_text()
        if path in LIB and len(text.splitlines()) > MAX_MODULE_LINES: problems.append(f'{path.name}: {len(text.splitlines())} lines (limit {MAX_MODULE_LINES})')
        for node, module, names, func in _imports(ast.parse(text)):
            local = getattr(node, 'level', 0) > 0 or module.startswith('lae_nb')
            lazy = path.name == 'cli.py' # the `lae` command imports its commands' modules when they run, so that `lae --help` loads no torch (issue 16)
            if local and func is not None and path in LIB and not lazy: problems.append(f'{path.name}:{node.lineno}: lae_nb import inside {func}()')
            if local: problems += [f'{path.name}:{node.lineno}: imports private {n} from {module}' for n in names if n.startswith('_') and not n.endswith('__')]
    assert not problems, '\n'.join(problems)


def test_cam_normalisation_default_is_written_once():
    "The default's literal appears once as the default and once in the list of allowed values, in the cam module only."
    hits = [(p.name, n) for p in LIB for n, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"""['"]minmax['"]""", line)]
    assert [name for name, _ in hits] == ['cam.py', 'cam.py'], hits

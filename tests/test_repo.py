"Repository-level checks: README generated from nbs/index.ipynb, CI commands, Colab cells in every notebook."
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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

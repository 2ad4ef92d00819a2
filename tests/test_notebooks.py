"""Run every notebook in nbs/ as one pytest test, through nbdev's own runner (`nbdev.test.test_nb`).

Cells flagged with a test flag from `[tool.nbdev] tst_flags` (slow, cuda, browser) are skipped unless
the flag is listed in the environment variable LAE_TEST_FLAGS (e.g. LAE_TEST_FLAGS="slow browser").
`cuda` cells run by themselves when a CUDA device is present.
"""
import os
from pathlib import Path

import pytest
import torch
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook # aliased: pytest would collect a name starting with test_

NBS_DIR = Path(__file__).resolve().parent.parent / 'nbs'
NOTEBOOKS = sorted(p for p in NBS_DIR.glob('*.ipynb') if not p.name.startswith('_'))


def _force_flags():
    flags = os.environ.get('LAE_TEST_FLAGS', '').split()
    if torch.cuda.is_available(): flags.append('cuda')
    return flags


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    skip = get_config(nb.parent).tst_flags.split()
    ok, secs = run_notebook(nb, skip_flags=skip, force_flags=_force_flags(), showerr=True)
    print(f'{nb.name}: {secs:.1f}s')
    assert ok, f'{nb.name} failed; its traceback is printed above'

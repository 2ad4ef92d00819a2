"""Write the README's verdict table (the claims of lae_nb.verdict.HEADLINE_CLAIMS, from the standard plan's
differences file) into nbs/index.ipynb between its `<!-- verdict -->` and `<!-- /verdict -->` markers, then
rebuild README.md.

    python benchmarks/suite.py --summarize     # first: the differences file from the committed rows
    python tools/verdict_table.py              # then: the table in index.ipynb and README.md

The index notebook's hidden check fails when the table differs from the file.
"""
import json, sys
from pathlib import Path

from lae_nb.experiments import PLANS
from lae_nb.files import read_json
from lae_nb.verdict import HEADLINE_CLAIMS, differences_path, verdict_summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import readme # noqa: E402 (tools/readme.py, beside this script)

START, END = '<!-- verdict -->', '<!-- /verdict -->'


def main() -> int:
    plan = PLANS['standard']
    diffs = read_json(differences_path(plan, ROOT/'nbs'/'results'))
    table = verdict_summary(diffs['records'], list(HEADLINE_CLAIMS), list(plan.tasks_table3))
    index = ROOT/'nbs'/'index.ipynb'
    nb = json.loads(index.read_text())
    cell = next((c for c in nb['cells'] if c['cell_type'] == 'markdown' and START in ''.join(c['source'])), None)
    if cell is None: sys.exit(f'{index} has no markdown cell with {START}')
    text = ''.join(cell['source'])
    text = text[:text.index(START) + len(START)] + '\n' + table + '\n' + text[text.index(END):]
    cell['source'] = [line + '\n' for line in text.split('\n')[:-1]] + [text.split('\n')[-1]]
    index.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    (ROOT/'README.md').write_text(readme.render())
    print(f"wrote the verdict table ({diffs['n_rows']} rows) into {index} and README.md")
    return 0


if __name__ == '__main__':
    sys.exit(main())

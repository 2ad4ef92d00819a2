"""Build README.md from nbs/index.ipynb (quarto, which nbdev-readme needs, is not available here).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is not what index.ipynb gives
    python tools/readme.py --command setup|test  # print the README command that CI runs
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE_LINK = re.compile(r'\]\(images/')
HEADER = '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n'


def _directives(src):
    return {l[3:].strip().split()[0] for l in src.splitlines() if l.startswith('#| ') and l[3:].strip()}


def _output_text(cell):
    out = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': out.append(''.join(o['text']))
        elif 'data' in o and 'text/markdown' in o['data']: out.append(''.join(o['data']['text/markdown']))
        elif 'data' in o and 'image/png' in o['data']: continue # a picture's text stand-in ('<... Image object>')
        elif 'data' in o and 'text/plain' in o['data']: out.append(''.join(o['data']['text/plain']))
    return ''.join(out).rstrip()


def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    "Markdown of the index notebook: markdown cells as they are, code cells (not hidden) with their outputs."
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            # images beside the notebook are under nbs/ from the README
            parts.append(IMAGE_LINK.sub(r'](nbs/images/', src.strip()))
        elif cell['cell_type'] == 'code':
            flags = _directives(src)
            if {'hide', 'export', 'exporti', 'default_exp'} & flags: continue
            if src.startswith('# Setup for Colab'): continue # the notebook's own install cell (tools/colab.py)
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
            out = _output_text(cell)
            if out: parts.append(f'```\n{out}\n```')
    return HEADER + '\n\n'.join(p for p in parts if p) + '\n'


def command(kind, readme=ROOT / 'README.md'):
    "The first line of the fenced block that follows the `<!-- ci:KIND -->` marker in the README."
    lines = Path(readme).read_text().splitlines()
    marker = f'<!-- ci:{kind} -->'
    if marker not in lines: sys.exit(f'README.md has no {marker} marker')
    block = lines[lines.index(marker) + 1:]
    start = next(i for i, l in enumerate(block) if l.startswith('```'))
    return block[start + 1].strip()


if __name__ == '__main__':
    if '--command' in sys.argv:
        print(command(sys.argv[sys.argv.index('--command') + 1]))
        sys.exit(0)
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`.')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text)
        print(f'wrote {readme}')

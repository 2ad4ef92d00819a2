"""Store the executed outputs of the lesson notebooks, so that a lesson opened on GitHub, on Colab or in the
docs shows its figures before anything runs; and check that every stored output still belongs to its cell.

    python tools/outputs.py                     # execute every lesson notebook (LESSONS) and store its outputs
    python tools/outputs.py nbs/05_cam.ipynb    # only these notebooks
    python tools/outputs.py --check             # exit 1 if a stored output's cell changed since (tests/test_outputs.py)
    python tools/outputs.py --strip nbs/X.ipynb # remove a notebook's stored outputs
    python tools/outputs.py --collapse          # collapse every `#| hide` cell in JupyterLab (all notebooks)

Each code cell that keeps outputs records a hash of its source in its metadata (`lae_nb: {source: ...}`,
kept by nbdev-clean through `allowed_cell_metadata_keys`); a cell edited afterwards no longer matches, and the
check fails until its outputs are made again: prose, code and figure cannot drift apart. The notebooks run on
the CPU with one thread, from their own folder, on the shipped model, the shipped samples and the committed
results; 22_tutorial_train trains its own small run (about two minutes). Cells flagged slow, cuda or browser,
`#| eval: false` cells and `#| hide` cells keep no output. nbdev-clean runs after, so CI's clean changes nothing.
Cells flagged `#| hide` (checks a student need not read; the docs drop them) are also collapsed in JupyterLab
(`jupyter: {source_hidden: true}`, likewise kept by nbdev-clean), so a lesson reads as prose, code and figures.
"""
import hashlib, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
LESSONS = ('index', '03_model', '05_cam', '14_active', '20_widgets', '22_tutorial_train', '24_exp_generalization',
           '25_exp_ablation', '26_exp_attention')
SKIP = {'slow', 'cuda', 'browser', 'hide'}


def source_hash(source: str) -> str: return hashlib.sha256(source.encode()).hexdigest()[:16]


def _flags(source: str) -> set[str]:
    return {line[3:].strip().split(':')[0].split()[0] for line in source.splitlines()
            if line.startswith('#| ') and line[3:].strip()}


def _kept(cell: dict) -> bool:
    "Whether a code cell's outputs are stored (not skipped when run, not hidden)."
    src = ''.join(cell['source'])
    return (cell['cell_type'] == 'code' and not (_flags(src) & SKIP) and '#| eval: false' not in src
            and not src.startswith('# Setup for Colab'))


def stale_outputs(nb_path: Path) -> list[str]:
    "Cells of a notebook whose stored outputs no longer belong to their source (or carry no hash)."
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for k, cell in enumerate(nb['cells']):
        if cell['cell_type'] != 'code' or not cell.get('outputs'): continue
        stored = cell.get('metadata', {}).get('lae_nb', {}).get('source')
        if stored != source_hash(''.join(cell['source'])): out.append(f'{Path(nb_path).name} cell {k}')
    return out


def make_outputs(nb_path: Path) -> float:
    ("Execute a notebook (its runnable cells) and store the outputs of the kept cells with their source hash; "
     "returns seconds.")
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(nb_path, as_version=4)
    run = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
           and not (_flags(c.source) & {'slow', 'cuda', 'browser'}) and '#| eval: false' not in c.source]
    copy = nbformat.v4.new_notebook(cells=[nb.cells[i] for i in run], metadata=nb.metadata)
    t0 = time.time()
    env_before = dict(os.environ)
    os.environ.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    os.environ.pop('IN_TEST', None)
    # store_widget_state: the explorers' widget models go into the notebook, so it reopens with their pictures
    client = NotebookClient(copy, timeout=1800, kernel_name='python3', store_widget_state=True,
                            resources={'metadata': {'path': str(nb_path.parent)}})
    try: client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    for i, cell in zip(run, copy.cells): nb.cells[i].outputs = cell.outputs
    if 'widgets' in copy.metadata: nb.metadata['widgets'] = copy.metadata['widgets']
    for cell in nb.cells:
        if cell.cell_type != 'code': continue
        if _kept(cell) and cell.outputs: cell.metadata['lae_nb'] = dict(source=source_hash(cell.source))
        else:
            cell.outputs = []
            cell.metadata.pop('lae_nb', None)
    nbformat.write(nb, nb_path)
    collapse_hidden(nb_path)
    subprocess.run(['nbdev-clean', '--fname', str(nb_path)], cwd=ROOT, check=True)
    return time.time() - t0


def collapse_hidden(nb_path: Path) -> int:
    "Collapse the source of every `#| hide` code cell in JupyterLab; returns how many cells are collapsed."
    nb = json.loads(nb_path.read_text())
    n = 0
    for cell in nb['cells']:
        hidden = cell['cell_type'] == 'code' and 'hide' in _flags(''.join(cell['source']))
        meta = cell.setdefault('metadata', {})
        if hidden: meta['jupyter'] = {'source_hidden': True}
        elif meta.get('jupyter', {}).get('source_hidden'): meta.pop('jupyter')
        n += hidden
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return n


def hidden_not_collapsed(nb_path: Path) -> list[str]:
    "The `#| hide` code cells of a notebook that JupyterLab would show expanded."
    nb = json.loads(Path(nb_path).read_text())
    collapsed = lambda c: c.get('metadata', {}).get('jupyter', {}).get('source_hidden', False)
    return [f'{Path(nb_path).name} cell {k}' for k, c in enumerate(nb['cells'])
            if c['cell_type'] == 'code' and 'hide' in _flags(''.join(c['source'])) and not collapsed(c)]


def strip_outputs(nb_path: Path) -> None:
    nb = json.loads(nb_path.read_text())
    for cell in nb['cells']:
        if cell['cell_type'] == 'code':
            cell['outputs'] = []
            cell.get('metadata', {}).pop('lae_nb', None)
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


def main(argv: list[str]) -> int:
    paths = [Path(a).absolute() for a in argv if not a.startswith('--')] or [NBS/f'{n}.ipynb' for n in LESSONS]
    if '--check' in argv:
        stale = [s for p in sorted(NBS.glob('*.ipynb')) for s in stale_outputs(p)]
        if stale: print('stored outputs that no longer belong to their cell (python tools/outputs.py NB):\n  '
                        + '\n  '.join(stale))
        return 1 if stale else 0
    if '--collapse' in argv:
        for p in sorted(NBS.glob('*.ipynb')):
            collapse_hidden(p)
            subprocess.run(['nbdev-clean', '--fname', str(p)], cwd=ROOT, check=True)
        return 0
    if '--strip' in argv:
        for p in paths: strip_outputs(p)
        return 0
    for p in paths:
        seconds = make_outputs(p)
        print(f'{p.name}: {seconds:.0f} s, {p.stat().st_size / 1e6:.2f} MB', flush=True)
    total = sum((NBS/f'{n}.ipynb').stat().st_size for n in LESSONS)
    print(f'lesson notebooks together: {total / 1e6:.2f} MB; load {os.getloadavg()[0]:.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

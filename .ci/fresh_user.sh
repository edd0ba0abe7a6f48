#!/usr/bin/env bash
# The "fresh user" check: build a wheel, install it (not editable) into a new venv outside the repository, and run every
# notebook top to bottom with a Jupyter kernel (nbclient), each copied alone into an empty folder — as Colab opens one
# notebook — and without the real datasets (as a new user has them: not at all), so every cell that needs them must say so
# and skip (gate 4 runs the notebooks with them). Two notebooks run at once (2 cores); each must finish within 600 s.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"; . "$work/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
pip wheel -q --no-deps -w "$work/dist" "$root" 2>&1 | grep -v "is ignored" || true
pip install -q "$work"/dist/diffrec_nb-*.whl nbclient ipykernel 2>&1 | grep -v "is ignored" || true
cd "$work"
unset DIFFREC_DATA
python - "$root" <<'PY'
import sys, time, shutil, nbformat, diffrec_nb
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from nbclient import NotebookClient
root, here = Path(sys.argv[1]), Path.cwd()
print('diffrec_nb', diffrec_nb.__version__, 'from', diffrec_nb.__file__)
assert '/site-packages/' in diffrec_nb.__file__, 'not the installed wheel'
assert (Path(diffrec_nb.__file__).parent/'results'/'beauty-cpu.csv').exists() and (Path(diffrec_nb.__file__).parent/'grids'/'common.toml').exists(), \
    'the wheel lacks its results store or grids'
nbs = sorted(p for p in [*(root/'nbs').glob('*.ipynb'), *(root/'nbs'/'research').glob('*.ipynb')] if not p.name.startswith('_'))
def run(p):
    d = here/'alone'/p.stem; d.mkdir(parents=True); shutil.copy(p, d)  # the notebook alone in an empty folder
    nb, t = nbformat.read(d/p.name, as_version=4), time.time()
    try: NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(d)}}).execute(); return p.name, time.time() - t, None
    except Exception as e: return p.name, time.time() - t, f'{type(e).__name__}: {str(e)[-800:]}'
bad = []
with ThreadPoolExecutor(2) as ex:
    for name, secs, err in ex.map(run, nbs):
        print(f"{'ok  ' if err is None else 'FAIL'} {name} ({secs:.0f}s)" + (f': {err}' if err else ''), flush=True)
        if err: bad.append(name)
print(f'{len(nbs) - len(bad)} of {len(nbs)} notebooks ran alone against the installed wheel')
sys.exit(1 if bad else 0)
PY

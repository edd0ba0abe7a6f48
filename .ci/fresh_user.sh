#!/usr/bin/env bash
# The "fresh user" check: build a wheel, install it (not editable) into a new venv outside the repository, and execute the
# teaching notebooks top to bottom with a Jupyter kernel (nbclient), in a folder that holds nothing but copies of them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"; . "$work/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
pip wheel -q --no-deps -w "$work/dist" "$root" 2>&1 | grep -v "is ignored" || true
pip install -q "$work"/dist/diffrec_nb-*.whl nbclient ipykernel 2>&1 | grep -v "is ignored" || true
mkdir "$work/nbs"; cd "$work/nbs"
for nb in 00_diffusion 01_schedules 05_data 06_metrics 02_diffrec 03_efficient 07_sasrec; do cp "$root/nbs/$nb.ipynb" .; done
python - <<'PY'
import glob, sys, time, nbformat, diffrec_nb
from nbclient import NotebookClient
print('diffrec_nb', diffrec_nb.__version__, 'from', diffrec_nb.__file__)
assert '/site-packages/' in diffrec_nb.__file__, 'not the installed wheel'
bad = []
for p in sorted(glob.glob('*.ipynb')):
    nb, t = nbformat.read(p, as_version=4), time.time()
    try: NotebookClient(nb, timeout=600, kernel_name='python3').execute(); print(f'ok   {p} ({time.time() - t:.0f}s)')
    except Exception as e: bad.append(p); print(f'FAIL {p}: {type(e).__name__}: {str(e)[-600:]}')
sys.exit(1 if bad else 0)
PY

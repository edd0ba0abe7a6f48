"""Execute notebooks with a Jupyter kernel in their own folder and store their outputs (figures, tables) in place, then
nbdev_clean them: the docs site and the README show stored outputs (the site build does not run ordinary cells).
Long and GPU cells stay skipped (RUN_LONG is False outside the tests). Usage: python .ci/store_outputs.py NB [NB ...]"""
import os, subprocess, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

os.environ.pop('MPLBACKEND', None)  # the kernel's inline backend, so that figures are captured (Agg would draw nothing)
for p in map(Path, sys.argv[1:]):
    nb, t = nbformat.read(p, as_version=4), time.time()
    NotebookClient(nb, timeout=1200, kernel_name='python3', resources={'metadata': {'path': str(p.parent.resolve())}}).execute()
    nbformat.write(nb, p)
    subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(p)], check=True, capture_output=True)
    print(f'{p}: outputs stored ({time.time() - t:.0f}s)')

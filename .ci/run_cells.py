"""Run a notebook's code cells in order, in one namespace, without Jupyter: for a GPU machine that has PyTorch but no
notebook stack. Cells flagged `#| cuda` / `#| slow` run only when their flag is named; `#| eval: false` cells never run.
Usage: python .ci/run_cells.py NOTEBOOK [--flags cuda slow] [--only-flagged] [--keep-going]
(exit status 1 at the first failing cell, named; with --keep-going every cell runs and the status is 1 if any failed)"""
import argparse, json, sys, time, traceback
from pathlib import Path

def directives(src:str) -> dict:
    "The cell's `#| key: value` / `#| flag` lines."
    out = {}
    for line in src.splitlines():
        s = line.strip()
        if not s.startswith('#|'): continue
        k, _, v = s[2:].strip().partition(':')
        out[k.strip()] = v.strip()
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebook'); ap.add_argument('--flags', nargs='*', default=[])
    ap.add_argument('--only-flagged', action='store_true', help="run only the `#| export` and `#| hide` cells and the flagged ones")
    ap.add_argument('--keep-going', action='store_true', help="run the cells after a failing one too")
    a = ap.parse_args()
    nb_path = Path(a.notebook).resolve()
    cells = [c for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'code']
    ns, flags = {'__name__': '__main__'}, {'cuda', 'slow'}
    import os; os.chdir(nb_path.parent)  # notebooks run from their folder, as nbdev_test runs them
    os.environ['DIFFREC_RUN_LONG'] = '1'  # the flagged cells check RUN_LONG, which "Run all" in Jupyter leaves False
    import matplotlib; matplotlib.use('Agg')
    failed = []
    for i, c in enumerate(cells):
        src = ''.join(c['source']); d = directives(src)
        if d.get('eval') == 'false' or any(f in d and f not in a.flags for f in flags): continue
        if a.only_flagged and not ({'export', 'hide'} & d.keys() or any(f in d for f in a.flags)): continue
        code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
        t = time.time()
        try: exec(compile(code, f'{nb_path.name}[cell {i}]', 'exec'), ns)
        except Exception:
            traceback.print_exc(); print(f'FAILED: {nb_path.name}, code cell {i}:\n{src[:400]}', flush=True)
            if not a.keep_going: sys.exit(1)
            failed.append(i); continue
        tag = ' '.join(f for f in flags if f in d)
        if tag or time.time() - t > 5: print(f'cell {i}{" [" + tag + "]" if tag else ""}: {time.time() - t:.1f} s', flush=True)
    if failed: print(f'FAILED cells of {nb_path.name}: {failed}'); sys.exit(1)
    print(f'ok: {nb_path.name} ({len(cells)} code cells, flags {a.flags or "none"})')

if __name__ == '__main__': main()

"""Fold what GPU loans returned (the files `.ci/gpu.sh` writes to $OUT) into nbs/results/.
Usage: python .ci/gpu_collect.py DIR [DIR ...]   (the calls' files_at folders, oldest first)

- GRID-<data>.csv of every DIR (loose, or in its results.tar) -> nbs/results/GRID.csv (finished runs, one row each, in the grid's order), for the grids
  table2-gpu, speed-gpu and paired-gpu
- ranks/GRID-*.csv.gz in results.tar (each finished run's per-user test ranks) -> merged column by column into
  nbs/results/ranks/ (a later DIR's column of the same run wins)
- logs*.tar (every run's log.jsonl, finished or not; the latest DIR wins) -> nbs/results/GRID-epochs.csv, one row per
  epoch with its time (earlier loans' rows kept, except for runs these logs hold again); `alone` marks the epochs of the speed step, which had the device to themselves (read off bench.txt)
- gpu.txt, cuda-cells-07.txt, bench.txt, cuda-cells.txt, grid*.log -> appended to nbs/results/gpu-run.txt under a header 'loan K (date)', a section each"""
import io, json, re, sys, tarfile
from datetime import date
from pathlib import Path
import pandas as pd, torch
from diffrec_nb.experiments import GRIDS, RESULTS, load_results, run_dir, _store_ranks

def fold(grid:str, dirs:list) -> pd.DataFrame:
    "One grid: its finished runs into nbs/results/GRID.csv, its per-epoch logs into GRID-epochs.csv; returns the runs."
    parts = [load_results(RESULTS/f'{grid}.csv')]
    for d in dirs:  # loose CSVs (earlier loans) and those packed in results.tar
        parts += [pd.read_csv(f) for f in sorted(d.glob(f'{grid}-*.csv'))]
        for t in sorted(d.glob('results.tar')):
            with tarfile.open(t) as tf:
                parts += [pd.read_csv(tf.extractfile(m)) for m in sorted(tf.getmembers(), key=lambda m: m.name)
                          if re.fullmatch(rf'(\./)?{re.escape(grid)}-[\w-]+\.csv', m.name)]
    parts = [p for p in parts if len(p)]
    if not parts: return pd.DataFrame()
    df = pd.concat(parts, ignore_index=True).drop_duplicates(['name', 'data'], keep='last')  # later rows win, then the grid's order
    order = {(s['run'].get('data'), s['name']): i for i, s in enumerate(GRIDS[grid])}
    df = df.assign(_o=[order.get((r['data'], r['name']), 1e9) for _, r in df.iterrows()]).sort_values('_o').drop(columns='_o')
    df.to_csv(RESULTS/f'{grid}.csv', index=False)
    logs = {}
    for d in dirs:
        for t in sorted(d.glob('logs*.tar')):
            with tarfile.open(t) as tf:
                for m in tf.getmembers():
                    if m.name.endswith('log.jsonl') and m.name.split('/')[0] == grid:
                        _, data, run = m.name.split('/')[:3]
                        logs[(data, run)] = [json.loads(l) for l in tf.extractfile(m).read().decode().splitlines()]
    alone = {}  # the speed step's runs had the device to themselves (read off bench.txt: 'GRID/RUN: K epochs alone', or 'RUN: ...' for table2-gpu)
    for d in dirs:
        b = d/'bench.txt'
        if b.exists():
            for g, run, k in re.findall(r'^(?:(\S+)/)?(\S+): (\d+) epochs alone', b.read_text(), re.M):
                if (g or 'table2-gpu') == grid: alone[('beauty', run)] = int(k)
    names = {run_dir('', '', '', n).name: n for n in {s['name'] for s in GRIDS[grid]}}  # folder name -> run name
    rows = [dict(data=data, name=names.get(run, run), epoch=l['epoch'], epoch_s=round(l['epoch_s'], 3), train_loss=round(l['train_loss'], 4),
                 valid_NDCG10=round(l['valid_NDCG@10'], 5), valid_HR10=round(l['valid_HR@10'], 5), alone=l['epoch'] <= alone.get((data, run), 0))
            for (data, run), log in logs.items() for l in log]
    ep = pd.DataFrame(rows)
    old = RESULTS/f'{grid}-epochs.csv'  # earlier loans' epochs stay, unless these logs hold the same run again
    if old.exists():
        prev = pd.read_csv(old)
        keep = ~pd.Series(list(zip(prev['data'], prev['name']))).isin(set(zip(ep['data'], ep['name'])) if len(ep) else set()).values
        ep = pd.concat([prev[keep], ep], ignore_index=True)
    if len(ep):
        ep = ep.assign(_o=[order.get((r['data'], r['name']), 1e9) for _, r in ep.iterrows()]).sort_values(['_o', 'epoch']).drop(columns='_o')
        ep.to_csv(old, index=False)
    print(grid, df[['data', 'name', 'epochs_run', 'best_epoch', 'test_NDCG@10']].to_string(), f"{len(ep)} epoch rows", sep='\n')
    return df

def fold_ranks(grid:str, dirs:list, results:Path=RESULTS) -> list:
    "Every ranks/GRID-*.csv.gz packed in the DIRs' results.tar, merged column by column into results/ranks/; the files written."
    done = []
    for d in dirs:
        for t in sorted(d.glob('results.tar')):
            with tarfile.open(t) as tf:
                for m in sorted(tf.getmembers(), key=lambda m: m.name):
                    f = re.fullmatch(rf'(?:\./)?ranks/({re.escape(grid)}-[\w.-]+\.csv\.gz)', m.name)
                    if not f: continue
                    new = pd.read_csv(io.BytesIO(tf.extractfile(m).read()), compression='gzip')
                    for name in new.columns: _store_ranks(results/'ranks'/f[1], name, torch.tensor(new[name].values))
                    done.append(results/'ranks'/f[1])
    return done

def main(dirs:list):
    dirs = [Path(d) for d in dirs]
    for grid in ('table2-gpu', 'speed-gpu', 'paired-gpu'): fold(grid, dirs); print(grid, 'ranks:', [p.name for p in fold_ranks(grid, dirs)])
    # the text output
    txt = RESULTS/'gpu-run.txt'  # earlier loans' sections stay; this loan's are appended under its date
    out = io.StringIO(txt.read_text() if txt.exists() else '')
    out.seek(0, io.SEEK_END)
    if txt.exists(): out.write(f"##### loan {out.getvalue().count('##### loan ') + 2} ({date.today()}) #####\n\n")  # the first loan has no header
    for d in dirs:
        for f in [d/'gpu.txt', d/'cuda-cells-07.txt', d/'bench.txt', d/'cuda-cells.txt', *sorted(d.glob('grid*.log'))]:
            if f.exists(): out.write(f"===== {d.name}/{f.name}\n{f.read_text().rstrip()}\n\n")
    txt.write_text(out.getvalue())

if __name__ == '__main__': main(sys.argv[1:])

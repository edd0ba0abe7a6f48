"""Fold what GPU loans returned (the files `.ci/gpu.sh` writes to $OUT) into the results store (`experiments.RESULTS`: diffrec_nb/results/ in a checkout).
Usage: python .ci/gpu_collect.py DIR [DIR ...]   (the calls' files_at folders, oldest first)

Runs are keyed by (grid, id), as everywhere in the store; a run's folder is RUNS/GRID/ID (`run_dir`). Files from loans made
before run ids (run folders named after run names) are not read here: they were folded by the commit before ids.
- GRID-<data>.csv of every DIR (loose, or in its results.tar) -> RESULTS/GRID.csv (finished runs, one row each, in the grid's order), for the grids
  table2-gpu, speed-gpu and paired-gpu
- ranks/GRID-*.csv.gz in results.tar (each finished run's per-user test ranks, a column per run id) -> merged column by column into
  RESULTS/ranks/ (a later DIR's column of the same run wins)
- logs*.tar (every run's GRID/ID/log.jsonl, finished or not; the latest DIR wins) -> RESULTS/GRID-epochs.csv, one row per
  epoch with its time (earlier loans' rows kept, except for runs these logs hold again); `alone` marks the epochs of the speed step, which had the device to themselves (read off bench.txt)
- gpu.txt, cuda-cells-07.txt, bench.txt, cuda-cells.txt, grid*.log -> appended to RESULTS/gpu-run.txt under a header 'loan K (date)', a section each"""
import io, json, re, sys, tarfile
from datetime import date
from pathlib import Path
import pandas as pd, torch
from diffrec_nb.experiments import GRIDS, RESULTS, load_results, _store_ranks

def fold(grid:str, dirs:list) -> pd.DataFrame:
    "One grid: its finished runs into RESULTS/GRID.csv, its per-epoch logs into GRID-epochs.csv; returns the runs."
    parts = [load_results(RESULTS/f'{grid}.csv')]
    for d in dirs:  # loose CSVs (earlier loans) and those packed in results.tar
        parts += [pd.read_csv(f) for f in sorted(d.glob(f'{grid}-*.csv'))]
        for t in sorted(d.glob('results.tar')):
            with tarfile.open(t) as tf:
                parts += [pd.read_csv(tf.extractfile(m)) for m in sorted(tf.getmembers(), key=lambda m: m.name)
                          if re.fullmatch(rf'(\./)?{re.escape(grid)}-[\w-]+\.csv', m.name)]
    parts = [p for p in parts if len(p)]
    specs = {s['id']: s for s in GRIDS[grid]}
    order = {i: k for k, i in enumerate(specs)}
    df = pd.concat(parts, ignore_index=True).drop_duplicates(['id'], keep='last') if parts else \
         pd.DataFrame(columns=['id', 'data', 'name', 'epochs_run', 'best_epoch', 'test_NDCG@10'])  # no finished run: only the logs to fold
    df = df.assign(_o=[order.get(i, 1e9) for i in df['id']]).sort_values('_o').drop(columns='_o')  # later rows win, then the grid's order
    if parts: df.to_csv(RESULTS/f'{grid}.csv', index=False)
    logs = {}
    for d in dirs:
        for t in sorted(d.glob('logs*.tar')):
            with tarfile.open(t) as tf:
                for m in tf.getmembers():
                    parts_ = m.name.removeprefix('./').split('/')
                    if m.name.endswith('log.jsonl') and len(parts_) == 3 and parts_[0] == grid:  # GRID/ID/log.jsonl
                        logs[parts_[1]] = [json.loads(l) for l in tf.extractfile(m).read().decode().splitlines()]
    if unknown := sorted(set(logs) - set(specs)): print(f"{grid}: logs of runs that are not in the grid, left out: {unknown}")
    alone = {}  # the speed step's runs had the device to themselves (read off bench.txt: 'GRID/ID: K epochs alone')
    for d in dirs:
        b = d/'bench.txt'
        if b.exists():
            for g, i, k in re.findall(r'^(\S+)/(\S+): (\d+) epochs alone', b.read_text(), re.M):
                if g == grid: alone[i] = int(k)
    rows = [dict(id=i, data=specs[i]['run']['data'], name=specs[i]['name'], epoch=l['epoch'], epoch_s=round(l['epoch_s'], 3),
                 train_loss=round(l['train_loss'], 4), valid_NDCG10=round(l['valid_NDCG@10'], 5), valid_HR10=round(l['valid_HR@10'], 5),
                 alone=l['epoch'] <= alone.get(i, 0))
            for i, log in logs.items() if i in specs for l in log]
    ep = pd.DataFrame(rows)
    old = RESULTS/f'{grid}-epochs.csv'  # earlier loans' epochs stay, unless these logs hold the same run again
    if old.exists():
        prev = pd.read_csv(old)
        ep = pd.concat([prev[~prev['id'].isin(set(ep['id']) if len(ep) else set())], ep], ignore_index=True)
    if len(ep):
        ep = ep.assign(_o=[order.get(i, 1e9) for i in ep['id']]).sort_values(['_o', 'epoch'], kind='stable').drop(columns='_o')
        ep.to_csv(old, index=False)
    print(grid, df[['id', 'data', 'name', 'epochs_run', 'best_epoch', 'test_NDCG@10']].to_string(), f"{len(ep)} epoch rows", sep='\n')
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
                    for i in new.columns: _store_ranks(results/'ranks'/f[1], i, torch.tensor(new[i].values))  # a column per run id
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

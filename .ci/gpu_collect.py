"""Fold what GPU loans returned (the files `.ci/gpu.sh` writes to $OUT) into nbs/results/.
Usage: python .ci/gpu_collect.py DIR [DIR ...]   (the calls' files_at folders, oldest first)

- table2-gpu-<data>.csv of every DIR -> nbs/results/table2-gpu.csv (finished runs, one row each, in the grid's order)
- logs*.tar (every run's log.jsonl, finished or not; the latest DIR wins) -> nbs/results/table2-gpu-epochs.csv, one row per
  epoch with its time (earlier loans' rows kept, except for runs these logs hold again); `alone` marks the epochs of the speed step, which had the device to themselves (read off bench.txt)
- gpu.txt, bench.txt, cuda-cells.txt, grid*.log -> appended to nbs/results/gpu-run.txt under the loan's date, a section each"""
import io, json, re, sys, tarfile
from datetime import date
from pathlib import Path
import pandas as pd
from diffrec_nb.experiments import GRIDS, RESULTS, load_results, run_dir

def main(dirs:list):
    dirs = [Path(d) for d in dirs]
    # finished runs: later rows win, then the grid's order
    parts = [load_results(RESULTS/'table2-gpu.csv')] + [pd.read_csv(f) for d in dirs for f in sorted(d.glob('table2-gpu-*.csv'))]
    df = pd.concat([p for p in parts if len(p)], ignore_index=True).drop_duplicates(['name', 'data'], keep='last')
    order = {(s['run'].get('data'), s['name']): i for i, s in enumerate(GRIDS['table2-gpu'])}
    df = df.assign(_o=[order.get((r['data'], r['name']), 1e9) for _, r in df.iterrows()]).sort_values('_o').drop(columns='_o')
    df.to_csv(RESULTS/'table2-gpu.csv', index=False)
    # per-epoch logs
    logs = {}
    for d in dirs:
        for t in sorted(d.glob('logs*.tar')):
            with tarfile.open(t) as tf:
                for m in tf.getmembers():
                    if m.name.endswith('log.jsonl'):
                        _, data, run = m.name.split('/')[:3]
                        logs[(data, run)] = [json.loads(l) for l in tf.extractfile(m).read().decode().splitlines()]
    alone = {}
    for d in dirs:
        b = d/'bench.txt'
        if b.exists():
            for run, k in re.findall(r'^(\S+): (\d+) epochs alone', b.read_text(), re.M): alone[('beauty', run)] = int(k)
    names = {run_dir('', '', '', n).name: n for n in {s['name'] for s in GRIDS['table2-gpu']}}  # folder name -> run name
    rows = [dict(data=data, name=names.get(run, run), epoch=l['epoch'], epoch_s=round(l['epoch_s'], 3), train_loss=round(l['train_loss'], 4),
                 valid_NDCG10=round(l['valid_NDCG@10'], 5), valid_HR10=round(l['valid_HR@10'], 5), alone=l['epoch'] <= alone.get((data, run), 0))
            for (data, run), log in logs.items() for l in log]
    ep = pd.DataFrame(rows)
    old = RESULTS/'table2-gpu-epochs.csv'  # earlier loans' epochs stay, unless these logs hold the same run again
    if old.exists():
        prev = pd.read_csv(old)
        keep = ~pd.Series(list(zip(prev['data'], prev['name']))).isin(set(zip(ep['data'], ep['name'])) if len(ep) else set()).values
        ep = pd.concat([prev[keep], ep], ignore_index=True)
    ep = ep.assign(_o=[order.get((r['data'], r['name']), 1e9) for _, r in ep.iterrows()]).sort_values(['_o', 'epoch']).drop(columns='_o')
    ep.to_csv(RESULTS/'table2-gpu-epochs.csv', index=False)
    # the text output
    txt = RESULTS/'gpu-run.txt'  # earlier loans' sections stay; this loan's are appended under its date
    out = io.StringIO(txt.read_text() if txt.exists() else '')
    out.seek(0, io.SEEK_END)
    if txt.exists(): out.write(f"##### loan of {date.today()} #####\n\n")
    for d in dirs:
        for f in [d/'gpu.txt', d/'bench.txt', d/'cuda-cells.txt', *sorted(d.glob('grid*.log'))]:
            if f.exists(): out.write(f"===== {d.name}/{f.name}\n{f.read_text().rstrip()}\n\n")
    txt.write_text(out.getvalue())
    print(df[['data', 'name', 'epochs_run', 'best_epoch', 'test_NDCG@10']].to_string(), f"\n{len(ep)} epoch rows", sep='')

if __name__ == '__main__': main(sys.argv[1:])

#!/bin/bash
# The GPU checks of one short GPU loan (about 9 minutes of work), prepared on a CPU machine and run once on the GPU one.
# CI never runs this. Outputs go to $OUT (at most 8 files come back); fold them into the results store (diffrec_nb/results/) with
# `python .ci/gpu_collect.py DIR...` (the calls' files_at folders, oldest first).
#
#   here, once:     bash .ci/gpu.sh prepare      # copies ../shared/datasets and a fastcore wheel into .gpu/ (git-ignored)
#   on the GPU:     bash .ci/gpu.sh              # device `run`: command 'bash .ci/gpu.sh', carry ['.gpu'], timeout_s BUDGET + 30
#                   (every step's time limit ends it 20 s before BUDGET (default 555 s), so the packed results come back)
#   on the same machine while it is still warm (30 s): another call that names `.gpu` in carry again (a call without it
#                   removes .gpu/ there) can continue the grid where the budget stopped it, from the checkpoints in $RUNS:
#                   BUDGET=240 SPEED=0 BENCH=0 bash .ci/gpu.sh
#   BENCH=end runs the bench after the grid instead of before it (when 80 s are left); WORKERS names the grid workers of
#   step 3, one per line: a dataset, then, separated by @, the only runs that worker trains, in order, each grid:id (a run
#   of that grid on that dataset, e.g. toys@speed-gpu:toys-paper@paired-gpu:toys-sas). Without WORKERS they are read from WORKERS_FILE
#   (default .ci/gpu-workers.txt: the runs not yet made, with their step as a CUDA graph; WORKERS_FILE= empty gives one
#   worker per dataset through the whole table2-gpu grid); WORKERS_NOGRAPH (default .ci/gpu-workers-nograph.txt) replaces
#   them when 14_gpu's graph check fails. A run the budget cuts short has its best
#   checkpoint so far evaluated on test, as a line 'PARTIAL {json}' in grid.log (labelled with the epochs it ran)
#   a dry run here: PATH=$PWD/.venv/bin:$PATH DEVICE=cpu BUDGET=200 BENCH=0 SPEED=0 GPU_DATA=/tmp/tiny bash .ci/gpu.sh
#                   (tiny copies of the three files, ml-1m/ and ml-1m_item_map.tsv in /tmp/tiny; the script calls `python3`, so
#                   the project's venv goes first on PATH; on a CPU the d = 256 bench alone takes 190 s, hence BENCH=0; checks
#                   the script itself: the cuda cells then skip or fail, and so do the runs of WORKERS_FILE that need a CUDA
#                   graph; the other runs are too small to mean anything)
#
# What it runs, in order; every step has its own time limit and writes to $OUT as it goes, so a cut-off run still reports:
#   0. the finished runs of diffrec_nb/results/table2-gpu.csv are copied to $RES/table2-gpu-<data>.csv, so they are not trained again
#      (every grid's results CSVs live in $RES = $RUNS/csv, its runs' per-user test ranks in $RES/ranks/, and both come back
#      packed in $OUT/results.tar)
#  0b. nbs/research/14_gpu.ipynb alone (its CPU cells and its `#| cuda` cells), each cell run even if one before
#      failed, three of the cuda cells passing by printing 'check
#      passed: ...': GraphedStep against eager steps (without it, WORKERS_NOGRAPH (a file) replaces WORKERS and the speed
#      step skips DiffRec), GraphedSplitStep (without it, speed runs 'in 4 slices' are skipped), the compiled DSR in a graph
#      (without it, speed runs 'compiled' are skipped)
#   1. `diffrec_nb bench` alone on the GPU (train-step and inference times, DiffRec vs SASRec-CE, ratios from one run)
#   2. the speed target, alone on the GPU: Beauty at the paper's settings with per-epoch validation and bf16 autocast —
#      the `speed-gpu` runs named in SPEED_RUNS (run ids, one a line; default 'auto': of speed-gpu:beauty-paper-compiled and
#      speed-gpu:beauty-paper-slices4, the one whose check passed and whose step the bench estimates at the shorter epoch,
#      `.ci/pick_speed_run.py`; the third loan's pair was speed-gpu:beauty-sas and speed-gpu:beauty-paper), each stopped
#      after SPEED_MIN minutes with a checkpoint; its wall time and the epoch times it logs are the measurement (bench.txt)
#   3. side by side on the GPU: the workers of WORKERS (by default one per dataset through the `table2-gpu` grid in its
#      order) until the budget ends, beside 14_gpu's cells (tests, not timings: every `#| cuda` cell of the project is
#      there) when step 0b did not run them (SPEED=0); finished runs are
#      appended to $RES/GRID-<data>.csv (back in results.tar), every run's per-epoch log comes back in logs.tar
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = prepare ]; then
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  mkdir -p .gpu/data .gpu/whl && cp -r ../shared/datasets/. .gpu/data/
  v=$(.venv/bin/python -c 'import fastcore; print(fastcore.__version__)')
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: -d .gpu/whl "fastcore==$v"
  du -sh .gpu; exit 0
fi
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"; touch "$OUT/grid.log"; RUNS=${RUNS:-/tmp/runs}; DEV=${DEVICE:-cuda}; RES=$RUNS/csv; mkdir -p "$RES"
BUDGET=${BUDGET:-555}; SPEED_MIN=${SPEED_MIN:-1.4}; SPEED=${SPEED:-1}; BENCH=${BENCH:-1}; export RUNS DEV RES
WORKERS_FILE=${WORKERS_FILE-.ci/gpu-workers.txt}; WORKERS_NOGRAPH=${WORKERS_NOGRAPH-.ci/gpu-workers-nograph.txt}
if [ -z "${WORKERS:-}" ]; then WORKERS=$'beauty\ntoys\nml-1m'; [ -f "$WORKERS_FILE" ] && WORKERS=$(cat "$WORKERS_FILE"); fi
SPEED_RUNS=${SPEED_RUNS:-auto}
python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD DIFFREC_DATA=${GPU_DATA:-$PWD/.gpu/data} PYTHONUNBUFFERED=1 MPLBACKEND=Agg
t0=$(date +%s); left() { echo $(( BUDGET - ($(date +%s) - t0) )); }
cap() { local l=$(( $(left) - 20 )); [ "$l" -lt 1 ] && l=1; echo $(( $1 < l ? $1 : l )); }  # a step's limit: at most $1 s, ending 20 s before BUDGET
{ nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv; nproc
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } 2>&1 | tee "$OUT/gpu.txt"

python3 - "$RES" <<'EOF'
import sys, pandas as pd
from pathlib import Path
p = Path('diffrec_nb/results/table2-gpu.csv')
for d, g in (pd.read_csv(p).groupby('data') if p.exists() else []):
    f = Path(sys.argv[1])/f'table2-gpu-{d}.csv'
    if not f.exists(): g.to_csv(f, index=False)
EOF

echo "== 0b. 14_gpu's GPU checks (CUDA graph, slices as graphs, compiled), alone on the device ($(left) s left)"
GRAPH=1; SLICES=1; COMPILE=1
if [ "$SPEED" = 1 ]; then  # every cell: the cuda cells read RUN_LONG and the twins' variables, which unflagged cells define
  timeout $(cap 360) python3 .ci/run_cells.py nbs/research/14_gpu.ipynb --flags cuda --keep-going > "$OUT/cuda-cells-07.txt" 2>&1
  grep -q '^check passed: CUDA graph$' "$OUT/cuda-cells-07.txt" || GRAPH=0
  grep -q '^check passed: slices as CUDA graphs$' "$OUT/cuda-cells-07.txt" || SLICES=0
  grep -q '^check passed: compiled$' "$OUT/cuda-cells-07.txt" || COMPILE=0
  grep -E '^(amp=|check passed|FAILED|cell [0-9]+ \[)' "$OUT/cuda-cells-07.txt"; echo "14_gpu's GPU checks: graph $GRAPH, slices $SLICES, compiled $COMPILE"
fi
[ "$GRAPH" = 0 ] && [ -f "${WORKERS_NOGRAPH:-}" ] && WORKERS=$(cat "$WORKERS_NOGRAPH") && echo "graph check failed: workers from $WORKERS_NOGRAPH"

echo "== 1. bench ($(left) s left)"
[ "$BENCH" = 1 ] && timeout $(cap 200) python3 -c 'import sys; from diffrec_nb.cli import main; sys.exit(main())' bench 2>&1 | tee "$OUT/bench.txt"

cat > /tmp/grid_worker.py <<'EOF'
"Train the runs of one dataset (all of table2-gpu, or only the named ones, each 'grid:id') in order until `minutes` are spent."
import os, sys, time, json, traceback
from diffrec_nb.experiments import GRIDS, run_grid, run_dir
data, minutes, res, names = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
if bad := [n for n in names if ':' not in n]: sys.exit(f"{data}: jobs {bad}: expected grid:id")
jobs = [n.split(':', 1) for n in names]
if missing := [f'{g}:{i}' for g, i in jobs if not any(s['id'] == i and s['run'].get('data') == data for s in GRIDS.get(g, []))]:
    print(f"{data}: no such runs on {data}: {missing}", flush=True)
specs = [('table2-gpu', s) for s in GRIDS['table2-gpu'] if s['run'].get('data') == data] if not names else \
        [(g, s) for g, i in jobs for s in GRIDS.get(g, []) if s['run'].get('data') == data and s['id'] == i]
t0 = time.time()
for grid, s in specs:
    left = minutes - (time.time() - t0) / 60
    if left < 0.1: break
    t1 = time.time()
    try: df = run_grid(grid, results=f'{res}/{grid}-{data}.csv', out_root=os.environ['RUNS'], minutes=left,
                       device=os.environ['DEV'], progress=False, specs=[s])
    except Exception: traceback.print_exc(); print(f"{data} | {grid}/{s['id']}: FAILED", flush=True); continue
    r = df[df['id'] == s['id']]
    log = run_dir(os.environ['RUNS'], grid, s['id'])/'log.jsonl'
    n = len(log.read_text().splitlines()) if log.exists() else 0
    print(f"{data} | {grid}/{s['id']}: " + (f"finished, test NDCG@10 {r['test_NDCG@10'].iloc[0]:.4f} (best epoch {int(r['best_epoch'].iloc[0])})"
          if len(r) else f"stopped by the budget after {n} epochs") + f", {time.time() - t1:.0f} s in this call", flush=True)
    if not len(r) and (log.parent/'best.pt').exists():  # cut short: its best checkpoint so far (selected on validation) on test
        from diffrec_nb.train import evaluate_run
        m = evaluate_run(log.parent, device=os.environ['DEV'])
        best = max((json.loads(l) for l in log.read_text().splitlines()), key=lambda l: l['valid_NDCG@10'])
        print('PARTIAL ' + json.dumps(dict(grid=grid, id=s['id'], data=data, name=s['name'], epochs_run=n, best_epoch=best['epoch'], **m)), flush=True)
EOF

echo "== 2. speed: Beauty, paper settings, alone on the device ($(left) s left)"
if [ "$SPEED_RUNS" = auto ]; then
  SPEED_RUNS=$(python3 .ci/pick_speed_run.py "$OUT/bench.txt" "$COMPILE" "$SLICES")
  echo "speed run: ${SPEED_RUNS:-none} (of the fast variants whose check passed, the shorter epoch the bench estimates)" | tee -a "$OUT/bench.txt"
fi
[ "$SPEED" = 1 ] && while IFS= read -r id; do  # speed-gpu runs (ids): bf16 scoring; DiffRec's step as a CUDA graph, maybe compiled
  [ -z "$id" ] && continue
  [[ "$id" != *-sas* ]] && [ "$GRAPH" = 0 ] && continue  # every speed-gpu run but SASRec-CE's trains DiffRec as a CUDA graph
  [[ "$id" == *-compiled* ]] && [ "$COMPILE" = 0 ] && { echo "speed-gpu/$id: skipped (the compiled check failed)"; continue; }
  [[ "$id" == *-slices* ]] && [ "$SLICES" = 0 ] && { echo "speed-gpu/$id: skipped (the slices check failed)"; continue; }
  t1=$(date +%s)
  timeout $(cap $(python3 -c "print(int($SPEED_MIN * 60 + 45))")) python3 /tmp/grid_worker.py beauty "$SPEED_MIN" "$RES" "speed-gpu:$id" 2>&1 | tail -5
  echo "speed-gpu/$id: $(( $(date +%s) - t1 )) s of wall time for the whole command (start, data, training, test)" | tee -a "$OUT/bench.txt"
done <<< "$SPEED_RUNS"
python3 - "$RUNS" <<'EOF' 2>&1 | tee -a "$OUT/bench.txt"
import json, sys
from pathlib import Path
for f in sorted((Path(sys.argv[1])/'speed-gpu').glob('beauty-*/log.jsonl')):  # RUNS/GRID/ID (`run_dir`)
    name = f.parent.name  # the run's id
    log = [json.loads(l) for l in f.read_text().splitlines()]
    ep = sorted(l['epoch_s'] for l in log)
    if not ep: print(f"speed-gpu/{name}: no epoch finished"); continue
    med = ep[len(ep) // 2]
    print(f"speed-gpu/{name}: {len(log)} epochs alone on the device, {sum(ep):.1f} s of epoch time (training + validation), median {med:.2f} s/epoch"
          f" -> 50 epochs ~ {50 * med:.0f} s; valid NDCG@10 by epoch {[round(l['valid_NDCG@10'], 4) for l in log]}")
EOF

echo "== 3. the grid's workers, side by side (with 14_gpu's cells when step 0b did not run them) ($(left) s left)"
if [ "$SPEED" = 1 ]; then echo "14_gpu's cells ran alone in step 0b: $OUT/cuda-cells-07.txt" > "$OUT/cuda-cells.txt"
else ( OMP_NUM_THREADS=4 timeout $(cap $(left)) python3 .ci/run_cells.py nbs/research/14_gpu.ipynb --flags cuda --keep-going > "$OUT/cuda-cells.txt" 2>&1; echo "exit $?" >> "$OUT/cuda-cells.txt" ) &
fi
m=$(python3 -c "print(round(max($(left) - 50, 0) / 60, 2))"); [ "$(left)" -lt 70 ] && m=0
[ "$m" != 0 ] && while IFS='@' read -ra w; do  # one worker per line of $WORKERS: a dataset, then (after @s) the only runs it trains
  [ ${#w[@]} = 0 ] && continue
  ( OMP_NUM_THREADS=3 timeout $(cap $(left)) python3 /tmp/grid_worker.py "${w[0]}" "$m" "$RES" "${w[@]:1}" 2>&1 | sed -u "s/^/[${w[0]}] /" >> "$OUT/grid.log" ) &
done <<< "$WORKERS"
wait
[ "$BENCH" = end ] && [ "$(left)" -ge 80 ] && { echo "== bench, alone on the device now ($(left) s left)"; timeout $(cap $(left)) python3 -c 'import sys; from diffrec_nb.cli import main; sys.exit(main())' bench 2>&1 | tee -a "$OUT/bench.txt"; }
tail -3 "$OUT/cuda-cells.txt"; cat "$OUT/grid.log"
(cd "$RUNS" && find table2-gpu speed-gpu paired-gpu \( -name 'log.jsonl' -o -name 'results.json' \) -print0 2>/dev/null | tar cf "$OUT/logs.tar" --null -T -)
tar cf "$OUT/results.tar" -C "$RES" .
echo "done with $(left) s of the budget left"; ls -la "$OUT"

#!/bin/bash
# The GPU checks of one short GPU loan (about 9 minutes of work), prepared on a CPU machine and run once on the GPU one.
# CI never runs this. Outputs go to $OUT (at most 8 files come back); copy them into nbs/results/ afterwards.
#
#   here, once:     bash .ci/gpu.sh prepare      # copies ../shared/datasets and a fastcore wheel into .gpu/ (git-ignored)
#   on the GPU:     bash .ci/gpu.sh              # device `run`: command 'bash .ci/gpu.sh', carry ['.gpu'], timeout_s 590
#   (DEVICE=cpu bash .ci/gpu.sh runs the same steps on a CPU, to check the script itself; the cuda cells then fail)
#
# What it runs, in order, each step under its own time limit so that the later ones still run:
#   1. the `#| cuda` cells of 05_efficient (no host sync in the sampler or a training step), via .ci/run_cells.py
#   2. `diffrec_nb bench` (train-step and inference times, DiffRec vs SASRec-CE, ratios from one run)
#   3. the speed target: DiffRec (paper settings) on Beauty, 50 epochs with per-epoch validation, bf16 autocast; then the
#      same for SASRec-CE
#   4. as much of the `table2-gpu` grid as fits in the minutes left (resumable: rerun to continue)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = prepare ]; then
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  mkdir -p .gpu/data .gpu/whl && cp -r ../shared/datasets/. .gpu/data/
  v=$(.venv/bin/python -c 'import fastcore; print(fastcore.__version__)')
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: -d .gpu/whl "fastcore==$v"
  du -sh .gpu; exit 0
fi
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD DIFFREC_DATA=$PWD/.gpu/data PYTHONUNBUFFERED=1 MPLBACKEND=Agg
CLI=(python3 -c 'import sys; from diffrec_nb.cli import main; sys.exit(main())')  # the console script, uninstalled
t0=$(date +%s); left() { echo $(( 540 - ($(date +%s) - t0) )); }
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; python3 -c 'import torch; print("torch", torch.__version__)'; } 2>&1 | tee "$OUT/gpu.txt"
echo "== 1. cuda cells"; timeout 120 python3 .ci/run_cells.py nbs/05_efficient.ipynb --flags cuda 2>&1 | tail -20 | tee "$OUT/cuda-cells.txt"
echo "== 2. bench";      timeout 90 "${CLI[@]}" bench 2>&1 | tee "$OUT/bench.txt"
echo "== 3. Beauty, 50 epochs"
for m in diffrec sasrec; do
  timeout 150 "${CLI[@]}" train --model $m --data beauty --epochs 50 --patience 50 --amp --device "${DEVICE:-cuda}" --no-progress \
    --out-dir /tmp/runs/speed-$m --max-minutes 2.3 2>&1 | tail -3
  python3 - "$m" <<'EOF' 2>&1 | tee -a "$OUT/speed-beauty.txt"
import json, sys
from pathlib import Path
d = Path(f'/tmp/runs/speed-{sys.argv[1]}')
log = [json.loads(l) for l in (d/'log.jsonl').read_text().splitlines()] if (d/'log.jsonl').exists() else []
ep = sorted(l['epoch_s'] for l in log)
print(f"{sys.argv[1]}: {len(log)} epochs in {sum(ep):.1f} s of epoch time (median {ep[len(ep)//2] if ep else float('nan'):.2f} s/epoch),"
      f" best valid NDCG@10 {max((l['valid_NDCG@10'] for l in log), default=float('nan')):.4f}")
if (d/'results.json').exists():
    r = json.loads((d/'results.json').read_text())
    print(f"  finished: wall {r['wall_s']:.1f} s, best epoch {r['best_epoch']}, test NDCG@10 {r['test']['NDCG@10']:.4f}")
else: print("  not finished within its time limit")
EOF
done
echo "== 4. table2-gpu ($(left) s left)"
[ "${DEVICE:-cuda}" = cuda ] && [ "$(left)" -gt 60 ] && timeout $(left) "${CLI[@]}" experiments table2-gpu --device "${DEVICE:-cuda}" --out-root /tmp/runs --minutes $(( ($(left) - 30) / 60 )) 2>&1 | tail -5
cp nbs/results/table2-gpu.csv "$OUT/" 2>/dev/null; ls -la "$OUT"

"""Which speed-gpu run `.ci/gpu.sh` times: the checked fast variant whose training step the bench estimates at the shorter
epoch. Usage: python .ci/pick_speed_run.py BENCH_TXT COMPILE SLICES   (COMPILE, SLICES: 1 if 14_gpu's check passed, else 0)
Prints the run's id in speed-gpu, or nothing when neither variant passed its check."""
import re, sys
from pathlib import Path

VARIANTS = [('train step: DiffRec, compiled, CUDA graph, bf16', 'beauty-paper-compiled'),  # (the bench's row, the speed-gpu run id)
            ('train step: DiffRec, 4 slices as CUDA graphs, bf16', 'beauty-paper-slices4')]

def epoch_estimates(txt:str) -> dict:
    "Row name -> 'epoch s (est.)' (the 4th number) of the bench table as the CLI prints it."
    est = {}
    for name, nums in re.findall(r'^(train step: .+?)\s{2,}((?:[-\d.eE+]+|NaN)(?:\s+(?:[-\d.eE+]+|NaN))*)\s*$', txt, re.M):
        v = nums.split()
        if len(v) >= 4 and v[3] != 'NaN': est[name.strip()] = float(v[3])
    return est

def pick(txt:str, compile_ok:bool, slices_ok:bool) -> str:
    "The variant to time: among those whose check passed, the one with the shorter estimated epoch (the first if none was timed)."
    ok = [v for v, passed in zip(VARIANTS, (compile_ok, slices_ok)) if passed]
    est = epoch_estimates(txt)
    timed = sorted((est[row], run) for row, run in ok if row in est)
    return timed[0][1] if timed else (ok[0][1] if ok else '')

if __name__ == '__main__':
    f = Path(sys.argv[1])
    print(pick(f.read_text() if f.exists() else '', sys.argv[2] == '1', sys.argv[3] == '1'))

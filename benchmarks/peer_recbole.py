#!/usr/bin/env python
"""RecBole's SASRec against this package's SASRec-CE and dense DiffRec on Beauty, CPU, one thread each, in one run.

Issue 50, part 4. Every model trains with one protocol (every Beauty user, leave-one-out, full ranking over all items, validation
NDCG@10 after every epoch, d = 64, 2 layers, 2 heads, T = 50, batch 256, lr 1e-3, dropout 0.3) on ONE thread, and the script
records the wall clock at the end of every epoch (training + validation + the checkpoint each library writes). It writes one CSV
row per (model, epoch) with the protocol, then prints, for a target validation NDCG@10, the time each model took to reach it,
its ratio to RecBole's time, and each model's validation NDCG@10 after equal wall time.

RecBole is an optional extra for this benchmark only, never a dependency of the package: the script installs it into a venv of
its own outside the repository (the recipe of shared/peers/recbole.md: torch==2.13.0 first, then recbole==1.2.1 with
numpy<2, pandas<3, setuptools<81), converts Beauty.txt to RecBole's atomic files there, and runs RecBole in a subprocess
with that venv's Python, through the small runner below (`recbole_worker`): no RecBole file is patched.

Usage (from the repository root, with the project's venv):

    .venv/bin/python benchmarks/peer_recbole.py --smoke                      # wiring check: 1 epoch each on 2,000 users
    .venv/bin/python benchmarks/peer_recbole.py --minutes 20 --target 0.030  # the measurement (run it on a quiet machine)
    .venv/bin/python benchmarks/peer_recbole.py --summarize /tmp/peer-recbole-beauty-cpu.csv --target 0.030

The stored run (diffrec_nb/results/peer-recbole-beauty-cpu.csv, shown in nbs/research/15_bench.ipynb) was made with
    taskset -c 0 env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/peer_recbole.py --minutes 20 --target 0.030 \
        --models recbole,sasrec-split4,dense-split4 --out /work/peer/peer-full.csv
and then copied into the store.

Models (--models, comma-separated): recbole (RecBole 1.2.1 SASRec, CE), sasrec (this package's SASRec-CE), dense (the dense
DiffRec), and either of the package's two with a -splitK suffix (RunConfig.split = K: each batch run as K slices cut of their
padding, scoring in length order; a documented CPU speed-up of this package, the same model and steps).

By default the models run one after another (the loads of a shared machine differ between them: the CSV records
os.getloadavg() at the start and end of each model's run and at each epoch's end). --concurrent runs them at the same time,
each pinned to a core of its own, when the machine has a free core per model.
"""
from __future__ import annotations
import argparse, csv, datetime, json, os, platform, shutil, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
PEER_DIR = Path('/work/peer')              # RecBole's venv, its data, config, logs, checkpoints and our run folders: outside the repo
BEAUTY = Path('/work/shared/datasets/Beauty.txt')
OUT_CSV = Path('/tmp/peer-recbole-beauty-cpu.csv')  # the stored run: diffrec_nb/results/peer-recbole-beauty-cpu.csv (see below)
RECIPE = ['torch==2.13.0'], ['recbole==1.2.1', 'numpy<2', 'pandas<3', 'setuptools<81']  # two pip steps, in this order
ALL_MODELS = 'recbole,sasrec,dense,sasrec-split4,dense-split4'

# the one protocol every model is trained with
P = dict(d=64, layers=2, heads=2, d_ff=256, T=50, batch=256, lr=1e-3, dropout=0.3)
LOSS = {'recbole': 'CE over all items at the last position of every prefix (RecBole default: n-3 training rows per user, tied output)',
        'sasrec': 'CE over all items at every position, one row per user (this package: untied output layer)',
        'dense': 'dense DiffRec: CE over all items of x0 predicted from pure noise at every position + 0.1 x MSE, one row per user'}
RANKING = 'full ranking over all items, history not excluded'
EVAL = 'leave-one-out: valid = second-to-last item (input: items before it), test = last'

def label(name:str) -> str:
    "What a model name means, for the printout."
    base, split = parse_model(name)
    return {'recbole': 'RecBole 1.2.1 SASRec (CE)', 'sasrec': 'diffrec_nb SASRec-CE', 'dense': 'diffrec_nb dense DiffRec'}[base] + \
           (f', split {split}' if split else '')

def parse_model(name:str) -> tuple[str, int]:
    "'dense-split4' -> ('dense', 4)."
    base, _, sp = name.partition('-split')
    if base not in ('recbole', 'sasrec', 'dense') or (sp and not sp.isdigit()) or (base == 'recbole' and sp):
        raise SystemExit(f"model {name!r}: expected recbole, sasrec, dense, sasrec-splitK or dense-splitK")
    return base, int(sp or 0)

def one_thread_env(threads:int) -> dict:
    "The environment of a worker: every thread pool at `threads`."
    env = dict(os.environ)
    for k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS'):
        env[k] = str(threads)
    env['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] = '1'  # recipe fix 5: RecBole's checkpoint pickles its Config (only RecBole loads one)
    env['PYTHONUNBUFFERED'] = '1'
    return env

def loadavg() -> tuple:
    return tuple(round(x, 2) for x in os.getloadavg())

class Events:
    "A worker's per-epoch records, one JSON line each, flushed as they come."
    def __init__(self, path): self.f = open(path, 'a')
    def __call__(self, **rec):
        self.f.write(json.dumps(rec) + '\n'); self.f.flush()

# ------------------------------------------------------------------------------------------------------------------ workers
class Budget(Exception):
    "Raised from RecBole's epoch callback to stop training at the time budget."

def recbole_worker(a):
    "Runs in RecBole's venv (cwd = the peer folder): the recipe's runner, with a callback that records each epoch's end."
    t0 = time.time()
    import numpy as np
    if not hasattr(np, 'float'): np.float = float      # recipe: RecBole 1.2.1 still uses np.float / np.long
    if not hasattr(np, 'long'): np.long = np.int64
    import torch
    torch.set_num_threads(a.threads); torch.set_num_interop_threads(1)
    import recbole, recbole.model.sequential_recommender  # noqa: F401  sine.py switches anomaly detection on at import...
    torch.autograd.set_detect_anomaly(False)             # ...which halves RecBole's speed: off again (recipe fix 6)
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed, init_logger, get_model, get_trainer
    ev = Events(a.events)
    t0 = time.time()  # the model's clock starts after the imports, before the data are read (as for the package's models)
    config = Config(model='SASRec', dataset=a.dataset, config_file_list=[a.config])
    init_seed(config['seed'], config['reproducibility'])
    init_logger(config)
    dataset = create_dataset(config)
    train_data, valid_data, _test = data_preparation(config, dataset)
    init_seed(config['seed'] + config['local_rank'], config['reproducibility'])
    model = get_model(config['model'])(config, train_data._dataset).to(config['device'])
    trainer = get_trainer(config['MODEL_TYPE'], config['model'])(config, model)
    assert config['valid_metric'].lower() == 'ndcg@10' and config['eval_args']['mode'] in ('full', {'valid': 'full', 'test': 'full'}), \
        (config['valid_metric'], config['eval_args'])
    ev(kind='setup', setup_s=time.time() - t0, users=dataset.user_num - 1, items=dataset.item_num - 1,
       train_rows=len(train_data._dataset), valid_rows=len(valid_data._dataset), anomaly=torch.is_anomaly_enabled(),
       threads=torch.get_num_threads(), torch=torch.__version__, recbole=recbole.__version__, numpy=np.__version__,
       eval_args=str(config['eval_args']), valid_metric=config['valid_metric'], device=str(config['device']))
    st = dict(train_s=0.0, valid_s=0.0, result=None)
    train_epoch, valid_epoch = trainer._train_epoch, trainer._valid_epoch
    def timed_train(*args, **kw):
        t = time.time(); r = train_epoch(*args, **kw); st['train_s'] = time.time() - t
        st['anomaly'] = torch.is_anomaly_enabled(); return r
    def timed_valid(*args, **kw):
        t = time.time(); score, result = valid_epoch(*args, **kw); st['valid_s'] = time.time() - t; st['result'] = result
        return score, result
    trainer._train_epoch, trainer._valid_epoch = timed_train, timed_valid
    last = [t0]
    def callback(epoch_idx, valid_score):  # after validation and the best checkpoint's save: the end of the epoch
        now = time.time(); r = st['result']
        ev(kind='epoch', epoch=epoch_idx + 1, wall_s=now - t0, epoch_s=now - last[0], train_s=st['train_s'], valid_s=st['valid_s'],
           ndcg10=float(r['ndcg@10']), hr10=float(r['hit@10']), train_loss=float(trainer.train_loss_dict[epoch_idx]),
           load1=os.getloadavg()[0], threads=torch.get_num_threads(), anomaly=st['anomaly'])
        last[0] = now
        if a.minutes and now - t0 > 60 * a.minutes: raise Budget
    try: trainer.fit(train_data, valid_data, saved=True, show_progress=False, callback_fn=callback)
    except Budget: pass
    ev(kind='done', wall_s=time.time() - t0)

def package_worker(a):
    "Runs in the project's venv: `diffrec_nb.train.train`, its epoch ends timed through its own module functions (none changed)."
    import numpy as np, torch
    torch.set_num_threads(a.threads); torch.set_num_interop_threads(1)
    import diffrec_nb, diffrec_nb.train as T
    from diffrec_nb.sasrec import SASRecConfig
    from diffrec_nb.model import DiffRecConfig
    from diffrec_nb.dense import DENSE
    base, split = parse_model(a.worker)
    ev = Events(a.events)
    common = dict(d=P['d'], n_layers=P['layers'], n_heads=P['heads'], d_ff=P['d_ff'], max_len=P['T'], dropout=P['dropout'],
                  lr=P['lr'], batch_size=P['batch'], epochs=a.epochs, seed=a.seed)
    cfg = SASRecConfig(**common) if base == 'sasrec' else DiffRecConfig(**common, variant=DENSE)
    run = T.RunConfig(data=str(a.data), model='sasrec' if base == 'sasrec' else 'diffrec', max_users=a.users, users_seed=a.users_seed,
                      patience=a.patience, device='cpu', out_dir=a.run_dir, resume=False, max_minutes=a.minutes, progress=False,
                      split=split)
    st = dict(train_s=0.0, valid_s=0.0, result=None, epoch=0, loss=None)
    train_epoch, evaluate, save = T._train_epoch, T._evaluate, T.save_checkpoint
    def timed_train(*args, **kw):
        t = time.time(); r = train_epoch(*args, **kw); st['train_s'] = time.time() - t; st['loss'] = r.get('loss')
        st['epoch'] += 1; return r
    def timed_eval(model, sp, which, run):
        t = time.time(); r = evaluate(model, sp, which, run)
        if which == 'valid': st['valid_s'], st['result'] = time.time() - t, r
        return r
    last = [0.0]
    def timed_save(path, obj):
        out = save(path, obj)
        if Path(path).name == 'last.pt':  # written last in each epoch, after validation and the best checkpoint
            now = time.time(); r = st['result']
            ev(kind='epoch', epoch=st['epoch'], wall_s=now - t0, epoch_s=now - last[0], train_s=st['train_s'], valid_s=st['valid_s'],
               ndcg10=float(r['NDCG@10']), hr10=float(r['HR@10']), train_loss=float(st['loss']) if st['loss'] is not None else None,
               load1=os.getloadavg()[0], threads=torch.get_num_threads(), anomaly=torch.is_anomaly_enabled())
            last[0] = now
        return out
    finish = T._finish
    def no_test(model, split, run, cfg, st, proto, out, finished, *rest):  # as for RecBole: no test evaluation after training
        return finish(model, split, run, cfg, st, proto, out, False, *rest)     #   (outside the timed epochs either way)
    T._train_epoch, T._evaluate, T.save_checkpoint, T._finish = timed_train, timed_eval, timed_save, no_test
    t0 = last[0] = time.time()
    res = T.train(run, cfg)
    pr = res['protocol']
    ev(kind='done', wall_s=time.time() - t0, users=pr['users'], items=pr['items'], train_rows=pr['training_rows'],
       samples=pr['samples'], batches=pr['batches'], scoring=pr['scoring'], ranking=pr['ranking'], torch=torch.__version__,
       diffrec_nb=diffrec_nb.__version__, numpy=np.__version__, threads=torch.get_num_threads(), anomaly=torch.is_anomaly_enabled())

# ------------------------------------------------------------------------------------------------------------------ setup
def sh(cmd, **kw):
    print('  $', ' '.join(map(str, cmd)), flush=True)
    subprocess.run(list(map(str, cmd)), check=True, **kw)

def peer_python(venv:Path) -> Path: return venv/'bin'/'python'

def ensure_recbole(venv:Path):
    "RecBole's venv, made by the recipe when it is missing or broken."
    py = peer_python(venv)
    check = [str(py), '-c', 'import recbole, torch, numpy, pandas; print(recbole.__version__, torch.__version__, numpy.__version__, pandas.__version__)']
    if py.exists():
        r = subprocess.run(check, capture_output=True, text=True, env=one_thread_env(1))
        if r.returncode == 0:
            print(f"RecBole venv {venv}: recbole, torch, numpy, pandas = {r.stdout.split()}"); return
        print(f"RecBole venv {venv} is broken ({r.stderr.strip().splitlines()[-1:]}): reinstalling by the recipe")
    else: print(f"RecBole venv {venv}: missing, installing by the recipe (shared/peers/recbole.md, a few minutes)")
    venv.parent.mkdir(parents=True, exist_ok=True)
    sh([shutil.which('python3') or sys.executable, '-m', 'venv', venv])
    for step in RECIPE: sh([venv/'bin'/'pip', 'install', *step])
    r = subprocess.run(check, capture_output=True, text=True, env=one_thread_env(1))
    if r.returncode: raise SystemExit(f"RecBole's venv does not import: {r.stderr[-2000:]}")
    print(f"  installed: recbole, torch, numpy, pandas = {r.stdout.split()}")

def read_s3rec(path:Path) -> list[tuple[str, list[str]]]:
    "`user item item ...` lines, as tokens."
    with open(path) as f: return [(t[0], t[1:]) for t in (line.split() for line in f) if t]

def write_recbole_data(users:list, all_items:list, folder:Path, name:str):
    """RecBole's atomic files: <name>.inter (the recipe's conversion: timestamp = position in the sequence) and <name>.item
    (every item of the dataset, so that a user subset is still ranked against every item, as the package ranks it)."""
    d = folder/name; d.mkdir(parents=True, exist_ok=True)
    with open(d/f'{name}.inter', 'w') as out:
        out.write('user_id:token\titem_id:token\ttimestamp:float\n')
        for u, items in users:
            for t, it in enumerate(items): out.write(f'{u}\t{it}\t{t}\n')
    with open(d/f'{name}.item', 'w') as out:
        out.write('item_id:token\n'); out.writelines(f'{it}\n' for it in all_items)

CONFIG = """# RecBole 1.2.1 SASRec on Beauty, CPU: written by benchmarks/peer_recbole.py (the recipe's config, shared/peers/recbole.md)
data_path: {data}
checkpoint_dir: {saved}
dataset: {name}
USER_ID_FIELD: user_id
ITEM_ID_FIELD: item_id
TIME_FIELD: timestamp
load_col:
  inter: [user_id, item_id, timestamp]   # the default loads only user_id, item_id: no time field
  item: [item_id]                        # every item, also those a user subset never saw
user_inter_num_interval: "[0,inf)"
item_inter_num_interval: "[0,inf)"
MAX_ITEM_LIST_LENGTH: {T}

hidden_size: {d}
inner_size: {d_ff}
n_layers: {layers}
n_heads: {heads}
hidden_dropout_prob: {dropout}
attn_dropout_prob: {dropout}
hidden_act: gelu
layer_norm_eps: 1.0e-12
initializer_range: 0.02
loss_type: CE
train_neg_sample_args: ~

epochs: {epochs}
train_batch_size: {batch}
learner: adam
learning_rate: {lr}
stopping_step: {patience}
eval_step: 1

eval_args:
  split: {{'LS': 'valid_and_test'}}
  group_by: user
  order: TO
  mode: full
repeatable: True
metrics: ["Hit", "NDCG"]
topk: [10]
valid_metric: NDCG@10
eval_batch_size: 2048

use_gpu: False
gpu_id: ''
device: cpu
seed: {seed}
reproducibility: True
show_progress: False
worker: 0
"""

def prepare_data(a) -> tuple[str, Path, list]:
    "The users of this run (every user, or the package's own seeded subset), as RecBole's data and, for a subset, an S3-Rec file."
    seqs = read_s3rec(a.data)
    all_items = sorted({it for _, its in seqs for it in its}, key=int)
    if a.users:
        sys.path.insert(0, str(REPO))
        from diffrec_nb.data import load_dataset
        from diffrec_nb.train import subset_users
        sub = subset_users(load_dataset(Path(a.data)), a.users, a.users_seed)  # the very users RunConfig(max_users, users_seed) keeps
        keep = {str(u) for u in sub.users}
        seqs = [s for s in seqs if s[0] in keep]
        assert len(seqs) == len(sub), (len(seqs), len(sub))
    name = f'beauty_u{a.users}s{a.users_seed}' if a.users else 'beauty'
    write_recbole_data(seqs, all_items, a.peer_dir/'data', name)
    return name, a.peer_dir/'data'/name, seqs

# ------------------------------------------------------------------------------------------------------------------ driver
COLS = ['run_id', 'mode', 'model', 'label', 'library', 'split', 'epoch', 'wall_s', 'epoch_s', 'train_s', 'valid_s', 'setup_s',
        'valid_NDCG@10', 'valid_HR@10', 'train_loss', 'threads', 'anomaly_detection', 'load1_epoch_end', 'load1_start', 'load5_start',
        'load15_start', 'load1_end', 'load5_end', 'load15_end', 'cpu_affinity', 'budget_min', 'dataset', 'users', 'items',
        'train_rows', 'train_rows_kind', 'd', 'layers', 'heads', 'd_ff', 'T', 'batch', 'lr', 'dropout', 'loss', 'ranking',
        'evaluation', 'valid_metric', 'seed', 'torch', 'recbole', 'diffrec_nb', 'numpy', 'python', 'cpu', 'cores', 'started_at']

def cpu_name() -> str:
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor()

def spawn(a, name:str, run_id:str, logs:Path, core:int|None, dataset:str, config:Path):
    "Start one model's worker; returns (process, events path, log file)."
    base, split = parse_model(name)
    events, log = logs/f'{name}.jsonl', logs/f'{name}.log'
    events.unlink(missing_ok=True)
    common = ['--threads', a.threads, '--minutes', a.minutes, '--epochs', a.epochs, '--patience', a.patience, '--seed', a.seed,
              '--events', events]
    if base == 'recbole':
        cmd, cwd = [peer_python(a.peer_venv), HERE, '--worker', 'recbole', '--dataset', dataset, '--config', config, *common], a.peer_dir
    else:
        cmd = [sys.executable, HERE, '--worker', name, '--data', a.data, '--users', a.users, '--users-seed', a.users_seed,
               '--run-dir', a.peer_dir/'runs'/run_id/name, *common]
        cwd = REPO
    pre = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    f = open(log, 'w')
    p = subprocess.Popen(list(map(str, cmd)), cwd=cwd, env=one_thread_env(a.threads), stdout=f, stderr=subprocess.STDOUT,
                         preexec_fn=pre)
    return p, events, log

def read_events(path:Path) -> list[dict]:
    if not path.exists(): return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]

def run_all(a) -> list[dict]:
    models = [m.strip() for m in a.models.split(',') if m.strip()]
    for m in models: parse_model(m)
    if 'recbole' in models: ensure_recbole(a.peer_venv)
    print(f"data: {a.data} -> RecBole atomic files under {a.peer_dir/'data'}", flush=True)
    dataset, _, seqs = prepare_data(a)
    config = a.peer_dir/f'sasrec_{dataset}.yaml'
    config.write_text(CONFIG.format(data=a.peer_dir/'data', saved=a.peer_dir/'saved', name=dataset, epochs=a.epochs,
                                    patience=a.patience, seed=a.seed, **P))
    run_id = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    logs = a.peer_dir/'logs'/run_id; logs.mkdir(parents=True, exist_ok=True)
    ncpu = len(os.sched_getaffinity(0))
    if a.concurrent:
        free = ncpu - os.getloadavg()[0]
        if len(models) * a.threads > ncpu or free < len(models) * a.threads:
            raise SystemExit(f"--concurrent: {len(models)} models x {a.threads} thread(s) need that many free cores; this machine has "
                             f"{ncpu} cores at load {os.getloadavg()[0]:.2f}. Run them one after another (the default).")
    mode = 'concurrent, one core each' if a.concurrent else 'sequential'
    print(f"run {run_id}: {len(seqs):,} users, models {models}, {mode}, {a.threads} thread(s) each, "
          f"budget {a.minutes or '-'} min and {a.epochs} epochs at most, patience {a.patience}; logs in {logs}", flush=True)
    started = datetime.datetime.now().isoformat(timespec='seconds')
    meta, procs = {}, []
    cores = sorted(os.sched_getaffinity(0))
    def start(i, m):
        core = cores[i % len(cores)] if a.concurrent else None
        meta[m] = dict(load_start=loadavg(), core=core, t=time.time())
        print(f"[{m}] start: {label(m)}, load {meta[m]['load_start']}", flush=True)
        return spawn(a, m, run_id, logs, core, dataset, config)
    def follow(m, p, events, log, seen):
        ev = read_events(events)
        for e in ev[seen:]:
            if e['kind'] == 'epoch':
                print(f"[{m}] epoch {e['epoch']:3d}  {e['wall_s']:8.1f}s  train {e['train_s']:6.1f}s  valid {e['valid_s']:5.1f}s  "
                      f"NDCG@10 {e['ndcg10']:.4f}  HR@10 {e['hr10']:.4f}  load {e['load1']:.2f}", flush=True)
            elif e['kind'] == 'setup':
                print(f"[{m}] setup {e['setup_s']:.1f}s: {e['users']:,} users, {e['items']:,} items, {e['train_rows']:,} training rows, "
                      f"threads {e['threads']}, anomaly detection {e['anomaly']}", flush=True)
        return len(ev)
    def finish(m, p, log):
        meta[m]['load_end'] = loadavg(); meta[m]['rc'] = p.returncode
        tail = ''.join(Path(log).read_text().splitlines(True)[-15:])
        print(f"[{m}] end (rc {p.returncode}) after {time.time() - meta[m]['t']:.0f}s, load {meta[m]['load_end']}", flush=True)
        if p.returncode: print(f"[{m}] FAILED; the end of {log}:\n{tail}", flush=True)
    if a.concurrent:
        procs = [(m, *start(i, m)) for i, m in enumerate(models)]
        seen = {m: 0 for m in models}; live = {m for m, *_ in procs}
        while live:
            time.sleep(2)
            for m, p, events, log in procs:
                if m not in live: continue
                seen[m] = follow(m, p, events, log, seen[m])
                if p.poll() is not None: seen[m] = follow(m, p, events, log, seen[m]); finish(m, p, log); live.discard(m)
    else:
        for i, m in enumerate(models):
            p, events, log = start(i, m); seen = 0
            while p.poll() is None: time.sleep(2); seen = follow(m, p, events, log, seen)
            follow(m, p, events, log, seen); finish(m, p, log); procs.append((m, p, events, log))
    # rows
    rows = []
    pyver = platform.python_version()
    vers = {k: e[k] for m, p, events, log in procs for e in read_events(events) for k in ('torch', 'recbole', 'diffrec_nb', 'numpy') if k in e}
    for m, p, events, log in procs:
        base, split = parse_model(m)
        ev = read_events(events)
        info = {k: v for e in ev if e['kind'] in ('setup', 'done') for k, v in e.items()}
        lo, hi = meta[m]['load_start'], meta[m].get('load_end', (None,) * 3)
        for e in (e for e in ev if e['kind'] == 'epoch'):
            rows.append({
                'run_id': run_id, 'mode': mode, 'model': m, 'label': label(m),
                'library': 'recbole' if base == 'recbole' else 'diffrec_nb', 'split': split, 'epoch': e['epoch'],
                'wall_s': round(e['wall_s'], 2), 'epoch_s': round(e['epoch_s'], 2), 'train_s': round(e['train_s'], 2),
                'valid_s': round(e['valid_s'], 2), 'setup_s': round(info['setup_s'], 2) if 'setup_s' in info else '',
                'valid_NDCG@10': round(e['ndcg10'], 6), 'valid_HR@10': round(e['hr10'], 6),
                'train_loss': '' if e.get('train_loss') is None else round(e['train_loss'], 4), 'threads': e['threads'],
                'anomaly_detection': e['anomaly'], 'load1_epoch_end': round(e['load1'], 2),
                'load1_start': lo[0], 'load5_start': lo[1], 'load15_start': lo[2], 'load1_end': hi[0], 'load5_end': hi[1], 'load15_end': hi[2],
                'cpu_affinity': meta[m]['core'] if meta[m]['core'] is not None else 'any', 'budget_min': a.minutes,
                'dataset': f'Beauty ({a.data.name})' + (f', {a.users} users (seed {a.users_seed})' if a.users else ''),
                'users': info.get('users', len(seqs)), 'items': info.get('items', ''), 'train_rows': info.get('train_rows', ''),
                'train_rows_kind': 'every prefix (n-3 per user)' if base == 'recbole' else f"{info.get('samples', '')} (one row per user)",
                **{k: P[k] for k in ('d', 'layers', 'heads', 'd_ff', 'T', 'batch', 'lr', 'dropout')},
                'loss': LOSS[base], 'ranking': RANKING, 'evaluation': EVAL, 'valid_metric': 'NDCG@10', 'seed': a.seed,
                'torch': info.get('torch', ''), 'recbole': vers.get('recbole', ''), 'diffrec_nb': vers.get('diffrec_nb', ''),
                'numpy': info.get('numpy', ''), 'python': pyver, 'cpu': cpu_name(), 'cores': ncpu, 'started_at': started})
    return rows

def write_csv(rows:list[dict], path:Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + '.tmp')
    with open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, COLS); w.writeheader(); w.writerows(rows)
    tmp.replace(path)
    print(f"\nwrote {len(rows)} rows to {path}")

def summarize(rows:list[dict], target:float) -> str:
    "Time to the target validation NDCG@10, its ratio to RecBole's, and each model's value after equal wall time (`bench.peer_summary`)."
    if not rows: return 'no epochs recorded'
    import pandas as pd
    from diffrec_nb.bench import peer_summary  # the one implementation; research/15_bench shows and tests it
    df = pd.DataFrame(rows)
    for c in ('epoch', 'wall_s', 'valid_NDCG@10'): df[c] = pd.to_numeric(df[c])
    df['budget_min'] = pd.to_numeric(df['budget_min'].replace('', 0))
    t = peer_summary(df, target).round(4)
    return (f"target validation NDCG@10 >= {target}\n\n" + t.to_string() + "\n\ns/epoch: mean wall seconds of an epoch. RecBole ÷ it: "
            "RecBole's time to the target over this model's (> 1: this model is that many times sooner). Times are wall seconds from "
            "the model's start (data loading included) to the end of the epoch whose validation first reached the target; each model "
            f"on {rows[0]['threads']} thread(s), {rows[0]['mode']}.")

def estimate(rows:list[dict], a) -> str:
    "From a run on a user subset: each model's epoch scaled to every user (training and validation both grow with the users)."
    n_all, n = len(read_s3rec(a.data)), a.users
    out = [f"\nscaled to all {n_all:,} users (x{n_all / n:.2f}; same load as this run):"]
    for r in rows:
        tr, va = float(r['train_s']) * n_all / n, float(r['valid_s']) * n_all / n
        out.append(f"  {r['label']:<40} train {tr:6.0f}s + valid {va:5.0f}s = {tr + va:6.0f}s per epoch")
    return '\n'.join(out)

def read_csv(path:Path) -> list[dict]:
    with open(path, newline='') as f: return list(csv.DictReader(f))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--target', type=float, default=0.030, help='validation NDCG@10 to reach (default 0.030)')
    ap.add_argument('--minutes', type=float, default=20, help='wall-time budget per model: no epoch starts after it (default 20; 0 = none)')
    ap.add_argument('--epochs', type=int, default=1000, help='epochs at most (default 1000: the budget decides)')
    ap.add_argument('--patience', type=int, default=10, help='early stopping on validation NDCG@10, in both libraries (default 10)')
    ap.add_argument('--models', default=ALL_MODELS, help=f'comma-separated, run in this order (default {ALL_MODELS})')
    ap.add_argument('--users', type=int, default=0, help='0 = every user; else a seeded subset (the package\'s subset_users)')
    ap.add_argument('--users-seed', type=int, default=0)
    ap.add_argument('--seed', type=int, default=0, help='model seed, all three (default 0)')
    ap.add_argument('--threads', type=int, default=1, help='torch/OpenMP threads per model (default 1)')
    ap.add_argument('--concurrent', action='store_true', help='run the models at the same time, each pinned to a core of its own')
    ap.add_argument('--smoke', action='store_true', help='wiring check: 1 epoch of each on 2,000 users')
    ap.add_argument('--out', type=Path, default=OUT_CSV, help=f'the CSV (default {OUT_CSV})')
    ap.add_argument('--data', type=Path, default=BEAUTY, help=f'Beauty in the S3-Rec format (default {BEAUTY})')
    ap.add_argument('--peer-dir', type=Path, default=PEER_DIR, help=f"scratch folder outside the repo (default {PEER_DIR})")
    ap.add_argument('--peer-venv', type=Path, default=None, help="RecBole's venv (default PEER_DIR/venv)")
    ap.add_argument('--summarize', type=Path, default=None, help='only print the summary of an existing CSV')
    # worker mode (internal)
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--events', help=argparse.SUPPRESS)
    ap.add_argument('--dataset', help=argparse.SUPPRESS)
    ap.add_argument('--config', help=argparse.SUPPRESS)
    ap.add_argument('--run-dir', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker: return recbole_worker(a) if a.worker == 'recbole' else package_worker(a)
    if a.summarize: print(summarize(read_csv(a.summarize), a.target)); return
    if a.smoke: a.users, a.epochs, a.minutes = a.users or 2000, 1, 0
    a.data, a.peer_dir = a.data.resolve(), a.peer_dir.resolve()
    a.peer_venv = (a.peer_venv or a.peer_dir/'venv').resolve()
    if a.peer_dir.is_relative_to(REPO): raise SystemExit(f"--peer-dir {a.peer_dir}: keep RecBole and the data outside the repository")
    t = time.time()
    rows = run_all(a)
    write_csv(rows, a.out)
    print(summarize(rows, a.target))
    if a.users and rows: print(estimate(rows, a))
    print(f"\ntotal {time.time() - t:.0f}s")

if __name__ == '__main__':
    main()

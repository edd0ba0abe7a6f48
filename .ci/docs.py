"""Build the docs site into docs/ with mkdocs-material + mkdocs-jupyter (nbdev's Quarto route cannot run offline).

Steps: stage the notebooks as nbdev would show them (hidden cells dropped, `#|` directives stripped, an "Open in Colab"
link on top), write one API-reference page per module from the exported code's docstrings and docments, vendor MathJax
from the npm registry (so math renders without a CDN), write mkdocs.yml, and run `mkdocs build` into docs/.
Usage: python .ci/docs.py [--out DIR]   (default DIR: docs/)
"""
import copy, gzip, importlib, inspect, json, re, shutil, subprocess, sys, tarfile, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO = 'diffrec-nb/diffrec_nb'
MATHJAX = 'mathjax@3.2.2'

def notebooks(part:str|None=None) -> list:
    "The notebooks in reading order: the home page, the course (nbs/), the research record (nbs/research/); or one part."
    course = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_') and p.name != 'index.ipynb')
    research = sorted(p for p in (ROOT/'nbs'/'research').glob('*.ipynb') if not p.name.startswith('_'))
    parts = {'home': [ROOT/'nbs'/'index.ipynb'], 'course': course, 'research': research}
    return parts[part] if part else [p for ps in parts.values() for p in ps]

def site_path(nb:Path) -> str:
    "A notebook's path on the site and in the repository, relative to nbs/ ('03_efficient.ipynb', 'research/10_experiments.ipynb')."
    return nb.relative_to(ROOT/'nbs').as_posix()

PAGES = {'RESULTS.md': 'results.md', 'CHANGELOG.md': 'changelog.md'}  # repository pages the site carries too, and their source names there

def _directives(src: str) -> set:
    "nbdev directives of a cell (`#| hide`, `#| export`, ...)."
    return {l[2:].strip().split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#|') and l[2:].strip()}

def stage_notebook(src: Path, dst: Path):
    "Copy a notebook for the site: drop hidden cells, strip directives, add an Open-in-Colab link."
    nb = json.loads(src.read_text())
    cells = []
    for c in nb['cells']:
        if c.get('id') == 'colab-badge': continue  # the notebook's badge (an image from the internet): the site has its own link
        s = ''.join(c['source'])
        d = _directives(s)
        if c['cell_type'] == 'code' and ({'hide', 'default_exp'} & d or 'eval' in d and 'eval: false' in s): continue
        c = copy.deepcopy(c)
        if 'echo: false' in s: c.setdefault('metadata', {}).setdefault('tags', []).append('remove_input')
        c['source'] = '\n'.join(l for l in s.splitlines() if not l.startswith('#|')).strip('\n')
        for page, site in PAGES.items():  # links to the repository's pages go to their pages on the site (notebook links are not rewritten by mkdocs)
            c['source'] = c['source'].replace(f']({page})', f"]({site.replace('.md', '.html')})")
        if c['cell_type'] == 'code' and not c['source'] and not c.get('outputs'): continue
        cells.append(c)
    if src.name != 'index.ipynb':
        rel = site_path(src)
        link = f"[Open in Colab](https://colab.research.google.com/github/{REPO}/blob/main/nbs/{rel}) · [source notebook](https://github.com/{REPO}/blob/main/nbs/{rel})"
        title = next((i for i, c in enumerate(cells) if c['cell_type'] == 'markdown'), 0)
        cells.insert(title + 1, {'cell_type': 'markdown', 'id': 'open-in-colab', 'metadata': {}, 'source': link})  # a fixed id: rebuilds leave unchanged pages unchanged
    nb['cells'] = cells
    dst.write_text(json.dumps(nb))

def _module_of(nb: Path):
    "The module a notebook exports to (its default_exp), or None."
    for c in json.loads(nb.read_text())['cells']:
        m = re.search(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source']))
        if m: return m.group(1)

def _params(obj) -> str:
    "A markdown table of the docments (one comment per parameter) of a function, method or class; '' when none."
    from fastcore.docments import docments
    try: docs = docments(obj, full=True)
    except Exception: return ''
    rows = [(k, v['docment'].replace('|', '\\|')) for k, v in docs.items()  # a bare | would end the table cell (|V|)
            if isinstance(v, dict) and v.get('docment') and k != 'return']
    return '| parameter | meaning |\n|---|---|\n' + '\n'.join(f"| `{k}` | {d} |" for k, d in rows) + '\n' if rows else ''

def _entry(title: str, obj, level: str, drop_self: bool = False) -> str:
    "Signature, docstring and parameter table of one symbol, under a heading of `level` (## or ###)."
    table = _params(obj)
    return f"{level} `{title}`\n\n```python\n{_signature(title, obj, drop_self)}\n```\n\n{inspect.getdoc(obj) or ''}\n" + (f"\n{table}" if table else '')

def _signature(title: str, obj, drop_self: bool = False, width: int = 88) -> str:
    "`title(params) -> ret` with annotations as written types (not strings); one parameter a line when longer than `width`."
    try:
        try: sig = inspect.signature(obj, eval_str=True)
        except Exception: sig = inspect.signature(obj)  # an annotation that does not evaluate here stays a string
    except (TypeError, ValueError): return f'{title}(...)'
    ann = lambda a: a if isinstance(a, str) else inspect.formatannotation(a)  # a string annotation is shown unquoted
    def param(p):
        if not isinstance(p.annotation, str): return str(p)
        bare = str(p.replace(annotation=inspect.Parameter.empty, default=inspect.Parameter.empty))
        return f"{bare}: {p.annotation}" + ('' if p.default is inspect.Parameter.empty else f' = {p.default!r}')
    ps = list(sig.parameters.values())[1 if drop_self else 0:]
    ret = '' if sig.return_annotation is inspect.Signature.empty or inspect.isclass(obj) else f' -> {ann(sig.return_annotation)}'
    one = f"{title}({', '.join(map(param, ps))}){ret}"
    out = one if len(one) <= width else f"{title}(\n" + ''.join(f'    {param(p)},\n' for p in ps) + f"){ret}"
    return out.replace('torch._C.', 'torch.')  # torch.Generator is defined in torch._C: show the name users write

def _methods(cls, module: str) -> list:
    "(name, function) of the public methods of `cls` defined in `module` (its own, or those `@patch` adds there), in source order."
    fs = [(m, f) for m, f in vars(cls).items() if inspect.isfunction(f) and not m.startswith('_') and m != 'forward'
          and f.__module__ == module and (inspect.getdoc(f) is not None or _params(f))]
    return sorted(fs, key=lambda mf: inspect.unwrap(mf[1]).__code__.co_firstlineno)  # unwrap: @torch.no_grad() wraps some

def constant_comments(src: str) -> dict:
    "Name -> comment of each top-level assignment in module source `src`: the one on its first line, else the comment lines just above."
    import io, tokenize
    lines, out = src.splitlines(), {}
    for t in tokenize.generate_tokens(io.StringIO('\n'.join(lines) + '\n').readline):
        if t.type == tokenize.COMMENT and t.start[1] > 0 and (m := re.match(r'([A-Za-z_]\w*)\s*(?::[^=]*)?=', lines[t.start[0] - 1])):
            out.setdefault(m.group(1), t.string.lstrip('#').strip())  # a trailing comment on an assignment's first line
    for i, l in enumerate(lines):
        if (m := re.match(r'([A-Za-z_]\w*)\s*(?::[^=]*)?=', l)) and not out.get(m.group(1)):
            above = []
            for k in range(i - 1, -1, -1):
                if not lines[k].startswith('#') or lines[k].startswith('#|') or lines[k].startswith('# %%'): break
                above.insert(0, lines[k].lstrip('#').strip())
            out[m.group(1)] = ' '.join(above)
    return out

def _short_repr(o, root: Path = ROOT) -> str:
    "A value as code, the same on every machine: functions and classes by name, paths relative to the repository."
    if callable(o) and hasattr(o, '__name__'): return o.__name__
    if isinstance(o, Path): return f"<repository>/{o.relative_to(root)}" if o.is_relative_to(root) else repr(o)
    if isinstance(o, dict): return '{' + ', '.join(f'{_short_repr(k)}: {_short_repr(v)}' for k, v in o.items()) + '}'
    if isinstance(o, (list, tuple)):
        inner = ', '.join(map(_short_repr, o))
        return f'[{inner}]' if isinstance(o, list) else f'({inner}{"," if len(o) == 1 else ""})'
    return repr(o)

def _constant(name: str, obj, comment: str, width: int = 100) -> str:
    "A constant's entry: its value (or, when long, what it holds) and its comment."
    if type(obj).__name__ == 'DataFrame': what = f"A pandas DataFrame, {len(obj)} rows × {len(obj.columns)} columns: {', '.join(map(str, obj.columns))}."
    elif len(r := _short_repr(obj)) <= width: what = f"```python\n{name} = {r}\n```"
    elif isinstance(obj, dict) and all(isinstance(v, (str, int, float, bool, type(None))) for v in obj.values()):
        what = f"```python\n{name} = {{\n" + ''.join(f'    {k!r}: {v!r},\n' for k, v in obj.items()) + "}\n```"  # flat: one entry a line
    elif isinstance(obj, dict): what = f"A dict of {len(obj)} entries: " + ', '.join(f'`{k}`' for k in obj) + '.'
    else: what = f"A {type(obj).__name__} of {len(obj)} entries." if hasattr(obj, '__len__') else f"```python\n{name} = {r[:width]}…\n```"
    comment = comment.replace('|', '\\|')  # markdown: a bare | would start a table
    return f"## `{name}`\n\n{what}\n\n{comment}\n"

def _exported_classes() -> list:
    "Every class some module of the package exports, once."
    import diffrec_nb, pkgutil
    mods = [importlib.import_module(f'diffrec_nb.{m.name}') for m in pkgutil.iter_modules(diffrec_nb.__path__) if not m.name.startswith('_')]
    return list({id(o): o for mod in mods for n in getattr(mod, '__all__', []) if inspect.isclass(o := getattr(mod, n, None))}.values())

def api_page(mod_name: str, nb_name: str = '') -> str:
    "Markdown API reference of a module: each public symbol and public method it defines (those it `@patch`es onto a class included)."
    mod = importlib.import_module(f'diffrec_nb.{mod_name}')
    lesson = f"[`{Path(nb_name).stem}`](../{nb_name})" if nb_name else 'the notebook'
    out = [f"# `diffrec_nb.{mod_name}`\n", f"Generated from the exported code of {lesson}; the notebook teaches it, with tests after each piece.\n"]
    comments = constant_comments(inspect.getsource(mod))
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name, None)
        if obj is None: continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)): out.append(_constant(name, obj, comments.get(name, ''))); continue
        out.append(_entry(name, obj, '##'))
        if inspect.isclass(obj): out += [_entry(f'{name}.{m}', f, '###', drop_self=True) for m, f in _methods(obj, obj.__module__)]
    for cls in _exported_classes():  # methods this module adds to a class of another module
        if cls.__module__ == mod.__name__ or not (fs := _methods(cls, mod.__name__)): continue
        out.append(f"## Methods added to `{cls.__name__}`\n\nThis module adds these methods to `{cls.__module__}.{cls.__name__}` with `@patch`.\n")
        out += [_entry(f'{cls.__name__}.{m}', f, '###', drop_self=True) for m, f in fs]
    return '\n'.join(out)

def vendor_mathjax(dst: Path):
    "Copy MathJax (tex-chtml and its fonts) from the npm registry's package into the site assets."
    cache = ROOT/'.ci'/'cache'
    tgz = next(iter(cache.glob('mathjax-*.tgz')), None) if cache.exists() else None
    if tgz is None:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(['npm', 'pack', MATHJAX, '--silent'], cwd=cache, check=True, stdout=subprocess.DEVNULL)
        tgz = next(cache.glob('mathjax-*.tgz'))
    with tarfile.open(tgz) as t, tempfile.TemporaryDirectory() as tmp:
        t.extractall(tmp, filter='data')
        es5 = Path(tmp)/'package'/'es5'
        (dst/'mathjax'/'output'/'chtml'/'fonts').mkdir(parents=True, exist_ok=True)
        shutil.copy(es5/'tex-chtml.js', dst/'mathjax'/'tex-chtml.js')
        shutil.copytree(es5/'output'/'chtml'/'fonts'/'woff-v2', dst/'mathjax'/'output'/'chtml'/'fonts'/'woff-v2', dirs_exist_ok=True)

MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true},
  options: {ignoreHtmlClass: 'highlight|jp-CodeMirrorEditor|jp-OutputArea', processHtmlClass: 'jp-RenderedMarkdown'}  // prose only, never code or outputs
};
"""

# wide equations scroll instead of spilling; the page grid is wider than Material's 61rem, for the results tables
EXTRA_CSS = """mjx-container[display="true"] { overflow-x: auto; overflow-y: hidden; }
.md-grid { max-width: 80rem; }
"""

def _nav_title(nb:Path) -> str:
    "'03 Efficient' for 03_efficient.ipynb."
    num, _, rest = nb.stem.partition('_')
    return f"{num} {rest.replace('_', ' ').capitalize()}"

def _deterministic(out:Path):
    "Make a rebuild of unchanged sources give unchanged files: sitemap.xml.gz without a time stamp, random widget ids pinned."
    sm = out/'sitemap.xml'
    if sm.exists(): (out/'sitemap.xml.gz').write_bytes(gzip.compress(sm.read_bytes(), mtime=0))
    for page in out.rglob('*.html'):
        text = page.read_text(encoding='utf-8')
        ids = dict.fromkeys(re.findall(r'\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b', text))  # uuid4s drawn at build time
        for k, u in enumerate(ids): text = text.replace(u, f'00000000-0000-4000-8000-{k:012d}')
        if ids: page.write_text(text, encoding='utf-8')

def build(out: Path):
    "Stage sources, write mkdocs.yml and build the site into `out`."
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)/'src'; (src/'api').mkdir(parents=True); (src/'research').mkdir()
        nav, api_nav = {'home': [], 'course': [], 'research': []}, []
        for part in nav:
            for nb in notebooks(part):
                rel = site_path(nb)
                stage_notebook(nb, src/rel)
                nav[part].append({'Home' if part == 'home' else _nav_title(nb): rel})
                mod = _module_of(nb)
                if mod: (src/'api'/f'{mod}.md').write_text(api_page(mod, rel)); api_nav.append({mod: f'api/{mod}.md'})
        for page, site in PAGES.items():
            if (ROOT/page).exists(): (src/site).write_text((ROOT/page).read_text())
        (src/'assets').mkdir(); vendor_mathjax(src/'assets'); (src/'assets'/'mathjax-config.js').write_text(MATHJAX_CONFIG)
        (src/'assets'/'extra.css').write_text(EXTRA_CSS)
        cfg = dict(site_name='diffrec_nb', site_description='Sequential Recommendation with Diffusion Models, as notebooks and a library',
                   repo_url=f'https://github.com/{REPO}', docs_dir=str(src), site_dir=str(out.resolve()), use_directory_urls=False,
                   theme=dict(name='material', features=['navigation.sections', 'navigation.top', 'search.highlight', 'content.code.copy']),
                   plugins=['search', {'mkdocs-jupyter': dict(execute=False, include_source=True, ignore_h1_titles=False, include_requirejs=False,
                                                             remove_tag_config={'remove_input_tags': ['remove_input']})}],
                   markdown_extensions=['tables', 'admonition', {'pymdownx.arithmatex': {'generic': True}}],
                   extra_javascript=['assets/mathjax-config.js', 'assets/mathjax/tex-chtml.js'], extra_css=['assets/extra.css'],
                   nav=nav['home'] + [{'The course': nav['course']}, {'The research record': nav['research']}]
                       + ([{'All results': 'results.md'}] if (src/'results.md').exists() else []) + [{'API reference': api_nav}]
                       + ([{'Changelog': 'changelog.md'}] if (src/'changelog.md').exists() else []))
        (Path(tmp)/'mkdocs.yml').write_text(json.dumps(cfg))  # JSON is valid YAML
        if out.exists(): shutil.rmtree(out)
        subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--quiet', '-f', str(Path(tmp)/'mkdocs.yml')], check=True)
    (out/'.nojekyll').touch()
    _deterministic(out)
    return out

if __name__ == '__main__':
    out = Path(sys.argv[sys.argv.index('--out') + 1]) if '--out' in sys.argv else ROOT/'docs'
    print('built', build(out))

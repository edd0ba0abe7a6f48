"""Write README.md from nbs/index.ipynb (nbdev's own README step needs Quarto, which is not installable offline), and
RESULTS.md, the full results page, from the results store (`diffrec_nb.findings.results_page`).

Markdown cells are copied; code cells are dropped when hidden (`#| hide`), shown without their source with `#| echo: false`,
and otherwise shown with their text outputs.
`python .ci/readme.py --check` exits 1 when README.md or RESULTS.md is out of date.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]

def render(nb_path=root/'nbs'/'index.ipynb') -> str:
    "README text for the index notebook."
    nb, parts = json.loads(Path(nb_path).read_text()), []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(src.strip()); continue
        if c['cell_type'] != 'code' or '#| hide' in src or '#|hide' in src: continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code and 'echo: false' not in src: parts.append(f"```python\n{code}\n```")
        for o in c.get('outputs', []):
            text = ''.join(o.get('text', '') or o.get('data', {}).get('text/markdown', '') or o.get('data', {}).get('text/plain', ''))
            if 'text/markdown' in o.get('data', {}): parts.append(text.strip())
            elif text.strip(): parts.append(f"```\n{text.rstrip()}\n```")
    return "<!-- generated from nbs/index.ipynb by .ci/readme.py: do not edit -->\n\n" + '\n\n'.join(parts) + '\n'

def results() -> str:
    "RESULTS.md: every stored table, read from the store."
    from diffrec_nb.findings import results_page
    return results_page() + '\n'

if __name__ == '__main__':
    pages = {root/'README.md': render, root/'RESULTS.md': results}
    if '--check' in sys.argv:
        bad = [p.name for p, f in pages.items() if not p.exists() or p.read_text() != f()]
        print(f"{', '.join(bad)} out of date: run python .ci/readme.py" if bad else 'README.md and RESULTS.md are in sync with nbs/index.ipynb and the store')
        sys.exit(1 if bad else 0)
    for p, f in pages.items(): p.write_text(f())

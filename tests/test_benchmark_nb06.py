"""benchmarks/nb06_char_rnn.py runs notebook 06 itself and reads its results:
the names it reads must stay defined by the notebook, and it copies no code."""
import ast
import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _benchmark():
    spec = importlib.util.spec_from_file_location("nb06_char_rnn", ROOT / "benchmarks" / "nb06_char_rnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assigned_names(source: str) -> set:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def test_benchmark_reads_names_the_notebook_defines():
    bench = _benchmark()
    nb = nbformat.read(bench.NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith("%"))
    defined = _assigned_names(code)
    missing = [name for name in bench.REPORT_NAMES if name not in defined]
    assert not missing, f"the benchmark reads names notebook 06 no longer defines: {missing}"
    used = {n.id for n in ast.walk(ast.parse(bench.REPORT_CELL)) if isinstance(n, ast.Name)}
    assert used - {"json", "float", "len", "print", "k", "v"} <= set(bench.REPORT_NAMES)


def test_benchmark_copies_no_model_code():
    source = (ROOT / "benchmarks" / "nb06_char_rnn.py").read_text()
    for marker in ("keras.layers", "keep in sync", "def build", "def make_generator"):
        assert marker not in source, f"benchmarks/nb06_char_rnn.py holds model code ({marker!r}): run the notebook"

"""Benchmark for notebook 06: the character-level language model.

Runs ``notebooks/06_rnn_text.ipynb`` itself (nbclient), in full mode with an
empty model cache, so every figure comes from the code students run: no copy
of the model, the split or the generator lives here. One cell is appended to
read the notebook's results. Prints
  * the held-out (test) loss in nats/char and perplexity, next to the unigram,
    bigram and trigram models on the same split,
  * the seconds spent training the character model,
  * the seconds to generate 500 characters with the notebook's sampling loop,
  * the whole notebook's wall time and CPU time (user + sys of the kernel),
    the slowest cells, and the 1-minute load average before and after (the
    CPU may be shared: CPU seconds / cores = wall time on an idle machine).

Targets on a 2-core CPU: held-out loss <= 1.85 nats/char on Tiny Shakespeare;
training <= 300 s; 500 characters in <= 2 s.

Run:  COURSE_DATA_DIR=../shared/data python benchmarks/nb06_char_rnn.py [--fast] [--save /tmp/06-run.ipynb]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_rnn_text.ipynb"

# The names this cell reads must stay defined by the notebook (tests/test_check_nb06.py checks it).
REPORT_NAMES = ["test_loss", "ngram_test", "uniform_loss", "run", "gen_seconds", "char_model", "text_name", "text",
                "V", "EPOCHS", "UNITS", "sample_500"]
REPORT_CELL = """
import json
print("BENCHMARK " + json.dumps({
    "test_loss": float(test_loss), "ngram": {k: float(v) for k, v in ngram_test.items()},
    "uniform": float(uniform_loss), "train_seconds": run.seconds, "loaded": run.loaded,
    "gen_seconds": gen_seconds, "params": char_model.count_params(), "text": text_name, "chars": len(text),
    "V": V, "epochs": EPOCHS, "units": UNITS, "sample": sample_500}))
"""


def run_notebook(fast: bool, save: Path | None = None) -> tuple[dict, list, float, float]:
    """Execute the notebook with an empty cache (and write the executed copy to
    ``save``); return (results, slowest cells, wall seconds, kernel CPU seconds)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    with tempfile.TemporaryDirectory() as cache:
        os.environ.update({"COURSE_FAST": "1" if fast else "0", "COURSE_CACHE_DIR": cache,
                           "COURSE_CHECK_STRICT": "0", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"})
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)   # the kernel has exited and been waited for
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if save is not None:
        nbformat.write(nb, save)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    results = json.loads(text.split("BENCHMARK ", 1)[1])
    claims_missed = [line for cell in nb.cells for o in cell.get("outputs", []) for line in o.get("text", "").splitlines()
                     if "NOT SHOWN" in line]
    results["claims_missed"] = claims_missed
    timed = []
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            from datetime import datetime
            seconds = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                       - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
            timed.append((seconds, index, cell.source.splitlines()[0][:60]))
    return results, sorted(timed, reverse=True)[:5], wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="fast mode (COURSE_FAST=1): a quick smoke run")
    parser.add_argument("--save", type=Path, metavar="PATH",
                        help="also write the executed notebook there (outside notebooks/), to look at its figures")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results, slowest, wall, cpu = run_notebook(args.fast, args.save)
    r = results
    print(f"text: {r['text']}, {r['chars']:,} characters, V = {r['V']}; uniform ln V = {r['uniform']:.3f} nats/char")
    print(f"model: LSTM {r['units']} units, {r['params']:,} parameters, {r['epochs']} epochs "
          f"({'fast' if args.fast else 'full'} mode)")
    print("test loss (nats/char): " + ", ".join(f"{k} {v:.3f}" for k, v in r["ngram"].items())
          + f", LSTM {r['test_loss']:.3f} (perplexity {2.718281828 ** r['test_loss']:.2f})")
    print(f"training: {r['train_seconds']:.1f} s" + (" (loaded from cache?)" if r["loaded"] else ""))
    print(f"generation: 500 characters in {r['gen_seconds']:.3f} s")
    print(f"whole notebook: {wall:.0f} s wall, {cpu:.0f} s CPU (user+sys of the kernel) on {os.cpu_count()} cores")
    print("slowest cells: " + "; ".join(f"cell {i} {s:.0f} s ({src})" for s, i, src in slowest))
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    if r["claims_missed"]:
        print("claims not shown in this run:\n  " + "\n  ".join(r["claims_missed"]))
    if not args.fast:
        shakespeare = r["text"] == "Tiny Shakespeare"
        print("targets:", ("loss OK" if r["test_loss"] <= 1.85 else "loss MISSED") if shakespeare else "loss n/a (not Shakespeare)",
              "| time OK" if r["train_seconds"] <= 300 else "| time MISSED",
              "| gen OK" if r["gen_seconds"] <= 2 else "| gen MISSED")
    print("--- sample (T = 0.5) ---\n" + r["sample"])


if __name__ == "__main__":
    main()

"""The course website: every notebook executed, as static pages in site/.

    python3 course.py site                 full mode (what students run; the model cache makes re-runs fast)
    python3 course.py site --fast          fast mode (CI); every page then says it was built from a fast run
    python3 course.py site --notebooks 01 04 --jobs 1 --out DIR

Pages are made by nbconvert with JupyterLab's own template ("lab"), extended in
tools/site/templates/course/: a navigation bar, the lecture topics from the
README's course map, alt text on figures, solutions folded, MathJax served
from the site folder (from the pinned jupyter-server-mathjax package), and
sliders over precomputed outputs where a notebook cell asks for them
(``metadata.course.site_slider``, or tools/site/sliders.json for cells that
do not carry it yet; README, "The course website"). Nothing is loaded from
the network: open site/index.html from the folder.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import html
import json
import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from course_utils import frames as course_frames  # noqa: E402
from course_utils import launch  # noqa: E402
from course_utils.execute import package_fingerprint  # noqa: E402
from course_utils.shipped import export_notebooks  # noqa: E402

MARKER = ".course-site"   # only a folder holding this file is ever emptied by the builder
INJECTED = "course_site_injected"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="course-widget-note"><em>Interactive control: it needs a running notebook '
               '(open this notebook in JupyterLab, Colab or Binder to use it).</em></p>')
LONGEST_FIRST = ["06", "07", "05", "00", "04", "03", "02", "01"]   # two at a time: balance the cores
MATHJAX_PARTS = ["MathJax.js", "config", "jax/input", "jax/element", "jax/output/HTML-CSS", "fonts",
                 "extensions"]


def course_map(readme: Path = ROOT / "README.md") -> dict[str, dict]:
    """Rows of the README's course map: stem -> topics, full-mode minutes, exercises."""
    rows = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `(\d\d_\w+)` \| (.+?) \| (.+?) \| (.+?) \|\s*$", line)
        if m:
            rows[m.group(1)] = {"topics": m.group(2), "minutes": m.group(3), "exercises": m.group(4)}
    return rows


def slider_specs(nb, name: str, registry: dict) -> list[tuple[int, dict]]:
    """(cell index, spec) for every cell that asks for a slider: its own
    ``metadata.course.site_slider``, else an entry of sliders.json whose
    ``find`` text is in the cell."""
    found = []
    entries = list(registry.get(Path(name).stem, []))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        spec = cell.metadata.get("course", {}).get("site_slider")
        if spec is None:
            spec = next((e for e in entries if e["find"] in cell.source), None)
        if spec is not None:
            found.append((i, spec))
    return found


def _py(value) -> str:
    """A spec value as Python source: strings are expressions, lists are literals."""
    return value if isinstance(value, str) else repr(value)


def injected_cells(spec: dict) -> tuple[str | None, str]:
    """The code run in the kernel before (or None) and after a slider cell."""
    opts = f"label={spec.get('label')!r}, max_frames={int(spec.get('max_frames', course_frames.MAX_FRAMES))}"
    head = "import course_utils.frames as __course_frames\n"
    if spec.get("interact"):
        before = (head + f"__course_site_cm = __course_frames.record_interact(vary={spec.get('vary')!r}, {opts})\n"
                  "__course_site_cm.__enter__()")
        return before, "__course_site_cm.__exit__(None, None, None)"
    if "control" in spec:
        values = _py(spec["values"]) if "values" in spec else "None"
        return None, head + (f"__course_frames.record_control({spec['control']}, {spec.get('view', 'None')}, "
                             f"values={values}, {opts})")
    if "call" in spec:
        initial = _py(spec["initial"]) if "initial" in spec else "None"
        return None, head + (f"__course_frames.record({spec['call']}, {_py(spec['values'])}, "
                             f"initial={initial}, {opts})")
    raise ValueError(f"a site_slider needs 'interact', 'control' or 'call': {spec}")


def with_sliders(nb, name: str, registry: dict):
    """A copy of ``nb`` with the recording cells around every slider cell; returns (nb, count)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    specs = slider_specs(nb, name, registry)
    for i, spec in reversed(specs):
        before, after = injected_cells(spec)
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(after, metadata={INJECTED: True}))
        if before:
            nb.cells.insert(i, nbformat.v4.new_code_cell(before, metadata={INJECTED: True}))
    return nb, len(specs)


def slider_html(data: dict) -> str:
    """The slider over one recorded set of frames (course-site.js moves it)."""
    esc = html.escape
    frames, initial = data["frames"], int(data["initial"])
    parts = [f'<div class="course-frames" data-frames="{len(frames)}">',
             f'<label class="course-frames-control">{esc(data["label"] or "value")} '
             f'<input type="range" min="0" max="{len(frames) - 1}" step="1" value="{initial}" '
             f'aria-valuetext="{esc(frames[initial]["value"])}"> <output>{esc(frames[initial]["value"])}</output></label>']
    for k, frame in enumerate(frames):
        parts.append(f'<div class="course-frame" data-value="{esc(frame["value"])}"{"" if k == initial else " hidden"}>')
        for item in frame["items"]:
            if item.get("png"):
                alt = item.get("alt") or f'{data["label"] or "value"} {frame["value"]}'
                parts.append(f'<img src="data:image/png;base64,{item["png"]}" alt="{esc(alt)}">')
            elif item.get("html"):
                parts.append(item["html"])   # the course's own figure description (describe.py)
            elif item.get("text"):
                parts.append(f"<pre>{esc(item['text'])}</pre>")
        parts.append("</div>")
    parts.append(f'<p class="course-frames-note">{len(frames)} outputs computed when this site was built; '
                 "run the notebook to try any value.</p></div>")
    return "\n".join(parts)


def for_the_page(nb):
    """Move recorded frames into the cell they belong to, drop the recording
    cells and the Colab bootstrap cell, the widget state (no widget manager on the page) and the live
    widget views of cells that have frames; other widget views become a note."""
    cells = []
    for cell in nb.cells:
        if cell.metadata.get(INJECTED):
            frames = [o for o in cell.get("outputs", []) if course_frames.MIME in o.get("data", {})]
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                raise RuntimeError(f"recording a slider failed: {errors[0].get('ename')}: {errors[0].get('evalue')}")
            if frames and cells:
                cells[-1].outputs.extend(frames)
            continue
        if launch.BOOTSTRAP_TAG in cell.metadata.get("tags", []):
            continue   # the Colab bootstrap cell: it did nothing here, and on a page it is noise
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    sliders = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        has_frames = any(course_frames.MIME in o.get("data", {}) for o in cell.outputs)
        sliders += has_frames
        outputs = []
        for out in cell.outputs:
            if WIDGET_VIEW in out.get("data", {}):
                if has_frames:
                    continue
                out = nbformat.v4.new_output("display_data", data={"text/html": WIDGET_NOTE})
            elif course_frames.MIME in out.get("data", {}):
                out = nbformat.v4.new_output("display_data", data={"text/html": slider_html(out["data"][course_frames.MIME])})
            outputs.append(out)
        cell.outputs = outputs
    return nb, sliders


def _execute(job: dict) -> dict:
    """Run one notebook (in a worker process); write the executed copy."""
    from course_utils.execute import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(job["source"], as_version=4)
    start = time.time()
    error = None
    try:
        # widget state saved: the pages drop it, tools/slides_fit.py reuses these fast-mode runs
        NotebookClient(nb, timeout=1800, kernel_name="python3", record_timing=False, store_widget_state=True,
                       resources={"metadata": {"path": job["cwd"]}}).execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else repr(exc)
    nbformat.write(nb, job["target"])
    return {"name": job["name"], "seconds": round(time.time() - start, 1), "error": error}


def _mathjax(static: Path) -> None:
    import jupyter_server_mathjax

    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    for part in MATHJAX_PARTS:
        source, target = src / part, static / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("a11y", "SVG"))
        else:
            shutil.copy2(source, target)
    shutil.copy2(src / "LICENSE", static / "mathjax" / "LICENSE")


def _exporter():
    from nbconvert import HTMLExporter

    # our own executed notebooks: their HTML (sliders, figure descriptions) is kept as it is
    return HTMLExporter(template_name="course", extra_template_basedirs=[str(TOOLS / "templates")], sanitize_html=False)


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(out: Path, fast: bool, chosen: list[str], jobs: int, say=print, render_only: bool = False) -> dict:
    out = out.resolve()
    if out.exists():
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise SystemExit(f"[site] {out} exists and was not made by this builder: not touching it")
        shutil.rmtree(out)
    # the executed notebooks: build/site-notebooks/ for the default site/, beside any other out folder
    work = ROOT / "build" / "site-notebooks" if out == (ROOT / "site").resolve() else out.with_name(out.name + ".work")
    if render_only:   # the pages again from the last run's executed notebooks (template work)
        last = json.loads((work / "run" / "last.json").read_text())
        return render(out, work, last["names"], last["fast"], last["runs"], last["wanted"], last["execute"], say)
    shutil.rmtree(work, ignore_errors=True)
    shipped = export_notebooks(work / "source", ROOT)
    names = [n for n in shipped.files if not chosen or any(n.startswith(c) for c in chosen)]
    registry = json.loads((TOOLS / "sliders.json").read_text())
    registry.pop("about", None)
    (work / "run").mkdir(parents=True)
    jobs_list, wanted = [], {}
    for name in names:
        nb, count = with_sliders(nbformat.read(work / "source" / name, as_version=4), name, registry)
        wanted[name] = count
        nbformat.write(nb, work / "run" / name)
        jobs_list.append({"name": name, "source": str(work / "run" / name), "cwd": str(work / "source"),
                          "target": str(work / "run" / f"executed-{name}")})
    jobs_list.sort(key=lambda j: LONGEST_FIRST.index(j["name"][:2]) if j["name"][:2] in LONGEST_FIRST else 99)
    os.environ.update(COURSE_FAST="1" if fast else "0", OPENBLAS_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    os.environ.pop("COURSE_CHECK_STRICT", None)   # a student's run: a claim that fails shows its warning
    os.environ.pop("MPLBACKEND", None)            # figures inline, as in JupyterLab
    say(f"executing {len(names)} notebook(s) in {'FAST' if fast else 'full'} mode, {jobs} at a time "
        f"(model cache: {os.environ.get('COURSE_CACHE_DIR') or 'the default'})")
    started, cpu0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    runs = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(_execute, jobs_list):
            runs[result["name"]] = result
            say(f"  {result['name']}: {result['seconds']} s" + (f"  ERROR: {result['error']}" if result["error"] else ""))
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    execute = {"wall_s": round(time.time() - started, 1),
               "cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 1),
               "load_average_after": [round(x, 1) for x in os.getloadavg()]}
    (work / "run" / "last.json").write_text(json.dumps({"names": names, "fast": fast, "runs": runs, "wanted": wanted,
                                                        "execute": execute, "course_utils": package_fingerprint()}))
    return render(out, work, names, fast, runs, wanted, execute, say)


def render(out: Path, work: Path, names: list[str], fast: bool, runs: dict, wanted: dict, execute: dict, say) -> dict:
    """Write the pages, the index and the static files from the executed notebooks."""
    started = time.time()

    static = out / "_static"
    static.mkdir(parents=True)
    (out / MARKER).write_text("made by python3 course.py site; the builder empties this folder on each run\n")
    _mathjax(static)
    for path in (TOOLS / "static").iterdir():
        shutil.copy2(path, static / path.name)
    rows = course_map()
    stems = [Path(n).stem for n in names]
    today = datetime.date.today().isoformat()
    note = (f"Built on {today} from a FAST-mode run (COURSE_FAST=1: small data, few epochs, as in CI): "
            "numbers and figures differ from what a full run shows." if fast else
            f"Built on {today} from a full-mode run, as a student runs it.")
    exporter = _exporter()
    pages, sliders = {}, {}
    for i, name in enumerate(names):
        stem = Path(name).stem
        nb = nbformat.read(work / "run" / f"executed-{name}", as_version=4)
        counts = _counts(nb)
        nb, sliders[stem] = for_the_page(nb)
        resources = {"metadata": {"name": stem}, "course": {
            "static": "_static/", "prev": stems[i - 1] if i else None,
            "next": stems[i + 1] if i + 1 < len(stems) else None, "fast": fast, "build_note": note,
            "topics": rows.get(stem, {}).get("topics", ""),   # no Colab/Binder links without a public address
            "colab": launch.colab_url(name) if launch.published() else None, "binder": launch.binder_url(name)}}
        page, _ = exporter.from_notebook_node(nb, resources=resources)
        (out / f"{stem}.html").write_text(page, encoding="utf-8")
        pages[stem] = {**counts, "bytes": len(page.encode()), "seconds": runs[name]["seconds"], "error": runs[name]["error"],
                       "sliders": sliders[stem], "slider_cells": wanted[name]}
    index = _index_notebook(rows, stems, fast, note)
    page, _ = exporter.from_notebook_node(index, resources={"metadata": {"name": "Deep learning, one experiment at a time"},
                                                           "course": {"static": "_static/", "fast": fast,
                                                                      "build_note": note}})
    (out / "index.html").write_text(page, encoding="utf-8")
    info = {"built": today, "fast": fast, "notebooks": pages, "execute_wall_s": execute["wall_s"],
            "execute_cpu_s": execute["cpu_s"], "render_wall_s": round(time.time() - started, 1),
            "load_average_after_execute": execute["load_average_after"], "size_bytes": _folder_size(out)}
    (out / "build.json").write_text(json.dumps(info, indent=1))
    say(f"site: {len(pages)} pages + index in {out} ({info['size_bytes'] / 1e6:.1f} MB); executing took "
        f"{info['execute_wall_s']} s wall, {info['execute_cpu_s']} s CPU; pages {info['render_wall_s']} s; "
        f"sliders: {sum(sliders.values())}; open {out / 'index.html'}")
    for stem, page in pages.items():
        if page["slider_cells"] and page["sliders"] < page["slider_cells"]:
            say(f"  note: {stem} asked for {page['slider_cells']} slider(s), {page['sliders']} recorded "
                "(a gated cell that did not run shows none)")
    return info


def _counts(nb) -> dict:
    """What the page must show (the browser test checks it): figures (PNG outputs,
    and the first frame of each slider), whether a figure is described, and how
    many markdown cells hold math."""
    figures, described = 0, False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                figures += 1
                described = described or bool(out.get("metadata", {}).get("image/png", {}).get("alt"))
            if course_frames.MIME in data:
                frames = data[course_frames.MIME]
                figures += sum(1 for item in frames["frames"][frames["initial"]]["items"] if item.get("png"))
    math = sum(1 for c in nb.cells if c.cell_type == "markdown" and "$" in c.source)
    return {"figures": figures, "described": described, "math_cells": math}


def _index_notebook(rows: dict, stems: list[str], fast: bool, note: str):
    table = ["| notebook | lecture topics | full mode (2-core CPU) | exercises |", "| --- | --- | --- | --- |"]
    for stem in stems:
        row = rows.get(stem, {"topics": "", "minutes": "", "exercises": ""})
        table.append(f"| [{stem}]({stem}.html) | {row['topics']} | {row['minutes']} | {row['exercises']} |")
    text = ("# Deep learning, one experiment at a time\n\n"
            "An interactive introductory deep-learning course: every idea shown by an experiment that runs "
            "on a laptop CPU. These pages show each notebook with its outputs; to run one, "
            + ("use its *Open in Colab* or *Open in Binder* link, or " if launch.published() else "")
            + "install the course (`python3 course.py lab`).\n\n"
            "## Course map\n\n" + "\n".join(table))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 course.py site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="execute in fast mode (CI); the pages say so")
    parser.add_argument("--notebooks", nargs="*", default=[], help="only these (e.g. 01 04)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--render-only", action="store_true",
                        help="only remake the pages from the last run's executed notebooks (template work)")
    args = parser.parse_args(argv)
    info = build(args.out, args.fast, args.notebooks, args.jobs, say=lambda line: print(f"[site] {line}", flush=True),
                 render_only=args.render_only)
    failed = [stem for stem, page in info["notebooks"].items() if page["error"]]
    if failed:
        print(f"[site] FAILED: {', '.join(failed)} stopped at an error (their pages show the outputs up to it)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

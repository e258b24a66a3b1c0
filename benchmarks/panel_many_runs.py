"""The tuning panel over a lesson: N one-epoch runs of a 784-128-10 MLP on up to
5k MNIST digits (80 % train, 20 % validation), clicked one after another as an
instructor would, then Reset. Prints the seconds of the first and last runs; the
process memory (RSS) before the first run, after the first (TensorFlow's one-time
start-up), after the last and after Reset; the MB per run after the first; how much
Reset gave back; the Python objects and TensorFlow graphs alive; and the number of
models still held. Figures only, no pass/fail.

    python benchmarks/panel_many_runs.py [--runs 30]
"""
import argparse
import gc
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="Train clicks before Reset (at least 2; default 30)")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs: at least 2 (the first run includes TensorFlow's start-up)")
    import keras
    import numpy as np
    import tensorflow as tf

    def alive() -> tuple[int, int]:
        """(Python objects, TensorFlow graphs) alive after a collection."""
        gc.collect()
        objects = gc.get_objects()
        return len(objects), sum(1 for o in objects if isinstance(o, tf.Graph))

    import course_utils.widgets as widgets
    from course_utils import data

    m = data.load_mnist(verbose=False)
    n = min(5000, len(m.x_train))
    x = m.x_train[:n].reshape(n, -1).astype("float32") / 255
    y = m.y_train[:n]
    split = int(0.8 * n)

    def build(rate):
        return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                                 keras.layers.Dropout(rate), keras.layers.Dense(10, activation="softmax")])

    panel = widgets.TuningPanel(build, (x[:split], y[:split]), (x[split:], y[split:]), epochs=1)
    seconds, rss_runs = [], []
    start_rss = rss_mb()
    cpu0 = time.process_time()
    cpu_seconds = []
    for i in range(args.runs):
        started, cpu = time.perf_counter(), time.process_time()
        panel.train_button.click()
        panel.wait()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu)
        rss_runs.append(rss_mb())
        if i == 0:
            objects_1, graphs_1 = alive()
        print(f"run {i + 1}: {seconds[-1]:.2f} s wall, {cpu_seconds[-1]:.2f} s CPU, RSS {rss_runs[-1]:.0f} MB, "
              f"draws {panel.live.draw_count}", flush=True)
    after_rss = rss_mb()
    objects_n, graphs_n = alive()
    held = sum(1 for r in panel.runs if r.get("model") is not None)
    panel.reset_button.click()
    reset_rss = rss_mb()
    objects_r, graphs_r = alive()
    per_run = (after_rss - rss_runs[0]) / (args.runs - 1)
    given_back = after_rss - reset_rss
    print(f"runs {args.runs}: first {seconds[0]:.2f} s, median of first 5 {np.median(seconds[:5]):.2f} s, "
          f"last {seconds[-1]:.2f} s, median of last 5 {np.median(seconds[-5:]):.2f} s; CPU per run: median of "
          f"first 5 {np.median(cpu_seconds[:5]):.2f} s, of last 5 {np.median(cpu_seconds[-5:]):.2f} s; "
          f"RSS before {start_rss:.0f} MB, after {after_rss:.0f} MB (+{after_rss - start_rss:.0f}), "
          f"after Reset {reset_rss:.0f} MB (+{reset_rss - start_rss:.0f}); models held {held}; "
          f"CPU {time.process_time() - cpu0:.0f} s; draws {panel.live.draw_count}")
    print(f"memory: RSS before the first run {start_rss:.0f} MB, after run 1 {rss_runs[0]:.0f} MB "
          f"(TensorFlow start-up), after run {args.runs} {after_rss:.0f} MB, after Reset {reset_rss:.0f} MB; "
          f"{per_run:+.1f} MB per run after the first; Reset "
          + (f"gave back {given_back:.0f} MB" if given_back > 0 else f"gave back nothing ({given_back:+.0f} MB)")
          + f"; Python objects {objects_1} after run 1, {objects_n} after run {args.runs} "
          f"({(objects_n - objects_1) / (args.runs - 1):+.0f} per run), {objects_r} after Reset; "
          f"TensorFlow graphs alive {graphs_1} -> {graphs_n} -> {graphs_r}")


if __name__ == "__main__":
    main()

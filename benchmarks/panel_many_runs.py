"""The tuning panel over a lesson: N one-epoch runs of a 784-128-10 MLP on up to
5k MNIST digits (80 % train, 20 % validation), clicked one after another as an instructor would. Prints the seconds of
the first and last runs, the process memory (RSS) before the first run, after the
last one and after Reset, and the number of models still held.

    python benchmarks/panel_many_runs.py [--runs 30]
"""
import argparse
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    import keras
    import numpy as np

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
    seconds = []
    start_rss = rss_mb()
    cpu0 = time.process_time()
    cpu_seconds = []
    for i in range(args.runs):
        started, cpu = time.perf_counter(), time.process_time()
        panel.train_button.click()
        panel.wait()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu)
        print(f"run {i + 1}: {seconds[-1]:.2f} s wall, {cpu_seconds[-1]:.2f} s CPU, RSS {rss_mb():.0f} MB, "
              f"draws {panel.live.draw_count}", flush=True)
    after_rss = rss_mb()
    held = sum(1 for r in panel.runs if r.get("model") is not None)
    panel.reset_button.click()
    import gc
    gc.collect()
    reset_rss = rss_mb()
    print(f"runs {args.runs}: first {seconds[0]:.2f} s, median of first 5 {np.median(seconds[:5]):.2f} s, "
          f"last {seconds[-1]:.2f} s, median of last 5 {np.median(seconds[-5:]):.2f} s; CPU per run: median of "
          f"first 5 {np.median(cpu_seconds[:5]):.2f} s, of last 5 {np.median(cpu_seconds[-5:]):.2f} s; "
          f"RSS before {start_rss:.0f} MB, after {after_rss:.0f} MB (+{after_rss - start_rss:.0f}), "
          f"after Reset {reset_rss:.0f} MB (+{reset_rss - start_rss:.0f}); models held {held}; "
          f"CPU {time.process_time() - cpu0:.0f} s; draws {panel.live.draw_count}")


if __name__ == "__main__":
    main()

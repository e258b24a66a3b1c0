"""Benchmark for notebook 06: the character-level Shakespeare model.

Trains the char model with the notebook's full-mode settings (same data split,
model, optimizer and epochs), then prints
  * held-out loss in nats/char (and perplexity) on the last 10% of the text,
  * training seconds,
  * seconds to generate 500 characters with the step-wise tf.function loop,
  * the 1-minute load average before and after (the CPU may be shared), and
    the process's CPU time (CPU seconds / cores = wall time on an idle machine).

Targets on a 2-core CPU: held-out loss <= 1.7 nats/char after <= 300 s of
training; 500 characters in <= 2 s.

Run:  COURSE_DATA_DIR=../shared/data python benchmarks/nb06_char_rnn.py [--epochs N]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import course_utils  # noqa: E402
from course_utils.data import load_shakespeare  # noqa: E402

# Full-mode settings of notebooks/06_rnn_text.ipynb (keep in sync).
SEQ_LEN, BATCH, EMBED, UNITS, LR, EPOCHS, HOLDOUT = 100, 128, 64, 256, 4e-3, 10, 0.1


def windows(ids, seq_len):
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1: n * seq_len + 1].reshape(n, seq_len)
    return x, y


def build(vocab_size, steps_total):
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, EMBED),
        keras.layers.LSTM(UNITS, return_sequences=True),
        keras.layers.Dense(vocab_size),
    ])
    schedule = keras.optimizers.schedules.CosineDecay(LR, steps_total, alpha=0.1)
    model.compile(keras.optimizers.Adam(schedule, clipnorm=1.0),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def make_generator(model):
    emb, lstm, dense = model.layers
    cell = lstm.cell

    @tf.function
    def generate(prompt_ids, n, temperature, seed):
        """prompt_ids (B, P) int32, temperature (B,) float32 (0 = greedy), seed int32."""
        b = tf.shape(prompt_ids)[0]
        states = [tf.zeros((b, UNITS)), tf.zeros((b, UNITS))]
        logits = tf.zeros((b, dense.units))
        for t in tf.range(tf.shape(prompt_ids)[1]):
            h, states = cell(emb(prompt_ids[:, t]), states)
            logits = dense(h)
        out = tf.TensorArray(tf.int32, size=n)
        for i in tf.range(n):
            safe_t = tf.maximum(temperature, 1e-6)[:, None]
            sampled = tf.random.stateless_categorical(logits / safe_t, 1, seed=tf.stack([seed, i]),
                                                     dtype=tf.int32)[:, 0]
            nxt = tf.where(temperature > 0, sampled, tf.argmax(logits, -1, output_type=tf.int32))
            out = out.write(i, nxt)
            h, states = cell(emb(nxt), states)
            logits = dense(h)
        return tf.transpose(out.stack())

    return generate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    course_utils.set_seeds(0)
    text = load_shakespeare()
    vocab = sorted(set(text.text))
    lookup = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((lookup[c] for c in text.text), dtype=np.int32, count=len(text.text))
    split = int(len(ids) * (1 - HOLDOUT))
    x_tr, y_tr = windows(ids[:split], SEQ_LEN)
    x_te, y_te = windows(ids[split:], SEQ_LEN)
    steps = len(x_tr) // BATCH
    ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(len(x_tr), seed=0)
          .batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    model = build(len(vocab), steps * args.epochs)
    t0, cpu0 = time.perf_counter(), time.process_time()
    hist = model.fit(ds, epochs=args.epochs, verbose=2)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    test_loss = model.evaluate(x_te, y_te, batch_size=256, verbose=0)

    gen = make_generator(model)
    prompt = tf.constant([[lookup[c] for c in "ROMEO:"]], tf.int32)
    gen(prompt, tf.constant(10), tf.constant([0.5]), tf.constant(0))  # trace once
    t0 = time.perf_counter()
    out = gen(prompt, tf.constant(500), tf.constant([0.5]), tf.constant(0)).numpy()[0]
    gen_s = time.perf_counter() - t0
    sample = "ROMEO:" + "".join(vocab[i] for i in out)

    print(f"text: {text.source}; vocab {len(vocab)}; uniform baseline ln(V) = {np.log(len(vocab)):.3f} nats/char")
    print(f"model: LSTM {UNITS}, embed {EMBED}, seq {SEQ_LEN}, batch {BATCH}, epochs {args.epochs}, "
          f"{model.count_params():,} params")
    print(f"held-out loss: {test_loss:.3f} nats/char (perplexity {np.exp(test_loss):.2f}); "
          f"last train loss {hist.history['loss'][-1]:.3f}")
    print(f"training: {train_s:.1f} s on {'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'} "
          f"({os.cpu_count()} cores); CPU time {train_cpu:.0f} s = {train_cpu / os.cpu_count():.0f} s of "
          f"wall time if this process had every core to itself")
    print(f"generation: 500 chars in {gen_s:.3f} s")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("targets:", "loss OK" if test_loss <= 1.7 else "loss MISSED",
          "| time OK" if train_s <= 300 else "| time MISSED", "| gen OK" if gen_s <= 2 else "| gen MISSED")
    print("--- sample (T=0.5) ---\n" + sample)


if __name__ == "__main__":
    main()

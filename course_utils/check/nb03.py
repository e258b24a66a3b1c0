"""Self-checks for notebook 03 (backpropagation).

Each check calls the student's function on test cases, compares with a
hidden reference and explains what kind of mistake it sees. Returns a bool.
"""
from __future__ import annotations

import numpy as np

from course_utils.check import call_for_result, call_safely, compare_arrays, report

__all__ = ["backward", "hidden_deltas", "fixed_linear_backward"]


def _rng(seed: int = 3) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(a, b) -> bool:
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- autodiff backward
class _Node:
    """A minimal node with the interface of the notebook's Value: data, grad, parents, backward_step()."""

    def __init__(self, data, parents=()):
        self.data, self.grad, self.parents, self.calls = float(data), 0.0, tuple(parents), 0
        self._step = lambda: None

    def backward_step(self):
        self.calls += 1
        self._step()


def _op(value, parents, local_grads):
    out = _Node(value, parents)

    def step():
        for parent, local in zip(parents, local_grads):
            parent.grad += local * out.grad
    out._step = step
    return out


def _add(a, b): return _op(a.data + b.data, (a, b), (1.0, 1.0))
def _mul(a, b): return _op(a.data * b.data, (a, b), (b.data, a.data))
def _exp(a): return _op(np.exp(a.data), (a,), (np.exp(a.data),))
def _tanh(a): return _op(np.tanh(a.data), (a,), (1 - np.tanh(a.data) ** 2,))
def _const(c): return _Node(c)


def _graph(kind):
    """(root, leaves) for one test graph, built fresh each time."""
    if kind == "neuron":                  # the lecture's sigmoid neuron: 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))
        leaves = {k: _Node(v) for k, v in dict(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0).items()}
        s = _add(_add(_mul(leaves["w0"], leaves["x0"]), _mul(leaves["w1"], leaves["x1"])), leaves["w2"])
        e = _exp(_mul(s, _const(-1.0)))
        d = _add(e, _const(1.0))
        return _op(1 / d.data, (d,), (-1 / d.data ** 2,)), leaves
    if kind == "reused":                  # x is used near the output and again through a longer path
        leaves = {"a": _Node(1.5), "b": _Node(-0.7)}
        x = _mul(leaves["a"], leaves["b"])
        q = _tanh(_mul(x, _const(2.0)))
        p = _add(q, _const(1.0))
        return _mul(p, x), leaves
    if kind == "fan":                     # one input used four times: a*a*a + a
        leaves = {"a": _Node(0.8)}
        a = leaves["a"]
        return _add(_mul(_mul(a, a), a), a), leaves
    if kind == "chain":                   # 150 operations deep
        leaves = {"x": _Node(0.3), "w": _Node(0.9)}
        u = leaves["x"]
        for _ in range(75):
            u = _tanh(_mul(u, leaves["w"]))
        return u, leaves
    if kind == "unused":                  # c does not reach the root
        leaves = {"a": _Node(2.0), "b": _Node(3.0), "c": _Node(4.0)}
        _mul(leaves["c"], leaves["a"])
        return _mul(leaves["a"], leaves["b"]), leaves
    raise ValueError(kind)


def _topological(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:                          # iterative depth-first walk, a node after its parents
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order


def _run_variant(root, variant):
    """Reference backward, or one typical mistake, on a fresh graph."""
    if variant == "bfs":                  # breadth-first from the root, each node once
        order, seen, queue = [], set(), [root]
        while queue:
            node = queue.pop(0)
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                queue.extend(node.parents)
        root.grad = 1.0
        for node in order:
            node.backward_step()
        return
    if variant == "no_visited":           # every path walked: shared nodes appear (and run) several times
        order = []

        def visit(node):
            for parent in node.parents:
                visit(parent)
            order.append(node)
        visit(root)
        root.grad = 1.0
        for node in reversed(order):
            node.backward_step()
        return
    order = _topological(root)
    if variant == "forward":
        root.grad = 1.0
        for node in order:
            node.backward_step()
        return
    if variant == "seed_after":
        for node in reversed(order):
            node.backward_step()
        root.grad = 1.0
        return
    root.grad = 1.0
    for node in reversed(order):
        node.backward_step()


_BACKWARD_MISTAKES = {
    "forward": "the steps ran from the inputs to the output: run them in REVERSE topological order, output first, "
               "so that each node has received all of its gradient before it passes it on.",
    "seed_after": "root.grad = 1 is set after the steps ran: seed the output's gradient first, then walk back.",
    "no_visited": "a node used several times ran its backward step several times, so its parents got its gradient "
                  "more than once: keep a set of visited nodes, so that each node appears once in the order.",
    "bfs": "a node ran its step before all of its users had added their gradient (a breadth-first order is not "
           "topological when a node is reached by paths of different lengths): order the nodes so that each comes "
           "after all of its parents, then reverse.",
}


def backward(fn) -> bool:
    """Check ``fn(root)``: reverse-mode autodiff over nodes with .parents, .grad and .backward_step()."""
    for kind in ("neuron", "reused", "fan", "chain", "unused"):
        root, leaves = _graph(kind)
        _, err = call_safely(fn, root)
        if err:
            if "recursion" in err.lower():
                err += " The walk must also work on a graph 150 operations deep."
            return report(False, f"backward: {err}")
        ref_root, ref_leaves = _graph(kind)
        _run_variant(ref_root, "reference")
        got = {k: n.grad for k, n in leaves.items()}
        want = {k: n.grad for k, n in ref_leaves.items()}
        if all(np.isclose(got[k], want[k], rtol=1e-9, atol=1e-12) for k in want) and np.isclose(root.grad, 1.0):
            continue
        if root.grad == 0 and all(g == 0 for g in got.values()):
            return report(False, "backward did not change any gradient: the exercise is not done yet "
                                 "(set root.grad = 1, then run the backward steps).")
        nodes = _topological(root)
        if any(n.calls > 1 for n in nodes):
            return report(False, "backward: " + _BACKWARD_MISTAKES["no_visited"])
        if any(n.calls == 0 for n in nodes if n.parents):
            return report(False, "backward: some nodes never ran their backward step: walk every node the root "
                                 "depends on, through all parents.")
        got_all = [n.grad for n in _topological(root)]       # every node, in the same order for identical graphs
        for variant, message in _BACKWARD_MISTAKES.items():
            r, _ = _graph(kind)
            _run_variant(r, variant)
            if np.allclose(got_all, [n.grad for n in _topological(r)], rtol=1e-9, atol=1e-12):
                return report(False, "backward: " + message)
        if not np.isclose(root.grad, 1.0):
            return report(False, f"backward: the output's own gradient ends at {root.grad:g}; it should be 1 "
                                 "(df/df = 1).")
        return report(False, f"backward: wrong input gradients on a test graph ({kind}); check the order of the steps.")
    return report(True, "backward runs every node's step once, in reverse topological order, seeded with 1: "
                        "correct on shared nodes, long chains and parts that do not reach the output.")


# --------------------------------------------------------------------------- hidden deltas
def hidden_deltas(fn) -> bool:
    """Check ``fn(delta_out, W, H)`` -> (P, n_h) hidden deltas of a sigmoid hidden layer."""
    rng = _rng()
    P, O, n_h = 6, 2, 4                      # O != n_h so that a missing transpose shows up
    delta_out = rng.normal(size=(P, O))
    W = rng.normal(size=(O, n_h))
    H = rng.uniform(0.05, 0.95, size=(P, n_h))
    back = delta_out @ W
    expected = back * H * (1 - H)

    got, err = call_for_result(fn, delta_out.copy(), W.copy(), H.copy(), name="hidden_deltas")
    if err:
        if "matmul" in err or "shapes" in err or "align" in err:
            return report(False, f"{err} Check the shapes: delta_out is (P, O) and W is (O, n_h); "
                                 "which product gives one row of n_h numbers per pattern?")
        return report(False, err)
    if _close(got, back):
        return report(False, "hidden_deltas: you sent the error back through W but forgot the derivative "
                             "of the hidden sigmoid, f'(e_j).")
    if _close(got, back * H):
        return report(False, "hidden_deltas: the sigmoid derivative is f(e)(1 - f(e)), not just f(e).")
    if _close(got, back * (1 - H)):
        return report(False, "hidden_deltas: the sigmoid derivative is f(e)(1 - f(e)), not just 1 - f(e).")
    if _close(got, back * (1 - H**2)):
        return report(False, "hidden_deltas: 1 - h^2 is the derivative of tanh; these hidden units are sigmoids.")
    ok, msg = compare_arrays(got, expected, "hidden_deltas")
    if ok:
        # a second case with a single pattern, to catch code that only works for P > 1
        d1, H1 = delta_out[:1], H[:1]
        got1, err1 = call_safely(fn, d1, W, H1)
        if err1 or not _close(got1, (d1 @ W) * H1 * (1 - H1)):
            return report(False, "hidden_deltas works for several patterns but not for a single one (P = 1).")
        # other sizes: more outputs than hidden units
        d3, W3, H3 = rng.normal(size=(3, 5)), rng.normal(size=(5, 2)), rng.uniform(0.05, 0.95, size=(3, 2))
        got3, err3 = call_safely(fn, d3, W3, H3)
        if err3 or not _close(got3, (d3 @ W3) * H3 * (1 - H3)):
            return report(False, "hidden_deltas is right for 6 patterns, 2 outputs and 4 hidden units but not for "
                                 "3 patterns, 5 outputs and 2 hidden units: avoid fixed sizes.")
        return report(True, "hidden_deltas is correct: error sent back through W, times h(1 - h), for any sizes.")
    return report(False, msg)


# --------------------------------------------------------------------------- linear backward
def fixed_linear_backward(fn) -> bool:
    """Check ``fn(x, W, grad_out)`` -> (dx, dW, db) for y = x W + b."""
    rng = _rng(5)
    x = rng.normal(size=(6, 4))
    W = rng.normal(size=(4, 3))               # not square: the sneaky W-without-transpose bug raises here
    grad_out = rng.normal(size=(6, 3))
    expected = (grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0))

    got, err = call_for_result(fn, x.copy(), W.copy(), grad_out.copy(), name="fixed_linear_backward")
    if err:
        hint = ""
        if "matmul" in err or "shapes" in err or "align" in err:
            hint = (" With a non-square W (here 4x3) a missing transpose no longer fits: "
                    "dx must have the shape of x.")
        return report(False, f"{err}{hint}")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return report(False, "fixed_linear_backward should return three arrays: (dx, dW, db).")
    messages = []
    for value, exp, name in zip(got, expected, ("dx", "dW", "db")):
        ok, msg = compare_arrays(value, exp, name)
        if not ok:
            if name == "db" and _close(value, grad_out.mean(axis=0)):
                msg = "db: the bias is added to every row, so its gradient is the sum over rows, not the mean."
            messages.append(msg)
    if messages:
        return report(False, "fixed_linear_backward: " + " | ".join(messages))
    x1, W1, g1 = rng.normal(size=(1, 5)), rng.normal(size=(5, 2)), rng.normal(size=(1, 2))
    got1, err1 = call_safely(fn, x1, W1, g1)
    expected1 = (g1 @ W1.T, x1.T @ g1, g1.sum(axis=0))
    if err1 or not isinstance(got1, (tuple, list)) or len(got1) != 3 or \
            not all(_close(v, e) for v, e in zip(got1, expected1)):
        return report(False, "fixed_linear_backward is right for a batch of 6 but not for a single example with a "
                             "5x2 W: avoid fixed sizes (and keep db a vector of shape (n_out,)).")
    return report(True, "fixed_linear_backward is correct: dx, dW and db all match (non-square W, a batch of one too).")

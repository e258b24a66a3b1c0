"""Self-checks of notebook 03: the reference and a differently written correct answer pass;
typical wrong answers get the message meant for them."""
import numpy as np
from checking import rejected  # tests/checking.py

from course_utils.check import nb03


# ------------------------------------------------------------------ backward (autodiff)
def recursive_backward(root):
    order, visited = [], set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        node.backward_step()


def kahn_backward(root):
    # written differently: count each node's users, release a node once all its users have run
    users, seen, stack = {}, {id(root)}, [root]
    nodes = {id(root): root}
    while stack:
        node = stack.pop()
        for p in node.parents:
            users[id(p)] = users.get(id(p), 0) + 1
            if id(p) not in seen:
                seen.add(id(p))
                nodes[id(p)] = p
                stack.append(p)
    root.grad = 1.0
    ready = [root]
    while ready:
        node = ready.pop()
        node.backward_step()
        for p in node.parents:
            users[id(p)] -= 1
            if users[id(p)] == 0:
                ready.append(p)


def no_visited(root):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        node.backward_step()


def forward_order(root):
    order, visited = [], set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    root.grad = 1.0
    for node in order:
        node.backward_step()


def breadth_first(root):
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


def seed_after(root):
    order, visited = [], set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    for node in reversed(order):
        node.backward_step()
    root.grad = 1.0


def only_root(root):                      # calls just the output's own step
    root.grad = 1.0
    root.backward_step()


def test_backward(verdict):
    assert verdict(nb03.backward, recursive_backward)[0]
    assert verdict(nb03.backward, kahn_backward)[0]
    rejected(verdict, nb03.backward, no_visited, "visited")
    rejected(verdict, nb03.backward, forward_order, "REVERSE")
    rejected(verdict, nb03.backward, breadth_first, "breadth-first")
    rejected(verdict, nb03.backward, seed_after, "seed the output")
    rejected(verdict, nb03.backward, only_root, "never ran")
    rejected(verdict, nb03.backward, lambda root: None, "not done yet")
    rejected(verdict, nb03.backward, lambda root: 1 / 0, "ZeroDivisionError")


# ------------------------------------------------------------------ hidden deltas
def test_hidden_deltas(verdict):
    assert verdict(nb03.hidden_deltas, lambda d, W, H: (d @ W) * H * (1 - H))[0]
    assert verdict(nb03.hidden_deltas, lambda d, W, H: np.einsum("po,oh->ph", d, W) * (H - H ** 2))[0]
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: d @ W, "forgot the derivative")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W) * H, "not just f(e)")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W) * (1 - H), "not just 1 - f(e)")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W) * (1 - H ** 2), "tanh")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W.T) * H * (1 - H), "Check the shapes")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: -(d @ W) * H * (1 - H), "sign")
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W)[:, :4] * H[:, :4] * (1 - H[:, :4]) if H.shape[1] >= 4
             else np.zeros((len(d), 4)), "fixed sizes")                               # hard-coded 4 hidden units
    rejected(verdict, nb03.hidden_deltas, lambda d, W, H: (d @ W) * H * (1 - H) if len(d) > 1 else d, "single one")


# ------------------------------------------------------------------ linear backward
def test_fixed_linear_backward(verdict):
    assert verdict(nb03.fixed_linear_backward, lambda x, W, g: (g @ W.T, x.T @ g, g.sum(axis=0)))[0]
    assert verdict(nb03.fixed_linear_backward, lambda x, W, g: (np.dot(g, W.T), np.einsum("pi,po->io", x, g), np.ones(len(g)) @ g))[0]
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (g @ W, x.T @ g, g.sum(axis=0)), "missing transpose")
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (g @ W.T, x.T @ g, g.mean(axis=0)), "not the mean")
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (g @ W.T, g.T @ x, g.sum(axis=0)), "dW is transposed")
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (-(g @ W.T), x.T @ g, g.sum(axis=0)), "sign")
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (g @ W.T, x.T @ g), "three arrays")
    rejected(verdict, nb03.fixed_linear_backward, lambda x, W, g: (g @ W.T, x.T @ g, g.sum()), "db")   # db a scalar

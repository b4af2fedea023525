# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 17 — Compression
#
# A trained network is usually far bigger than the function it computes needs. Most of its
# weights are small, many of its neurons are redundant, its weight matrices are close to
# low-rank, and a smaller network can often learn the same behaviour if a big one teaches it.
# This module turns each of those observations into a tool that makes a model smaller.
#
# **What you build.**
# - `magnitude_prune(model_or_tensor, sparsity, scope="global")`: zero the smallest weights,
#   across the whole model or layer by layer, and return the binary masks; `sparsity(model)`
#   measures what fraction of the weights is zero;
# - `MaskedOptimizer(optimizer, weights, masks)`: fine-tune a pruned model so that pruned
#   weights stay *exactly* zero, even with momentum and Adam;
# - `prune_neurons(linear, fraction, next_linear)`: structured pruning, which removes whole
#   neurons so the layers really shrink (and really get faster);
# - `low_rank_linear(linear, rank)`: replace one Linear by two thin ones from the truncated SVD;
# - `distillation_loss(student_logits, teacher_logits, targets, T, alpha)`: train a small
#   student to imitate a big teacher's softened predictions.
#
# **Why build it yourself.** Every one of these tools has one line that is easy to get
# subtly wrong — a mask applied to the weights but not to the gradient (Adam quietly regrows
# the weights), a low-rank factor that forgets the singular values, a distillation loss
# without its $T^2$ — and you will see each of them fail a measurement.
#
# **What you need.** Module 01's `Tensor`, module 03's `Linear` and `Sequential`, module 04's
# `log_softmax` and `CrossEntropyLoss`, module 05's autograd, module 06's `SGD` and `Adam`, and
# module 08's `load_digits` / `train_test_split` for the experiments on real digits.
#
# **Where it lands.** `tinytorch/perf/compression.py`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests in the same cells try random shapes and seeds, and compare
# your distillation gradients with central differences.

# %%
#| default_exp perf.compression
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.losses import log_softmax

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.dataloader import load_digits, train_test_split
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam

# %% [markdown]
# ## A teacher to compress
#
# Every experiment below starts from the same network: a multi-layer perceptron
# $64 \to 64 \to 10$ trained on the 8×8 digits (module 08's data set), seeded so that every
# run gives the same numbers. The two helpers below are given: `train` runs a plain
# mini-batch loop for any loss, `accuracy` scores a model on held-out digits.

# %%
images, labels = load_digits()
features = images.reshape(len(images), -1).astype(np.float32) / 16.0
x_train, x_test, y_train, y_test = train_test_split(features, labels, test_fraction=0.25, seed=0)


def train(model, optimizer, batch_loss, epochs, batch_size=128, seed=0):
    """Mini-batch training: batch_loss(indices) returns the loss of the training rows `indices`."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            optimizer.zero_grad()
            batch_loss(order[start:start + batch_size]).backward()
            optimizer.step()


def accuracy(model, x=x_test, y=y_test):
    with no_grad():
        return float(np.mean(model(Tensor(x)).data.argmax(axis=-1) == y))


def cross_entropy_on(model):
    loss_fn = CrossEntropyLoss()
    return lambda rows: loss_fn(model(Tensor(x_train[rows])), y_train[rows])


def make_mlp(hidden, seed):
    np.random.seed(seed)
    return Sequential(Linear(64, hidden, init="he"), ReLU(), Linear(hidden, 10))


started = time.perf_counter()
teacher = make_mlp(64, seed=0)
train(teacher, Adam(teacher.parameters(), lr=0.01), cross_entropy_on(teacher), epochs=8)
teacher_accuracy = accuracy(teacher)
print(f"teacher 64-64-10: {teacher_accuracy:.1%} held-out accuracy, trained in {time.perf_counter() - started:.1f} s")

# %% [markdown]
# Look at the teacher's weights: most of them are small. If the function the network computes
# depends mostly on the large ones, the small ones can go.

# %%
all_weights = np.concatenate([teacher.layers[0].weight.data.ravel(), teacher.layers[2].weight.data.ravel()])
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(all_weights, bins=80)
ax.set(xlabel="weight value", ylabel="count", title=f"The teacher's {all_weights.size} weights")
plt.show()
print(f"half of the weights have |w| < {np.median(np.abs(all_weights)):.3f}; the largest is {np.abs(all_weights).max():.3f}")

# %% [markdown]
# ## Step 1 — Magnitude pruning
#
# **Unstructured magnitude pruning** sets the weights of smallest magnitude to zero. For a
# target sparsity $s$ and $n$ weights, it zeroes exactly $k = \operatorname{round}(s\,n)$ of
# them, and records the choice as a **binary mask** $M$ (1 = kept, 0 = pruned), so that the
# pruned model is $W \odot M$.
#
# Two ways to choose, and they differ:
#
# - **global** (`scope="global"`): one ranking of all the weights of all layers together; the
#   smallest $k$ of the whole model go. Layers whose weights are small overall (often the big
#   early layers) lose more; layers of large weights (often the small last layer) lose less.
# - **per layer** (`scope="layer"`): each layer loses exactly the fraction $s$ of its own
#   weights. Simple and predictable, but it treats a 640-weight output layer, where each weight
#   matters, like a 4096-weight hidden layer full of redundancy.
#
# Global pruning usually keeps more accuracy at the same total sparsity; you will measure it.
#
# **Ties.** With $k$ exact, a threshold such as `|w| <= t` can zero too many weights when
# several share the threshold value (pruning twice, or weights that are exactly zero already).
# Rank instead: sort the magnitudes with a *stable* sort, `np.argsort(m, kind="stable")`, and
# zero the first $k$ positions — among equal magnitudes the earliest position goes first.
#
# Which tensors are "weights"? Everything with two or more axes (Linear and Conv2d weights);
# biases are few and are left alone. `prunable_weights` (given) lists them.

# %%
#| export
def prunable_weights(model_or_tensor):
    """The tensors pruning acts on: a Tensor itself, or every parameter of a model with 2+ axes."""
    if isinstance(model_or_tensor, Tensor):
        return [model_or_tensor]
    return [p for p in model_or_tensor.parameters() if p.data.ndim >= 2]


# %% nbgrader={"grade": false, "grade_id": "magnitude-pruning-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def magnitude_prune(model_or_tensor, sparsity, scope="global"):
    """Zero the smallest-magnitude weights in place and return the masks.

    model_or_tensor: a Tensor, or a model (its prunable_weights(...)).
    sparsity: fraction in [0, 1) of weights to zero; ValueError otherwise.
    scope: "global" ranks all weights together and zeroes round(sparsity * total) of them;
           "layer" zeroes round(sparsity * n_i) in each weight tensor on its own;
           anything else: ValueError.
    Ties: rank with np.argsort(np.abs(w).ravel(), kind="stable") (earliest position first).

    Returns: for a Tensor, its mask; for a model, a list of masks in prunable_weights order.
    A mask is a numpy array of the weight's shape and dtype, 1 where kept and 0 where pruned.
    Each weight is multiplied by its mask in place (w.data *= mask).
    """
    ### BEGIN SOLUTION
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    if scope not in ("global", "layer"):
        raise ValueError(f"unknown scope {scope!r}: use 'global' or 'layer'")
    weights = prunable_weights(model_or_tensor)

    def keep_mask(magnitudes):
        """1 everywhere except at the round(sparsity * n) smallest magnitudes."""
        count = int(round(sparsity * magnitudes.size))
        pruned = np.argsort(magnitudes, kind="stable")[:count]
        mask = np.ones(magnitudes.size)
        mask[pruned] = 0.0
        return mask

    if scope == "global":
        flat = keep_mask(np.concatenate([np.abs(w.data).ravel() for w in weights]))
        sizes = np.cumsum([w.data.size for w in weights])[:-1]
        flat_masks = np.split(flat, sizes)
    else:
        flat_masks = [keep_mask(np.abs(w.data).ravel()) for w in weights]
    masks = []
    for weight, flat_mask in zip(weights, flat_masks):
        mask = flat_mask.reshape(weight.data.shape).astype(weight.data.dtype)
        weight.data *= mask
        masks.append(mask)
    return masks[0] if isinstance(model_or_tensor, Tensor) else masks
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "sparsity-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def sparsity(model_or_tensor):
    """Measured fraction of exactly-zero entries over all prunable weights (a Python float)."""
    ### BEGIN SOLUTION
    weights = prunable_weights(model_or_tensor)
    zeros = sum(int(np.count_nonzero(w.data == 0)) for w in weights)
    return zeros / sum(w.data.size for w in weights)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "magnitude-pruning", "locked": true, "points": 3, "schema_version": 3, "solution": false}
w = Tensor([[0.5, -0.1, 2.0], [-3.0, 0.05, -0.2]])
mask = magnitude_prune(w, 0.5)
assert isinstance(mask, np.ndarray) and mask.shape == (2, 3), "a Tensor gets one mask of its shape"
np.testing.assert_array_equal(mask, [[1, 0, 1], [1, 0, 0]], err_msg="the 3 smallest |w| (0.05, 0.1, 0.2) go")
np.testing.assert_array_equal(w.data, [[0.5, 0.0, 2.0], [-3.0, 0.0, 0.0]], err_msg="the weight is pruned in place")
assert mask.dtype == w.data.dtype, f"the mask has the weight's dtype, got {mask.dtype}"
assert abs(sparsity(w) - 0.5) < 1e-12, f"sparsity(w) should be 0.5, got {sparsity(w)}"
ties = Tensor(np.ones((2, 2)))
np.testing.assert_array_equal(magnitude_prune(ties, 0.5), [[0, 0], [1, 1]],
                              err_msg="equal magnitudes: exactly half go, earliest positions first (stable sort)")
# global vs per layer: a small-weight layer and a large-weight layer
small, large = Linear(4, 4), Linear(4, 2)
small.weight.data[...] = np.arange(1, 17).reshape(4, 4) * 0.01
large.weight.data[...] = np.arange(1, 9).reshape(4, 2) * 1.0
model = Sequential(small, large)
masks = magnitude_prune(model, 0.5, scope="global")
assert len(masks) == 2, "a model gets one mask per prunable weight"
assert masks[0].sum() == 4 and masks[1].sum() == 8, \
    "global: the 12 smallest of 24 are the 12 of the small layer -> it keeps 4, the large layer all 8"
small.weight.data[...] = np.arange(1, 17).reshape(4, 4) * 0.01
masks = magnitude_prune(model, 0.5, scope="layer")
assert masks[0].sum() == 8 and masks[1].sum() == 4, "per layer: each keeps half of its own weights"
assert np.all(small.bias.data == 0) and len(prunable_weights(model)) == 2, "biases are not pruned"
for bad in (1.0, -0.1):
    try:
        magnitude_prune(Tensor(np.ones(3)), bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"sparsity={bad} should raise ValueError")
print("magnitude_prune and sparsity passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1701)
for trial in range(5):
    shapes = [tuple(int(n) for n in rng.integers(2, 9, size=2)) for _ in range(int(rng.integers(1, 4)))]
    level = float(rng.choice([0.3, 0.5, 0.75, 0.9]))
    tensors = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    originals = [t.data.copy() for t in tensors]

    class Bag(Layer):
        def __init__(self, items):
            self.items = items
    bag = Bag(tensors)
    found = magnitude_prune(bag, level, scope="global")
    everything = np.concatenate([o.ravel() for o in originals])
    count = int(round(level * everything.size))
    threshold = np.sort(np.abs(everything))[count - 1]
    for t, o, m in zip(tensors, originals, found):
        np.testing.assert_array_equal(m, (np.abs(o) > threshold).astype(o.dtype), err_msg="global mask")
        np.testing.assert_array_equal(t.data, o * m)
    assert abs(sparsity(bag) - count / everything.size) < 1e-12
    for t, o in zip(tensors, originals):
        t.data[...] = o
    for t, o, m in zip(tensors, originals, magnitude_prune(bag, level, scope="layer")):
        k = int(round(level * o.size))
        assert int((m == 0).sum()) == k, f"per layer: {k} of {o.size} pruned"
        assert np.abs(o[m == 0]).max() <= np.abs(o[m == 1]).min(), "per layer: the pruned are the smallest"
# ties with zeros already present: exact count, earliest first
t = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 2.0]))
np.testing.assert_array_equal(magnitude_prune(t, 0.5), [0, 0, 0, 1, 1, 1, 0, 1],
                              err_msg="the three zeros, then the earliest of the ones")
assert sparsity(t) == 0.5
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Fine-tuning with masks
#
# Pruning costs accuracy; a few epochs of training on the pruned model win most of it back —
# **as long as the pruned weights stay pruned**. They do not on their own: the gradient of
# a pruned weight is usually not zero, so the first optimizer step regrows it.
#
# The obvious fix, re-applying the mask to the weights after each step, is not enough with
# stateful optimizers. The optimizer would still *see* the gradients of pruned weights:
#
# - SGD with momentum accumulates them into its buffer $b \leftarrow \mu b + g$;
# - Adam accumulates them into $m$ and $v$.
#
# The weights are re-zeroed, but the state says "this weight wants to move", so the moment the
# mask is relaxed (gradual pruning schedules change masks during training) it jumps; and the
# gradients of dead weights still count in a gradient-norm clip (module 07), which shrinks the
# update of the living ones.
#
# So mask the **gradient** before the step: $g \leftarrow g \odot M$. Then the momentum buffer
# and Adam's moments of a pruned weight are built from zeros only and stay zero, Adam's update
# $\hat m / (\sqrt{\hat v} + \epsilon)$ is $0 / \epsilon = 0$, and the weight never moves.
# Re-applying the mask to the weights *after* the step as well costs nothing and guarantees the
# invariant for any optimizer (one with a decay term that is not proportional to the weight, say).
#
# `MaskedOptimizer` wraps any module-06 optimizer; `weights` and `masks` are matching lists (the
# masks `magnitude_prune` returned).

# %% nbgrader={"grade": false, "grade_id": "masked-finetuning-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class MaskedOptimizer:
    """Wrap an optimizer so that pruned weights stay exactly zero while the rest train."""

    def __init__(self, optimizer, weights, masks):
        if len(weights) != len(masks):
            raise ValueError(f"{len(weights)} weights but {len(masks)} masks")
        for weight, mask in zip(weights, masks):
            if np.shape(mask) != weight.data.shape:
                raise ValueError(f"mask of shape {np.shape(mask)} for a weight of shape {weight.data.shape}")
        self.optimizer = optimizer
        self.weights = list(weights)
        self.masks = [np.asarray(mask, dtype=weight.data.dtype) for weight, mask in zip(weights, masks)]

    def zero_grad(self):
        self.optimizer.zero_grad()

    # Module 07's Trainer and schedulers read and set `lr`, and checkpoint the optimizer state:
    # the wrapper forwards them, so it drops in wherever the optimizer did.
    @property
    def lr(self):
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict):
        self.optimizer.load_state_dict(state_dict)

    def step(self):
        """Mask each weight's gradient (in place: weight.grad = weight.grad * mask, skipping a
        weight whose .grad is None), take the wrapped optimizer's step, then multiply each
        weight's .data by its mask again."""
        ### BEGIN SOLUTION
        for weight, mask in zip(self.weights, self.masks):
            if weight.grad is not None:
                weight.grad = weight.grad * mask
        self.optimizer.step()
        for weight, mask in zip(self.weights, self.masks):
            weight.data *= mask
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "masked-finetuning", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def masked_run(make_optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    np.random.seed(seed)
    net = Sequential(Linear(6, 8), ReLU(), Linear(8, 3))
    masks = magnitude_prune(net, 0.6)
    inner = make_optimizer(net.parameters())
    optimizer = MaskedOptimizer(inner, prunable_weights(net), masks)
    x, targets = Tensor(rng.standard_normal((16, 6))), rng.integers(0, 3, size=16)
    for _ in range(steps):
        optimizer.zero_grad()
        CrossEntropyLoss()(net(x), targets).backward()
        optimizer.step()
    return net, masks, inner


for name, make in (("SGD momentum", lambda p: SGD(p, lr=0.1, momentum=0.9)), ("Adam", lambda p: Adam(p, lr=0.05))):
    net, masks, inner = masked_run(make, steps=5, seed=3)
    for weight, mask in zip(prunable_weights(net), masks):
        assert np.all(weight.data[mask == 0] == 0), f"{name}: a pruned weight moved away from zero"
        assert np.all(weight.grad[mask == 0] == 0), f"{name}: the gradient of a pruned weight was not masked"
        assert np.any(weight.data[mask == 1] != 0), f"{name}: the kept weights should still be there"
    assert abs(sparsity(net) - 0.6) < 0.01, f"{name}: sparsity changed during fine-tuning: {sparsity(net)}"
print("MaskedOptimizer passed.")
### BEGIN HIDDEN TESTS
for seed in (11, 12):
    for name, make in (("SGD momentum", lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
                       ("Adam", lambda p: Adam(p, lr=0.02)), ("Adam L2", lambda p: Adam(p, lr=0.02, weight_decay=0.1))):
        net, masks, inner = masked_run(make, steps=7, seed=seed)
        for weight, mask in zip(prunable_weights(net), masks):
            assert np.all(weight.data[mask == 0] == 0), name
            index = next(i for i, p in enumerate(inner.params) if p is weight)
            for buffer_name, buffer in inner.state[index].items():
                if isinstance(buffer, np.ndarray):
                    assert np.all(buffer[mask == 0] == 0), \
                        f"{name}: optimizer state {buffer_name} of pruned weights is not zero (gradient not masked?)"
# kept weights train exactly as an unmasked optimizer would train W*M with masked gradients
rng = np.random.default_rng(5)
weight = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
mask = (rng.random((4, 3)) > 0.5).astype(np.float64)
weight.data *= mask
grad = rng.standard_normal((4, 3))
weight.grad = grad.copy()
expected = weight.data - 0.1 * grad * mask
MaskedOptimizer(SGD([weight], lr=0.1), [weight], [mask]).step()
np.testing.assert_allclose(weight.data, expected, rtol=1e-12, err_msg="kept weights take the plain SGD step")
np.testing.assert_allclose(weight.grad, grad * mask, rtol=0, err_msg="weight.grad = grad * mask")
### END HIDDEN TESTS

# %% [markdown]
# ### Measure it: accuracy against sparsity
#
# Prune copies of the teacher to 50, 80 and 90 % (global and per layer), measure the accuracy
# straight after pruning, then fine-tune each for 2 epochs with Adam inside a `MaskedOptimizer`.

# %%
def copy_of(model):
    """A model of the same layout with copies of every parameter."""
    clone = make_mlp(model.layers[0].weight.shape[1], seed=0)
    for mine, theirs in zip(clone.parameters(), model.parameters()):
        mine.data = theirs.data.copy()
    return clone


started = time.perf_counter()
levels = [0.5, 0.8, 0.9]
pruning_results = {}
for scope in ("global", "layer"):
    for level in levels:
        pruned = copy_of(teacher)
        masks = magnitude_prune(pruned, level, scope=scope)
        before = accuracy(pruned)
        optimizer = MaskedOptimizer(Adam(pruned.parameters(), lr=0.01), prunable_weights(pruned), masks)
        train(pruned, optimizer, cross_entropy_on(pruned), epochs=2, seed=1)
        pruning_results[scope, level] = (before, accuracy(pruned), sparsity(pruned))
print(f"teacher: {teacher_accuracy:.1%}")
print("scope   sparsity   pruned   fine-tuned   measured sparsity")
for (scope, level), (before, after, measured) in pruning_results.items():
    print(f"{scope:7s} {level:6.0%}     {before:6.1%}     {after:6.1%}      {measured:.3f}")
print(f"({time.perf_counter() - started:.1f} s)")

fig, ax = plt.subplots(figsize=(6, 3.5))
for scope, style in (("global", "o-"), ("layer", "s--")):
    ax.plot([100 * s for s in levels], [100 * pruning_results[scope, s][0] for s in levels], style,
            alpha=0.5, label=f"{scope}: after pruning")
    ax.plot([100 * s for s in levels], [100 * pruning_results[scope, s][1] for s in levels], style,
            label=f"{scope}: after masked fine-tuning")
ax.axhline(100 * teacher_accuracy, color="k", lw=0.8, label="dense teacher")
ax.set(xlabel="weights pruned (%)", ylabel="held-out accuracy (%)", title="Magnitude pruning of the digits MLP")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the table: at 50 % pruning costs almost nothing even before fine-tuning; at 90 % the
# pruned model loses accuracy and masked fine-tuning recovers most of it, with the measured
# sparsity still exactly the target. Global and per-layer scopes part ways at high sparsity,
# where the per-layer rule must cut deep into the small output layer as well.
#
# ### Systems view: sparse is not yet small, nor fast
#
# A 90 %-sparse weight matrix stored densely takes exactly the memory of the dense one, and a
# dense matmul multiplies the zeros as fast as anything else. Measure it (best of 7 runs: the
# machine is shared, timings are noisy):

# %%
def best_time(function, repeats=7):
    function()  # warm-up: the first call pays for allocations and thread start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


rng = np.random.default_rng(0)
dense = rng.standard_normal((512, 512)).astype(np.float32)
sparse = Tensor(dense.copy())
magnitude_prune(sparse, 0.9)
batch = rng.standard_normal((256, 512)).astype(np.float32)
nonzero = np.flatnonzero(sparse.data)
csr_bytes = nonzero.size * (4 + 4) + (512 + 1) * 4  # values + column ids + row pointers
print(f"dense  matmul: {1e3 * best_time(lambda: batch @ dense):.2f} ms, {dense.nbytes / 1e6:.1f} MB")
print(f"90% zeros   : {1e3 * best_time(lambda: batch @ sparse.data):.2f} ms, {sparse.data.nbytes / 1e6:.1f} MB stored densely")
print(f"as CSR (values + indices) it would take {csr_bytes / 1e6:.2f} MB, but needs a sparse kernel to be faster")

# %% [markdown]
# Same time, same bytes. Unstructured sparsity pays off only with a sparse storage format and
# sparse kernels (or hardware that skips zeros). To make a model smaller and faster with plain
# dense matmuls, remove whole rows and columns instead.
#
# ## Step 3 — Structured pruning: remove whole neurons
#
# Output neuron $j$ of a `Linear` is column $j$ of its weight $W \in \mathbb{R}^{\text{in}
# \times \text{out}}$ together with bias $b_j$. Its **importance** here is the L2 norm of its
# column, $\lVert W_{:,j} \rVert_2$: a neuron whose incoming weights are small produces a
# nearly constant output. `prune_neurons(linear, fraction, next_linear)` removes the
# `round(fraction * out)` least important neurons:
#
# - the layer keeps the columns `kept` of its weight and the entries `kept` of its bias;
# - the **next** layer loses the matching *input* rows: its weight keeps rows `kept`, its bias
#   stays whole (its outputs did not change).
#
# ```
#  x ─► Linear(in, out) ─► act ─► Linear(out, next)      keep neurons K ⊂ {0..out-1}
#         W[:, K], b[K]             W'[K, :], b'
# ```
#
# Forgetting the second bullet leaves the next layer expecting `out` inputs where only
# `len(kept)` arrive. Keep `kept` sorted ascending (the surviving neurons keep their order), and
# build the smaller layers with `linear_from_arrays` (given), which copies the arrays and does
# not touch the random generator.

# %%
#| export
def linear_from_arrays(weight, bias):
    """A Linear with copies of these arrays as its weight (in, out) and bias (out,) or None."""
    layer = Linear.__new__(Linear)
    layer.in_features, layer.out_features = weight.shape
    layer.weight = Tensor(np.array(weight), requires_grad=True)
    layer.bias = None if bias is None else Tensor(np.array(bias), requires_grad=True)
    return layer


def parameter_count(model):
    """Number of trainable numbers in a model."""
    return sum(p.data.size for p in model.parameters())


# %% nbgrader={"grade": false, "grade_id": "structured-pruning-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def prune_neurons(linear, fraction, next_linear=None):
    """Remove the round(fraction * out_features) output neurons of smallest column L2 norm.

    Returns (smaller_linear, smaller_next, kept):
      kept: int array of the surviving neuron indices, sorted ascending;
      smaller_linear: weight[:, kept], bias[kept] (bias None stays None);
      smaller_next: next_linear with weight[kept, :] and its bias unchanged, or None when
        next_linear is None.
    ValueError unless 0 <= fraction < 1. Ties: np.argsort(norms, kind="stable").
    Build the layers with linear_from_arrays.
    """
    ### BEGIN SOLUTION
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    weight = linear.weight.data
    norms = np.sqrt((weight.astype(np.float64) ** 2).sum(axis=0))
    removed = int(round(fraction * weight.shape[1]))
    kept = np.sort(np.argsort(norms, kind="stable")[removed:])
    bias = None if linear.bias is None else linear.bias.data[kept]
    smaller = linear_from_arrays(weight[:, kept], bias)
    smaller_next = None
    if next_linear is not None:
        next_bias = None if next_linear.bias is None else next_linear.bias.data
        smaller_next = linear_from_arrays(next_linear.weight.data[kept, :], next_bias)
    return smaller, smaller_next, kept
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "structured-pruning", "locked": true, "points": 2, "schema_version": 3, "solution": false}
first = linear_from_arrays(np.array([[1.0, 0.1, 3.0, 0.0], [1.0, 0.1, 0.0, 0.2]]), np.array([1.0, 2.0, 3.0, 4.0]))
second = linear_from_arrays(np.arange(12.0).reshape(4, 3), np.array([0.5, 0.5, 0.5]))
smaller, smaller_next, kept = prune_neurons(first, 0.5, second)
np.testing.assert_array_equal(kept, [0, 2], err_msg="column norms are 1.41, 0.14, 3.0, 0.2: keep neurons 0 and 2")
np.testing.assert_array_equal(smaller.weight.data, [[1.0, 3.0], [1.0, 0.0]], err_msg="weight[:, kept]")
np.testing.assert_array_equal(smaller.bias.data, [1.0, 3.0], err_msg="bias[kept]")
assert smaller_next is not None, "with a next layer, return its pruned copy"
np.testing.assert_array_equal(smaller_next.weight.data, [[0, 1, 2], [6, 7, 8]],
                              err_msg="the next layer keeps the input ROWS of the kept neurons")
np.testing.assert_array_equal(smaller_next.bias.data, [0.5, 0.5, 0.5], err_msg="the next layer's bias stays whole")
assert (smaller.in_features, smaller.out_features) == (2, 2) and smaller_next.in_features == 2
assert first.weight.shape == (2, 4), "the original layer is not modified"
x = Tensor(np.array([[0.3, -0.7]]))
relu = ReLU()
full = second(relu(first(x))).data
np.testing.assert_allclose(smaller_next(relu(smaller(x))).data, full - relu(first(x)).data[:, [1, 3]] @ second.weight.data[[1, 3]],
                           rtol=1e-12, err_msg="the pruned network drops exactly the removed neurons' contribution")
print("prune_neurons passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1703)
for _ in range(4):
    n_in, n_hidden, n_out = (int(n) for n in rng.integers(2, 12, size=3))
    fraction = float(rng.choice([0.25, 0.5, 0.75]))
    a = linear_from_arrays(rng.standard_normal((n_in, n_hidden)), rng.standard_normal(n_hidden))
    b = linear_from_arrays(rng.standard_normal((n_hidden, n_out)), rng.standard_normal(n_out))
    sa, sb, kept = prune_neurons(a, fraction, b)
    norms = np.linalg.norm(a.weight.data, axis=0)
    expected = np.sort(np.argsort(norms, kind="stable")[int(round(fraction * n_hidden)):])
    np.testing.assert_array_equal(kept, expected)
    x = rng.standard_normal((5, n_in))
    hidden = np.maximum(x @ a.weight.data + a.bias.data, 0)
    np.testing.assert_allclose(sb(relu(sa(Tensor(x)))).data, hidden[:, kept] @ b.weight.data[kept] + b.bias.data,
                               rtol=1e-10)
    no_next = prune_neurons(a, fraction)
    assert no_next[1] is None and no_next[0].weight.shape == (n_in, len(expected))
# gradients flow through the pruned pair
sa.weight.grad = sb.weight.grad = None
xt = Tensor(rng.standard_normal((3, sa.in_features)), requires_grad=True)
from autograder.gradcheck import check_gradient_flow
check_gradient_flow(lambda: (sb(sa(xt)) ** 2).sum(), {"x": xt, "w1": sa.weight, "w2": sb.weight})
### END HIDDEN TESTS

# %% [markdown]
# ### Measure it: smaller really is faster
#
# Remove half of the hidden neurons of a 512-wide pair of layers and time a forward pass of a batch
# of 256 (best of 7), next to the same network pruned to 50 % *unstructured* sparsity.

# %%
np.random.seed(1)
wide_first, wide_second = Linear(512, 512), Linear(512, 512)
relu = ReLU()
wide_batch = Tensor(np.random.default_rng(1).standard_normal((256, 512)).astype(np.float32))
narrow_first, narrow_second, _ = prune_neurons(wide_first, 0.5, wide_second)
sparse_first, sparse_second = linear_from_arrays(wide_first.weight.data, wide_first.bias.data), \
    linear_from_arrays(wide_second.weight.data, wide_second.bias.data)
magnitude_prune(Sequential(sparse_first, sparse_second), 0.5)
with no_grad():
    for label, (one, two) in (("dense", (wide_first, wide_second)), ("50% unstructured", (sparse_first, sparse_second)),
                              ("50% neurons removed", (narrow_first, narrow_second))):
        pair = Sequential(one, two)
        elapsed = best_time(lambda: two(relu(one(wide_batch))))
        print(f"{label:20s} {parameter_count(pair):9d} parameters  {4 * parameter_count(pair) / 1e6:5.2f} MB  "
              f"forward {1e3 * elapsed:6.2f} ms")

# %% [markdown]
# Removing half of the neurons halves both weight matrices' hidden dimension: half the
# parameters, half the bytes, and about half the time — with ordinary dense matmuls. The
# price is coarser choices: a whole neuron goes, not just its weakest weights, so structured
# pruning costs more accuracy than unstructured pruning at the same parameter count.
#
# ## Step 4 — Low-rank approximation by SVD
#
# Write the weight $W \in \mathbb{R}^{\text{in}\times\text{out}}$ by its singular value
# decomposition $W = U \Sigma V^\top = \sum_i \sigma_i u_i v_i^\top$ with
# $\sigma_1 \ge \sigma_2 \ge \dots \ge 0$. Keeping the $r$ largest terms,
#
# $$W_r = U_{:, :r}\, \operatorname{diag}(\sigma_{:r})\, V^\top_{:r, :},$$
#
# gives the best rank-$r$ approximation (Eckart–Young), and its error is exactly what was
# thrown away:
#
# $$\lVert W - W_r \rVert_F^2 = \sum_{i > r} \sigma_i^2 .$$
#
# In a network, $x W_r = (x\,U_{:, :r} \operatorname{diag}(\sigma_{:r}))\, V^\top_{:r,:}$: two
# Linears, `in → r` (weight $U_{:, :r}\operatorname{diag}(\sigma_{:r})$, no bias) then `r → out`
# (weight $V^\top_{:r,:}$, the original bias). Parameters and FLOPs per example go from
# $\text{in}\cdot\text{out}$ to $r(\text{in} + \text{out})$: a saving whenever
# $r < \frac{\text{in}\cdot\text{out}}{\text{in}+\text{out}}$.
#
# Use `np.linalg.svd(W, full_matrices=False)`, which returns `U, S, Vt` with the singular
# values `S` in decreasing order, in float64 for accuracy, then cast back to the weight's dtype.

# %% nbgrader={"grade": false, "grade_id": "low-rank-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def low_rank_linear(linear, rank):
    """Sequential(Linear(in, rank, no bias), Linear(rank, out, linear's bias)) computing x @ W_r + b.

    W_r is the truncated SVD of linear.weight with the `rank` largest singular values; the
    first weight is U[:, :rank] * S[:rank], the second Vt[:rank]. ValueError unless
    1 <= rank <= min(in, out). Weights in the original dtype; build layers with linear_from_arrays.
    """
    ### BEGIN SOLUTION
    weight = linear.weight.data
    if not 1 <= rank <= min(weight.shape):
        raise ValueError(f"rank must be between 1 and {min(weight.shape)} for a weight {weight.shape}, got {rank}")
    U, S, Vt = np.linalg.svd(weight.astype(np.float64), full_matrices=False)
    down = (U[:, :rank] * S[:rank]).astype(weight.dtype)
    up = Vt[:rank].astype(weight.dtype)
    bias = None if linear.bias is None else linear.bias.data
    return Sequential(linear_from_arrays(down, None), linear_from_arrays(up, bias))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "low-rank", "locked": true, "points": 3, "schema_version": 3, "solution": false}
rng = np.random.default_rng(7)
layer = linear_from_arrays(rng.standard_normal((12, 8)), rng.standard_normal(8))
singular_values = np.linalg.svd(layer.weight.data, compute_uv=False)
factored = low_rank_linear(layer, 3)
assert isinstance(factored, Sequential) and len(factored.layers) == 2, "return Sequential(down, up)"
down, up = factored.layers
assert down.weight.shape == (12, 3) and up.weight.shape == (3, 8), \
    f"in -> r -> out: weights (12, 3) and (3, 8), got {down.weight.shape} and {up.weight.shape}"
assert down.bias is None and up.bias is not None, "only the second layer has a bias (the original one)"
approximation = down.weight.data @ up.weight.data
error = np.sum((layer.weight.data - approximation) ** 2)
print(f"||W - W_3||_F^2 = {error:.6f}, sum of discarded sigma^2 = {np.sum(singular_values[3:] ** 2):.6f}")
np.testing.assert_allclose(error, np.sum(singular_values[3:] ** 2), rtol=1e-9,
                           err_msg="Eckart-Young: the squared error is the sum of the discarded singular values squared")
full_rank = low_rank_linear(layer, 8)
x = Tensor(rng.standard_normal((4, 12)))
np.testing.assert_allclose(full_rank(x).data, layer(x).data, rtol=1e-9, atol=1e-12,
                           err_msg="at full rank the two layers compute exactly the original layer")
assert parameter_count(factored) == 3 * (12 + 8) + 8
try:
    low_rank_linear(layer, 9)
except ValueError:
    pass
else:
    raise AssertionError("rank 9 > min(12, 8) should raise ValueError")
print("low_rank_linear passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow

rng = np.random.default_rng(1704)
for _ in range(4):
    n_in, n_out = (int(n) for n in rng.integers(2, 14, size=2))
    rank = int(rng.integers(1, min(n_in, n_out) + 1))
    layer = linear_from_arrays(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out))
    s = np.linalg.svd(layer.weight.data, compute_uv=False)
    down, up = low_rank_linear(layer, rank).layers
    np.testing.assert_allclose(np.sum((layer.weight.data - down.weight.data @ up.weight.data) ** 2),
                               np.sum(s[rank:] ** 2), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.linalg.svd(down.weight.data @ up.weight.data, compute_uv=False)[:rank], s[:rank],
                               rtol=1e-8, err_msg="W_r keeps the LARGEST singular values")
float32_layer = linear_from_arrays(rng.standard_normal((6, 5)).astype(np.float32), np.zeros(5, np.float32))
assert low_rank_linear(float32_layer, 2).layers[0].weight.dtype == np.float32
# gradients through the factored layer
factored = low_rank_linear(linear_from_arrays(rng.standard_normal((5, 4)), rng.standard_normal(4)), 2)
xt = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
down, up = factored.layers
check_gradient_flow(lambda: (factored(xt) * np.arange(1.0, 5.0)).sum() + (factored(xt) ** 2).sum(),
                    {"x": xt, "down.weight": down.weight, "up.weight": up.weight, "up.bias": up.bias})
### END HIDDEN TESTS

# %% [markdown]
# ### Measure it: accuracy against parameters
#
# Factor the teacher's 64×64 hidden layer at several ranks. No fine-tuning here: this is the
# SVD alone. The table also checks Eckart–Young on the real weights.

# %%
hidden_layer = teacher.layers[0]
teacher_sigmas = np.linalg.svd(hidden_layer.weight.data.astype(np.float64), compute_uv=False)
ranks = [2, 4, 8, 16, 32, 64]
low_rank_results = []
print("rank  params   FLOPs/example  accuracy   ||W-W_r||^2   sum discarded sigma^2")
for rank in ranks:
    factored = low_rank_linear(hidden_layer, rank)
    model = Sequential(factored, teacher.layers[1], teacher.layers[2])
    down, up = factored.layers
    error = np.sum((hidden_layer.weight.data.astype(np.float64) - down.weight.data.astype(np.float64) @ up.weight.data) ** 2)
    params, flops = parameter_count(model), 2 * rank * (64 + 64) + 2 * 64 * 10
    low_rank_results.append((rank, params, accuracy(model)))
    print(f"{rank:4d} {params:7d} {flops:12d}     {low_rank_results[-1][2]:6.1%}    {error:10.4f}   {np.sum(teacher_sigmas[rank:] ** 2):10.4f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].semilogy(np.arange(1, 65), teacher_sigmas, ".-")
axes[0].set(xlabel="index i", ylabel="σ_i", title="Singular values of the hidden weight")
axes[1].plot([p for _, p, _ in low_rank_results], [100 * a for _, _, a in low_rank_results], "o-", label="low-rank hidden layer")
for rank, params, acc in low_rank_results:
    axes[1].annotate(f"r={rank}", (params, 100 * acc), textcoords="offset points", xytext=(4, -10), fontsize=8)
axes[1].axhline(100 * teacher_accuracy, color="k", lw=0.8, label=f"teacher ({parameter_count(teacher)} params)")
axes[1].set(xlabel="parameters", ylabel="held-out accuracy (%)", title="Low-rank teacher, no fine-tuning")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# The measured squared error equals the sum of the discarded $\sigma_i^2$ to rounding, at every
# rank. Note where low rank *saves* anything: for a 64×64 layer, $r(64+64) < 64 \cdot 64$ needs
# $r < 32$; at $r = 64$ the factored model is *bigger* than the original. Trained weights have
# a decaying spectrum (left), which is why modest ranks keep most of the accuracy.
#
# ## Step 5 — Knowledge distillation
#
# A big trained teacher knows more than the labels: for a handwritten 3 its output says "3,
# but a bit like an 8, not at all like a 1". A small student trained to match those **soft
# targets** learns that similarity structure too. Soften both distributions with a
# temperature $T > 1$:
#
# $$p = \operatorname{softmax}(z_t / T), \qquad q = \operatorname{softmax}(z_s / T),$$
#
# and train on
#
# $$\mathcal{L} = \alpha\, T^2\, \mathrm{KL}(p \,\Vert\, q) + (1-\alpha)\, \mathrm{CE}(z_s, y),
# \qquad \mathrm{KL}(p \Vert q) = \frac{1}{N}\sum_{n}\sum_k p_{nk} \left(\log p_{nk} - \log q_{nk}\right).$$
#
# - **The direction.** $\mathrm{KL}(p\Vert q)$, teacher first, weighs each class by the
#   teacher's probability: the student is pushed to cover every class the teacher finds
#   plausible. Its gradient in the student logits is simply $(q - p)/(T N)$.
# - **Why $T^2$.** That gradient carries a factor $1/T$, and the soft targets' differences shrink
#   like $1/T$ as well, so the distillation gradient scales like $1/T^2$. Multiplying by $T^2$
#   keeps its size comparable to the cross-entropy's when you change $T$, so $\alpha$ means the
#   same thing at every temperature. You will measure that scaling.
# - **Both sides at temperature $T$.** Softening only the student (or only the teacher) compares
#   distributions of different sharpness: the loss is not minimised when the student matches
#   the teacher.
#
# Build it from Tensor operations so autograd differentiates it: `log_softmax` (module 04) of
# `student_logits * (1/T)` for $\log q$; the teacher is a constant — compute $p$ and $\log p$ in
# numpy from `teacher_logits` (a Tensor or an array; no gradient flows into the teacher). For
# the cross-entropy use `log_softmax(student_logits)` and a one-hot matrix of the targets. Keep
# the student's dtype (a float64 student gives a float64 loss).

# %% nbgrader={"grade": false, "grade_id": "distillation-loss-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def distillation_loss(student_logits, teacher_logits, targets, T=4.0, alpha=0.5):
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, targets).

    student_logits: Tensor (N, C); teacher_logits: Tensor or array (N, C), a constant;
    targets: int class ids (N,). KL and CE are means over the N examples. Returns a 0-d Tensor.
    """
    ### BEGIN SOLUTION
    dtype = student_logits.data.dtype
    teacher = np.asarray(getattr(teacher_logits, "data", teacher_logits), dtype=np.float64)
    teacher_scaled = teacher / T
    shifted = teacher_scaled - teacher_scaled.max(axis=-1, keepdims=True)
    teacher_log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    teacher_probs = np.exp(teacher_log_probs)
    count, classes = student_logits.shape
    student_log_probs = log_softmax(student_logits * (1.0 / T), dim=-1)
    kl = (Tensor(teacher_probs.astype(dtype)) * (Tensor(teacher_log_probs.astype(dtype)) - student_log_probs)).sum() * (1.0 / count)
    one_hot = np.eye(classes, dtype=dtype)[np.asarray(targets, dtype=np.int64)]
    cross_entropy = -(log_softmax(student_logits, dim=-1) * Tensor(one_hot)).sum() * (1.0 / count)
    return kl * (alpha * T * T) + cross_entropy * (1.0 - alpha)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "distillation-loss", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def reference_distillation(student, teacher, targets, T, alpha):
    def log_softmax_np(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    log_p, log_q = log_softmax_np(teacher / T), log_softmax_np(student / T)
    kl = np.sum(np.exp(log_p) * (log_p - log_q)) / len(student)
    ce = -np.mean(log_softmax_np(student)[np.arange(len(student)), targets])
    return alpha * T * T * kl + (1 - alpha) * ce


student = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
teacher_out = np.array([[3.0, 1.0, -2.0], [0.0, 2.0, 0.0]])
labels_small = np.array([0, 1])
loss = distillation_loss(Tensor(student), Tensor(teacher_out), labels_small, T=2.0, alpha=0.7)
assert isinstance(loss, Tensor) and loss.data.size == 1, "return a one-element Tensor"
print(f"loss = {loss.item():.6f}, expected {reference_distillation(student, teacher_out, labels_small, 2.0, 0.7):.6f}")
np.testing.assert_allclose(loss.item(), reference_distillation(student, teacher_out, labels_small, 2.0, 0.7), rtol=1e-6,
                           err_msg="alpha * T^2 * KL(p_teacher || q_student) + (1 - alpha) * CE, both softened by T")
same = distillation_loss(Tensor(teacher_out), teacher_out, labels_small, T=3.0, alpha=1.0)
assert abs(same.item()) < 1e-6, f"a student equal to its teacher has zero KL, got {same.item()}"
ce_only = distillation_loss(Tensor(student), teacher_out, labels_small, T=5.0, alpha=0.0)
np.testing.assert_allclose(ce_only.item(), CrossEntropyLoss()(Tensor(student), labels_small).item(), rtol=1e-6,
                           err_msg="alpha = 0 is plain cross-entropy")
# the gradient in the student's logits reaches the student, none the teacher
s = Tensor(student.copy(), requires_grad=True)
distillation_loss(s, Tensor(teacher_out, requires_grad=True), labels_small, T=2.0, alpha=1.0).backward()
np.testing.assert_allclose(s.grad, 2.0 * (np.exp(student / 2) / np.exp(student / 2).sum(1, keepdims=True)
                                          - np.exp(teacher_out / 2) / np.exp(teacher_out / 2).sum(1, keepdims=True)) / 2,
                           rtol=1e-6, err_msg="d/dz_s of T^2 KL = T (q - p) / N")
print("distillation_loss passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow

rng = np.random.default_rng(1705)
for _ in range(4):
    n, c = int(rng.integers(1, 7)), int(rng.integers(2, 9))
    T, alpha = float(rng.uniform(1.0, 6.0)), float(rng.uniform(0.0, 1.0))
    zs, zt = rng.standard_normal((n, c)) * 3, rng.standard_normal((n, c)) * 3
    y = rng.integers(0, c, size=n)
    np.testing.assert_allclose(distillation_loss(Tensor(zs), zt, y, T=T, alpha=alpha).item(),
                               reference_distillation(zs, zt, y, T, alpha), rtol=1e-10)
    st = Tensor(zs, requires_grad=True)
    check_gradient_flow(lambda: distillation_loss(st, zt, y, T=T, alpha=alpha), {"student_logits": st})
# T^2 keeps the distillation gradient's size comparable across temperatures
zs, zt = rng.standard_normal((8, 5)), rng.standard_normal((8, 5))
norms = []
for T in (2.0, 8.0, 32.0):
    st = Tensor(zs, requires_grad=True)
    distillation_loss(st, zt, np.zeros(8, dtype=int), T=T, alpha=1.0).backward()
    norms.append(np.linalg.norm(st.grad))
assert max(norms) / min(norms) < 2.0, f"with T^2 the gradient norms stay comparable, got {norms}"
### END HIDDEN TESTS

# %% [markdown]
# ### Measure it: the $T^2$ factor, and a distilled student
#
# First the scaling: the size of the distillation gradient in the student logits (alpha = 1)
# for several temperatures, with and without the $T^2$ factor.

# %%
rng = np.random.default_rng(3)
student_probe, teacher_probe = rng.standard_normal((64, 10)), rng.standard_normal((64, 10)) * 2
print("   T   |grad| with T^2   |grad| without (= with / T^2)")
for T in (1.0, 2.0, 4.0, 8.0, 16.0):
    probe = Tensor(student_probe, requires_grad=True)
    distillation_loss(probe, teacher_probe, np.zeros(64, dtype=int), T=T, alpha=1.0).backward()
    norm = np.linalg.norm(probe.grad)
    print(f"{T:5.0f}      {norm:.4f}          {norm / T ** 2:.6f}")

# %% [markdown]
# With $T^2$ the gradient settles to a constant size as $T$ grows; without it, it falls like
# $1/T^2$ and the hard-label term would drown it.
#
# Now distil: a student with 16 hidden neurons (4 times fewer parameters than the teacher),
# trained for the same number of steps once on the labels alone and once on the distillation
# loss ($T = 4$, $\alpha = 0.7$). To make the teacher's extra knowledge matter, both students
# see only 300 labelled training digits (the teacher was trained on all of them) — the common
# situation where distillation helps most. One seed is not enough to see a gap of a point or
# two, so each student is trained from three seeds and the table shows all of them.

# %%
started = time.perf_counter()
few = np.random.default_rng(4).permutation(len(x_train))[:300]
x_few, y_few = x_train[few], y_train[few]
with no_grad():
    teacher_logits_few = teacher(Tensor(x_few)).data


def train_student(label, seed, epochs=30):
    student_model = make_mlp(16, seed=seed)
    optimizer = Adam(student_model.parameters(), lr=0.01)
    if label == "labels only":
        loss_of = lambda rows: CrossEntropyLoss()(student_model(Tensor(x_few[rows])), y_few[rows])
    else:
        loss_of = lambda rows: distillation_loss(student_model(Tensor(x_few[rows])), teacher_logits_few[rows],
                                                 y_few[rows], T=4.0, alpha=0.7)
    rng_epochs = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng_epochs.permutation(len(x_few))
        for start in range(0, len(order), 50):
            optimizer.zero_grad()
            loss_of(order[start:start + 50]).backward()
            optimizer.step()
    return student_model


student_results = {label: [accuracy(train_student(label, seed)) for seed in (5, 6, 7)]
                   for label in ("labels only", "distilled")}
student_params = parameter_count(make_mlp(16, seed=0))
print(f"teacher ({parameter_count(teacher)} params): {teacher_accuracy:.1%}")
for label, results in student_results.items():
    print(f"student ({student_params} params), {label:11s}: seeds " + ", ".join(f"{a:.1%}" for a in results)
          + f"   mean {np.mean(results):.1%}")
print(f"({time.perf_counter() - started:.1f} s)")

fig, ax = plt.subplots(figsize=(5, 3))
names = ["teacher", "student\nlabels only", "student\ndistilled"]
values = [teacher_accuracy, np.mean(student_results["labels only"]), np.mean(student_results["distilled"])]
ax.bar(names, [100 * v for v in values], color=["gray", "tab:blue", "tab:orange"])
for i, v in enumerate(values):
    ax.text(i, 100 * v + 0.5, f"{v:.1%}", ha="center")
ax.set(ylabel="held-out accuracy (%)", ylim=(min(values) * 100 - 10, 100), title="Distilling the digits teacher (mean of 3 seeds)")
plt.show()

# %% [markdown]
# Read the numbers with their spread in mind: the distilled students do better on average, by
# a margin of the same order as the seed-to-seed differences. On an easy task the labels
# already carry most of what the teacher knows, and distillation is no free lunch: with an
# even smaller student (8 hidden neurons) the soft targets were too hard to follow, and
# in our trials it scored below the label-only student. Distillation pays when the student has
# the capacity to imitate the teacher and the teacher's soft targets add information the few
# labels do not have.

# %% [markdown]
# ## Integration: compress a digits model end to end
#
# The last graded cell puts the pieces together on a fresh small model: prune 80 % globally and
# fine-tune with masks, factor its hidden layer, remove half of its hidden neurons, and distil
# a student from it.

# %% nbgrader={"grade": true, "grade_id": "compression-integration", "locked": true, "points": 2, "schema_version": 3, "solution": false}
base = make_mlp(32, seed=17)
train(base, Adam(base.parameters(), lr=0.01), cross_entropy_on(base), epochs=5, seed=17)
base_accuracy = accuracy(base)
assert base_accuracy > 0.9, f"the small digits MLP should train to > 90%, got {base_accuracy:.1%}"

pruned = copy_of(base)
masks = magnitude_prune(pruned, 0.8)
total = sum(m.size for m in masks)
assert abs(sparsity(pruned) - round(0.8 * total) / total) < 1e-12, "exactly 80% of the weights are zero"
optimizer = MaskedOptimizer(Adam(pruned.parameters(), lr=0.01), prunable_weights(pruned), masks)
train(pruned, optimizer, cross_entropy_on(pruned), epochs=3, seed=18)
assert abs(sparsity(pruned) - round(0.8 * total) / total) < 1e-12, "fine-tuning kept the pruned weights at zero"
pruned_accuracy = accuracy(pruned)
assert pruned_accuracy > base_accuracy - 0.05, f"80% sparse + fine-tuning: {pruned_accuracy:.1%} vs {base_accuracy:.1%}"

factored = Sequential(low_rank_linear(base.layers[0], 16), base.layers[1], base.layers[2])
assert accuracy(factored) > base_accuracy - 0.05, f"rank 16 of 32: {accuracy(factored):.1%}"
narrow_first, narrow_second, kept = prune_neurons(base.layers[0], 0.5, base.layers[2])
narrow = Sequential(narrow_first, ReLU(), narrow_second)
assert parameter_count(narrow) == 64 * 16 + 16 + 16 * 10 + 10, "half of the hidden neurons removed"
assert accuracy(narrow) > 0.5, f"half of the neurons removed, no fine-tuning: {accuracy(narrow):.1%}"
print(f"base {base_accuracy:.1%}, 80% sparse {pruned_accuracy:.1%}, rank 16 {accuracy(factored):.1%}, "
      f"16 of 32 neurons {accuracy(narrow):.1%}")
### BEGIN HIDDEN TESTS
with no_grad():
    base_logits = base(Tensor(x_train)).data
distilled = make_mlp(16, seed=19)
optimizer = Adam(distilled.parameters(), lr=0.01)
train(distilled, optimizer, lambda rows: distillation_loss(distilled(Tensor(x_train[rows])), base_logits[rows],
                                                           y_train[rows], T=4.0, alpha=0.7), epochs=5, seed=19)
assert accuracy(distilled) > 0.8, f"distilled student: {accuracy(distilled):.1%}"
# whole-stack gradients through the compressed model in float64
from autograder.gradcheck import check_gradient_flow
check_model = Sequential(low_rank_linear(linear_from_arrays(base.layers[0].weight.data.astype(np.float64),
                                                            base.layers[0].bias.data.astype(np.float64)), 4),
                         ReLU(), linear_from_arrays(np.random.default_rng(20).standard_normal((32, 10)), np.zeros(10)))
xt = Tensor(x_train[:6].astype(np.float64) + 0.01)
down, up = check_model.layers[0].layers
check_gradient_flow(lambda: distillation_loss(check_model(xt), base_logits[:6], y_train[:6], T=2.0, alpha=0.5),
                    {"down.weight": down.weight, "up.weight": up.weight}, max_entries=12)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **Magnitude pruning** zeroes the $k = \operatorname{round}(s\,n)$ smallest weights, ranked
#   with a stable sort so ties give exact counts; global ranking spends the sparsity where the
#   weights are small, per-layer ranking cuts every layer equally.
# - **Masked fine-tuning** masks the *gradient* before the optimizer step, so the momentum
#   buffer and Adam's moments of pruned weights stay zero and the weights cannot regrow; the
#   mask is re-applied to the weights after the step as a guarantee.
# - **Structured pruning** removes whole neurons (columns of one layer, rows of the next):
#   fewer parameters, fewer bytes and measurably faster dense matmuls — unlike unstructured
#   sparsity, which you measured to save neither time nor memory in a dense format.
# - **Low-rank factorisation** replaces $W$ by two thin layers from its truncated SVD, with
#   squared error exactly $\sum_{i>r}\sigma_i^2$ (measured) and $r(\text{in}+\text{out})$
#   parameters.
# - **Distillation** trains a small student on the teacher's temperature-softened outputs;
#   $T^2$ keeps the soft-target gradient comparable to the hard-label one at any temperature.
#
# **Next:** module 18 makes the remaining computation itself faster with vectorized, tiled and
# fused kernels.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/perf/compression.py`.

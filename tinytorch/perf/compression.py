# Generated from modules/17_compression/17_compression.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.losses import log_softmax


def prunable_weights(model_or_tensor):
    """The tensors pruning acts on: a Tensor itself, or every parameter of a model with 2+ axes."""
    if isinstance(model_or_tensor, Tensor):
        return [model_or_tensor]
    return [p for p in model_or_tensor.parameters() if p.data.ndim >= 2]


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


def sparsity(model_or_tensor):
    """Measured fraction of exactly-zero entries over all prunable weights (a Python float)."""
    weights = prunable_weights(model_or_tensor)
    zeros = sum(int(np.count_nonzero(w.data == 0)) for w in weights)
    return zeros / sum(w.data.size for w in weights)


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
        for weight, mask in zip(self.weights, self.masks):
            if weight.grad is not None:
                weight.grad = weight.grad * mask
        self.optimizer.step()
        for weight, mask in zip(self.weights, self.masks):
            weight.data *= mask


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


def low_rank_linear(linear, rank):
    """Sequential(Linear(in, rank, no bias), Linear(rank, out, linear's bias)) computing x @ W_r + b.

    W_r is the truncated SVD of linear.weight with the `rank` largest singular values; the
    first weight is U[:, :rank] * S[:rank], the second Vt[:rank]. ValueError unless
    1 <= rank <= min(in, out). Weights in the original dtype; build layers with linear_from_arrays.
    """
    weight = linear.weight.data
    if not 1 <= rank <= min(weight.shape):
        raise ValueError(f"rank must be between 1 and {min(weight.shape)} for a weight {weight.shape}, got {rank}")
    U, S, Vt = np.linalg.svd(weight.astype(np.float64), full_matrices=False)
    down = (U[:, :rank] * S[:rank]).astype(weight.dtype)
    up = Vt[:rank].astype(weight.dtype)
    bias = None if linear.bias is None else linear.bias.data
    return Sequential(linear_from_arrays(down, None), linear_from_arrays(up, bias))


def distillation_loss(student_logits, teacher_logits, targets, T=4.0, alpha=0.5):
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, targets).

    student_logits: Tensor (N, C); teacher_logits: Tensor or array (N, C), a constant;
    targets: int class ids (N,). KL and CE are means over the N examples. Returns a 0-d Tensor.
    """
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

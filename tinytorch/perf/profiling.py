# Generated from modules/14_profiling/14_profiling.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU, Activation, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.attention import MultiHeadAttention
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Layer, Linear
from tinytorch.core.spatial import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import LayerNorm
from tinytorch.text.embeddings import LearnedPositionalEncoding, PositionalEncoding


# Layers timed and counted as one unit even though they contain other layers.
ATOMIC_LAYERS = (MultiHeadAttention,)


def named_children(layer):
    """(attribute path, sub-layer) for every Layer or activation held by `layer` directly,
    looking inside lists and tuples ("blocks.0")."""
    children = []

    def visit(value, name):
        if isinstance(value, (Layer, Activation)):
            children.append((name, value))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(item, f"{name}.{index}")

    for attribute, value in vars(layer).items():
        visit(value, attribute)
    return children


def named_layers(model, prefix=""):
    """(dotted name, layer) for the model (name "") and every layer inside it, parents first,
    each layer object once even if it is reachable twice."""
    found, seen = [], set()

    def visit(layer, name):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        found.append((name, layer))
        for child_name, child in named_children(layer):
            visit(child, f"{name}.{child_name}" if name else child_name)

    visit(model, prefix)
    return found


def leaf_layers(model):
    """(name, layer) of the layers a profiler times: no sub-layers, or an ATOMIC_LAYERS type
    (whose insides are then not listed)."""
    leaves, seen = [], set()

    def visit(layer, name):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        children = named_children(layer)
        if not children or isinstance(layer, ATOMIC_LAYERS):
            leaves.append((name, layer))
            return
        for child_name, child in children:
            visit(child, f"{name}.{child_name}" if name else child_name)

    visit(model, "")
    return leaves


def display_name(name, layer):
    """How a layer appears in tables: its path, or its type for the model itself."""
    return name or f"({type(layer).__name__})"


def count_parameters(model):
    """(total, per_layer) for a model (any Layer or activation).

    per_layer maps the name of each layer from named_layers(model) to the number of entries
    (`.data.size`) of the trainable Tensors (requires_grad=True) it holds directly in its
    attributes (vars(layer)); a Tensor already counted under an earlier layer is skipped (by
    id); layers with nothing left to count are left out. total is the sum of the per-layer
    counts.
    """
    seen, per_layer = set(), {}
    for name, layer in named_layers(model):
        count = 0
        for value in vars(layer).values():
            if isinstance(value, Tensor) and value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                count += value.data.size
        if count:
            per_layer[name] = count
    return sum(per_layer.values()), per_layer


def linear_flops(input_shape, in_features, out_features, bias=True):
    """FLOPs of Linear(in_features, out_features) on an input of shape (..., in_features).

    rows N = the product of every size but the last (1 for a 1-D input);
    FLOPs = 2 * N * in_features * out_features, plus N * out_features with a bias.
    Raise ValueError when input_shape[-1] != in_features. Return a Python int.
    """
    if input_shape[-1] != in_features:
        raise ValueError(f"Linear({in_features}, {out_features}) cannot take input of shape {tuple(input_shape)}")
    rows = int(np.prod(input_shape[:-1], dtype=np.int64))
    flops = 2 * rows * in_features * out_features
    if bias:
        flops += rows * out_features
    return int(flops)


def conv2d_flops(output_shape, in_channels, kernel_size, bias=True):
    """FLOPs of a Conv2d whose output has shape (N, C_out, H_out, W_out).

    kernel_size: an int k (a k x k kernel) or a pair (kH, kW). Each output value costs
    2 * in_channels * kH * kW FLOPs, plus 1 with a bias. Return a Python int.
    """
    if len(output_shape) != 4:
        raise ValueError(f"a Conv2d output has shape (N, C_out, H_out, W_out), got {tuple(output_shape)}")
    kernel_h, kernel_w = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    outputs = int(np.prod(output_shape, dtype=np.int64))
    per_output = 2 * in_channels * kernel_h * kernel_w + (1 if bias else 0)
    return int(outputs * per_output)


def attention_flops(batch, seq_len, embed_dim, num_heads):
    """FLOPs of MultiHeadAttention(embed_dim, num_heads) on x of shape (batch, seq_len, embed_dim),
    as {"projections": ..., "scores": ..., "softmax": ..., "weighted_sum": ...} (Python ints):

    projections  = 4 Linear(embed_dim, embed_dim) with bias on (batch, seq_len, embed_dim)
    scores       = 2 * batch * num_heads * seq_len * seq_len * head_dim
    softmax      = 5 * batch * num_heads * seq_len * seq_len
    weighted_sum = 2 * batch * num_heads * seq_len * seq_len * head_dim
    with head_dim = embed_dim // num_heads (raise ValueError when it does not divide).
    """
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads
    score_count = batch * num_heads * seq_len * seq_len
    return {
        "projections": 4 * linear_flops((batch, seq_len, embed_dim), embed_dim, embed_dim),
        "scores": 2 * score_count * head_dim,
        "softmax": 5 * score_count,
        "weighted_sum": 2 * score_count * head_dim,
    }


# FLOPs per output value of the elementwise layers (see the text for what each counts).
ELEMENTWISE_FLOPS = {
    ReLU: 1, Sigmoid: 4, Tanh: 5, GELU: 13, Softmax: 5, LayerNorm: 7, BatchNorm2d: 7,
    LearnedPositionalEncoding: 1, PositionalEncoding: 1,
}


def layer_flops(layer, input_shapes, output_shape):
    """FLOPs of one forward call of a leaf layer, from the shapes of its inputs and output.

    Types without a formula here (Embedding, Flatten, Dropout in eval mode, ...) count 0.
    """
    outputs = int(np.prod(output_shape, dtype=np.int64))
    if isinstance(layer, Linear):
        return linear_flops(input_shapes[0], layer.in_features, layer.out_features, layer.bias is not None)
    if isinstance(layer, Conv2d):
        return conv2d_flops(output_shape, layer.in_channels, layer.kernel_size, layer.bias is not None)
    if isinstance(layer, MultiHeadAttention):
        batch, seq_len, embed_dim = input_shapes[0]
        return sum(attention_flops(batch, seq_len, embed_dim, layer.num_heads).values())
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        return outputs * layer.kernel_size[0] * layer.kernel_size[1]
    if isinstance(layer, Dropout):
        return outputs if layer.training and layer.p > 0 else 0  # one multiply by the mask
    for layer_type, per_value in ELEMENTWISE_FLOPS.items():
        if isinstance(layer, layer_type):
            return per_value * outputs
    return 0


def parameter_bytes(model):
    """Bytes of the model's parameters: the sum of p.data.nbytes over model.parameters()."""
    return int(sum(p.data.nbytes for p in model.parameters()))


def gradient_bytes(model):
    """Bytes of the gradients that exist now: the sum of p.grad.nbytes over the parameters
    whose .grad is not None (0 before any backward pass)."""
    return int(sum(p.grad.nbytes for p in model.parameters() if p.grad is not None))


def optimizer_state_bytes(optimizer):
    """Bytes of the numpy arrays in optimizer.state (every parameter, every buffer); ints
    such as Adam's "step" counter are not arrays and count 0."""
    return int(sum(
        value.nbytes
        for buffers in optimizer.state.values()
        for value in buffers.values()
        if isinstance(value, np.ndarray)
    ))


def measure_latency(fn, warmup=3, repeats=20, clock=time.perf_counter):
    """Time fn(): `warmup` untimed calls, then `repeats` timed ones.

    Each timed call is measured as `start = clock(); fn(); seconds = clock() - start` (the
    clock is read exactly twice per timed call and never during the warm-up). Return a dict
    of Python floats
        {"median", "mean", "p90", "p99", "min", "max"}
    computed with numpy (np.median, np.mean, np.percentile with its default interpolation),
    plus "samples": the numpy array of the `repeats` durations in the order they were measured.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}")
    for _ in range(warmup):
        fn()
    samples = np.empty(repeats)
    for index in range(repeats):
        start = clock()
        fn()
        samples[index] = clock() - start
    return {
        "median": float(np.median(samples)),
        "mean": float(np.mean(samples)),
        "p90": float(np.percentile(samples, 90)),
        "p99": float(np.percentile(samples, 99)),
        "min": float(np.min(samples)),
        "max": float(np.max(samples)),
        "samples": samples,
    }


@dataclass
class LayerCall:
    """One forward call of one leaf layer, as recorded by Profiler.trace."""

    name: str                 # dotted path from leaf_layers, "" for the model itself
    layer: object             # the layer object
    input_shapes: list        # shape of each positional input (None for a non-array input, e.g. no mask)
    output_shape: tuple
    output_bytes: int         # nbytes of the output array
    seconds: float

    @property
    def layer_type(self):
        return type(self.layer).__name__


def shape_of(value):
    """The shape of a Tensor or numpy array; None for anything else."""
    return value.shape if isinstance(value, (Tensor, np.ndarray)) else None


class Profiler:
    """Parameters, FLOPs, memory and latency of TinyTorch models, measured on the models themselves.

    clock: a function returning seconds (time.perf_counter by default; tests pass a fake one).
    """

    def __init__(self, clock=time.perf_counter):
        self.clock = clock

    def trace(self, model, *inputs, **kwargs):
        """Run model(*inputs, **kwargs) once under no_grad(); return (output, records).

        records: a list of LayerCall, one per call of a leaf layer (leaf_layers(model)), in
        the order the calls finished. For each leaf, replace its forward by a wrapper that
        reads self.clock() before and after calling the original forward and appends
        LayerCall(name, layer, [shape_of(x) for x in args], output.shape,
        output.data.nbytes, seconds). In a `finally:` block, restore every wrapped layer: delete
        the instance attribute `forward` (or put back the one it had before, if it had one).

        Hint: make each wrapper in a small helper function taking (name, layer, original
        forward); a function defined directly in the loop body would see only the loop's last
        layer when it runs (Python closures look variables up when called).
        """
        records = []
        def timed(name, layer, forward):
            def timed_forward(*args, **options):
                start = self.clock()
                output = forward(*args, **options)
                seconds = self.clock() - start
                records.append(LayerCall(name, layer, [shape_of(x) for x in args], output.shape,
                                         int(output.data.nbytes), seconds))
                return output
            return timed_forward

        wrapped = []  # (layer, the instance attribute it had before, or None)
        try:
            for name, layer in leaf_layers(model):
                wrapped.append((layer, vars(layer).get("forward")))
                layer.forward = timed(name, layer, layer.forward)
            with no_grad():
                output = model(*inputs, **kwargs)
        finally:
            for layer, previous in wrapped:
                if previous is None:
                    del layer.forward
                else:
                    layer.forward = previous
        return output, records

    def profile(self, model, *inputs, warmup=1, **kwargs):
        """One row per leaf layer that ran, in leaf_layers(model) order, as a dict:
        {"name", "type", "calls", "params", "flops", "output_bytes", "seconds"}.

        Run `warmup` untraced forward passes under no_grad() first, then one trace. params is
        count_parameters(layer)[0]; flops, output_bytes and seconds are summed over the
        layer's calls (flops of one call: layer_flops(layer, input_shapes, output_shape)).
        """
        with no_grad():
            for _ in range(warmup):
                model(*inputs, **kwargs)
        _, records = self.trace(model, *inputs, **kwargs)
        rows = []
        for name, layer in leaf_layers(model):
            calls = [record for record in records if record.layer is layer]
            if not calls:
                continue
            rows.append({
                "name": name,
                "type": type(layer).__name__,
                "calls": len(calls),
                "params": count_parameters(layer)[0],
                "flops": sum(layer_flops(layer, call.input_shapes, call.output_shape) for call in calls),
                "output_bytes": sum(call.output_bytes for call in calls),
                "seconds": sum(call.seconds for call in calls),
            })
        return rows

    # ---- given: built on the steps above ---------------------------------------------------

    def count_parameters(self, model):
        """(total, {layer name: count}): see count_parameters."""
        return count_parameters(model)

    def flops(self, model, *inputs, **kwargs):
        """{layer type: FLOPs of one forward pass of the model on these inputs}."""
        _, records = self.trace(model, *inputs, **kwargs)
        totals = {}
        for record in records:
            flops = layer_flops(record.layer, record.input_shapes, record.output_shape)
            totals[record.layer_type] = totals.get(record.layer_type, 0) + flops
        return totals

    def memory(self, model, *inputs, optimizer=None, **kwargs):
        """Bytes of parameters, gradients (as they are now), optimizer state (if given) and,
        when inputs are given, activations: the leaf layers' outputs of one forward pass,
        which is what the graph keeps for backward (a lower bound: layers also keep inner
        intermediates)."""
        report = {"parameters": parameter_bytes(model), "gradients": gradient_bytes(model),
                  "optimizer_state": optimizer_state_bytes(optimizer) if optimizer is not None else 0}
        if inputs:
            _, records = self.trace(model, *inputs, **kwargs)
            report["activations"] = sum(record.output_bytes for record in records)
        return report

    def latency(self, fn, warmup=3, repeats=20):
        """measure_latency with this profiler's clock."""
        return measure_latency(fn, warmup=warmup, repeats=repeats, clock=self.clock)

    @staticmethod
    def peak_memory(fn):
        """Peak bytes that numpy and Python allocated while fn() ran (tracemalloc), and fn's result."""
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        try:
            result = fn()
            peak = tracemalloc.get_traced_memory()[1] - start
        finally:
            if not was_tracing:
                tracemalloc.stop()
        return peak, result

    @staticmethod
    def format_profile(rows):
        """The rows as a text table, with a total line and each layer's share of the time."""
        total_time = sum(row["seconds"] for row in rows) or 1.0
        lines = [f"{'layer':32s} {'type':26s} {'params':>9s} {'MFLOPs':>9s} {'out KB':>9s} {'ms':>8s} {'time':>6s}"]
        for row in rows:
            name = row["name"] or f"({row['type']})"
            lines.append(f"{name:32s} {row['type']:26s} {row['params']:9,d} {row['flops'] / 1e6:9.3f} "
                         f"{row['output_bytes'] / 1024:9.1f} {row['seconds'] * 1e3:8.3f} "
                         f"{row['seconds'] / total_time:6.1%}")
        lines.append(f"{'total':59s} {sum(r['params'] for r in rows):9,d} "
                     f"{sum(r['flops'] for r in rows) / 1e6:9.3f} {sum(r['output_bytes'] for r in rows) / 1024:9.1f} "
                     f"{sum(r['seconds'] for r in rows) * 1e3:8.3f}")
        return "\n".join(lines)

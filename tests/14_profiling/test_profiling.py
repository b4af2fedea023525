"""tinytorch.perf.profiling (module 14): parameter counts, FLOP formulas, memory accounting,
latency statistics with a fake clock, and a trace that always leaves the model as it found it."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import GELU, ReLU, Tanh
from tinytorch.core.attention import MultiHeadAttention
from tinytorch.core.autograd import GradMode, no_grad
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.spatial import AvgPool2d, Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT, LayerNorm
from tinytorch.perf.profiling import (
    Profiler, attention_flops, conv2d_flops, count_parameters, layer_flops, leaf_layers, linear_flops,
    measure_latency, named_layers,
)
from tinytorch.text.embeddings import PositionalEncoding


class TickClock:
    """Advances by `step` seconds every time it is read."""

    def __init__(self, step=1.0):
        self.step, self.now, self.reads = step, 0.0, 0

    def __call__(self):
        self.reads += 1
        self.now += self.step
        return self.now


class Exploding(Layer):
    def forward(self, x):
        raise RuntimeError("boom")


def attribute_names(model):
    return {name: sorted(vars(layer)) for name, layer in named_layers(model)}


def small_gpt(seed=0):
    np.random.seed(seed)
    return GPT(vocab_size=17, embed_dim=12, num_layers=2, num_heads=3, max_seq_len=8)


# ---- parameters ---------------------------------------------------------------------------

def test_count_parameters_matches_parameters_for_every_built_model():
    np.random.seed(1)
    models = [
        Sequential(Linear(3, 4), ReLU(), Linear(4, 2, bias=False)),
        Sequential(Conv2d(2, 3, (3, 2), stride=2), ReLU(), MaxPool2d(2), Flatten(), Linear(6, 2)),
        MultiHeadAttention(8, 2), LayerNorm((3, 4)), small_gpt(),
    ]
    for model in models:
        total, per_layer = count_parameters(model)
        assert total == sum(p.data.size for p in model.parameters()) == sum(per_layer.values())
        assert all(count > 0 for count in per_layer.values())


def test_gpt_parameter_count_follows_the_closed_form():
    vocab, dim, layers, context = 17, 12, 2, 8
    total, per_layer = count_parameters(small_gpt())
    per_block = 4 * (dim * dim + dim) + 2 * 2 * dim + (dim * 4 * dim + 4 * dim) + (4 * dim * dim + dim)
    assert total == vocab * dim + context * dim + layers * per_block + 2 * dim + dim * vocab + vocab
    assert per_layer["blocks.1.mlp.fc1"] == dim * 4 * dim + 4 * dim


def test_buffers_and_frozen_tensors_are_not_parameters():
    model = Sequential(PositionalEncoding(16, 4), Linear(4, 4))
    model.layers[1].bias.requires_grad = False
    assert count_parameters(model) == (16, {"layers.1": 16})


def test_a_shared_tensor_is_counted_once_under_its_first_layer():
    first, second = Linear(5, 5), Linear(5, 5)
    second.weight = first.weight
    total, per_layer = count_parameters(Sequential(first, second))
    assert total == 25 + 5 + 5 and per_layer == {"layers.0": 30, "layers.1": 5}


def test_a_layer_reachable_twice_is_listed_once():
    shared = Linear(3, 3)
    model = Sequential(shared, Tanh(), shared)
    assert [name for name, _ in named_layers(model)] == ["", "layers.0", "layers.1"]
    assert [name for name, _ in leaf_layers(model)] == ["layers.0", "layers.1"]
    assert count_parameters(model)[0] == 12


# ---- FLOPs --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,n_in,n_out,bias,expected", [
    ((7,), 7, 3, True, 2 * 7 * 3 + 3), ((2, 7), 7, 3, False, 2 * 2 * 7 * 3),
    ((2, 5, 7), 7, 3, True, 2 * 10 * 7 * 3 + 10 * 3), ((1, 1, 1, 1), 1, 1, True, 3),
])
def test_linear_flops(shape, n_in, n_out, bias, expected):
    assert linear_flops(shape, n_in, n_out, bias) == expected


def test_linear_flops_rejects_a_mismatched_input():
    with pytest.raises(ValueError, match="Linear"):
        linear_flops((2, 4), 5, 3)


def test_linear_flops_equals_the_multiply_adds_of_the_matrix_product():
    rng = np.random.default_rng(0)
    x, weight = rng.integers(0, 2, size=(6, 4)), rng.integers(0, 2, size=(4, 5))
    # every one of the 6*5 outputs is a dot product of length 4: 4 multiplies and 4 adds (as counted)
    assert linear_flops(x.shape, 4, 5, bias=False) == 2 * (x.shape[0] * weight.shape[1]) * 4


@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 1), ((3, 2), 2, 0), ((1, 5), (1, 2), (0, 2)), (2, 2, 0)])
def test_conv2d_flops_follow_the_real_output_shape(kernel, stride, padding):
    np.random.seed(2)
    conv = Conv2d(3, 4, kernel, stride=stride, padding=padding)
    output = conv(Tensor(np.zeros((2, 3, 9, 10), dtype=np.float32)))
    kernel_h, kernel_w = conv.kernel_size
    expected = int(np.prod(output.shape)) * (2 * 3 * kernel_h * kernel_w + 1)
    assert conv2d_flops(output.shape, 3, kernel) == expected
    assert layer_flops(conv, [(2, 3, 9, 10)], output.shape) == expected
    with pytest.raises(ValueError):
        conv2d_flops((4, 9, 10), 3, kernel)


def test_attention_flops_split_into_projections_and_quadratic_parts():
    for batch, seq_len, dim, heads in [(1, 1, 4, 1), (2, 7, 12, 3), (3, 16, 32, 8)]:
        parts = attention_flops(batch, seq_len, dim, heads)
        assert parts["projections"] == 4 * linear_flops((batch, seq_len, dim), dim, dim)
        assert parts["scores"] == parts["weighted_sum"] == 2 * batch * seq_len * seq_len * dim
        assert parts["softmax"] == 5 * batch * heads * seq_len * seq_len
    with pytest.raises(ValueError):
        attention_flops(1, 2, 10, 4)


def test_attention_flops_scale_quadratically_in_the_sequence_length():
    short, long = attention_flops(1, 32, 16, 2), attention_flops(1, 64, 16, 2)
    assert long["projections"] == 2 * short["projections"]
    assert long["scores"] == 4 * short["scores"] and long["softmax"] == 4 * short["softmax"]


def test_layer_flops_of_the_given_types():
    x_shape = (2, 3, 4, 4)
    assert layer_flops(ReLU(), [x_shape], x_shape) == 96
    assert layer_flops(GELU(), [x_shape], x_shape) == 13 * 96
    assert layer_flops(LayerNorm(4), [x_shape], x_shape) == 7 * 96
    assert layer_flops(MaxPool2d(2), [x_shape], (2, 3, 2, 2)) == 24 * 4
    assert layer_flops(AvgPool2d((2, 1)), [x_shape], (2, 3, 2, 4)) == 48 * 2
    assert layer_flops(Flatten(), [x_shape], (2, 48)) == 0
    assert layer_flops(MultiHeadAttention(4, 2), [(2, 3, 4), None], (2, 3, 4)) == sum(attention_flops(2, 3, 4, 2).values())


# ---- latency ------------------------------------------------------------------------------

def test_measure_latency_statistics_with_a_fake_clock():
    clock = {"now": 0.0}
    durations = iter([9.0, 9.0, 9.0] + [float(v) for v in range(1, 101)])

    def work():
        clock["now"] += next(durations)

    stats = measure_latency(work, warmup=3, repeats=100, clock=lambda: clock["now"])
    values = np.arange(1.0, 101.0)
    np.testing.assert_array_equal(stats["samples"], values)
    assert stats["median"] == 50.5 and stats["mean"] == 50.5 and stats["min"] == 1.0 and stats["max"] == 100.0
    assert stats["p90"] == pytest.approx(90.1) and stats["p99"] == pytest.approx(99.01)


def test_measure_latency_reads_the_clock_twice_per_timed_call_only():
    clock = TickClock(0.5)
    stats = measure_latency(lambda: None, warmup=5, repeats=4, clock=clock)
    assert clock.reads == 8 and np.all(stats["samples"] == 0.5)


def test_measure_latency_with_the_real_clock_is_ordered():
    stats = measure_latency(lambda: np.ones(1000).sum(), warmup=1, repeats=9)
    assert 0 < stats["min"] <= stats["median"] <= stats["p90"] <= stats["p99"] <= stats["max"]


@pytest.mark.parametrize("bad", [{"warmup": -1}, {"repeats": 0}])
def test_measure_latency_rejects_bad_counts(bad):
    with pytest.raises(ValueError):
        measure_latency(lambda: None, **bad)


# ---- trace and profile -------------------------------------------------------------------

def test_trace_records_every_leaf_call_and_restores_the_model():
    gpt = small_gpt(3)
    ids = np.random.default_rng(3).integers(0, 17, size=(2, 6))
    before, reference = attribute_names(gpt), gpt(ids).data
    clock = TickClock()
    output, records = Profiler(clock=clock).trace(gpt, ids)
    np.testing.assert_array_equal(output.data, reference)
    assert output.grad_fn is None and GradMode.enabled
    assert attribute_names(gpt) == before
    assert [r.name for r in records] == [name for name, _ in leaf_layers(gpt)]
    assert clock.reads == 2 * len(records) and all(r.seconds == 1.0 for r in records)
    assert all(r.output_bytes == np.prod(r.output_shape) * 4 for r in records)


def test_trace_restores_every_layer_and_grad_mode_after_an_error():
    gpt = small_gpt(4)
    gpt.blocks[0].mlp.activation = Exploding()
    before = attribute_names(gpt)
    with pytest.raises(RuntimeError, match="boom"):
        Profiler().trace(gpt, np.zeros((1, 3), dtype=np.int64))
    assert attribute_names(gpt) == before and GradMode.enabled


def test_trace_inside_no_grad_leaves_gradients_off_and_keeps_an_instance_forward():
    layer = Linear(2, 2)
    own = layer.forward = (lambda x: x)
    with no_grad():
        Profiler().trace(Sequential(layer, ReLU()), Tensor(np.ones((1, 2))))
        assert not GradMode.enabled
    assert GradMode.enabled and vars(layer)["forward"] is own


def test_profile_rows_agree_with_flops_memory_and_parameter_counts():
    np.random.seed(5)
    cnn = Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 3 * 3, 5))
    x = Tensor(np.random.default_rng(5).standard_normal((3, 1, 6, 6)).astype(np.float32))
    profiler = Profiler(clock=TickClock())
    rows = profiler.profile(cnn, x, warmup=2)
    assert [r["type"] for r in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert sum(r["flops"] for r in rows) == sum(profiler.flops(cnn, x).values())
    assert sum(r["params"] for r in rows) == count_parameters(cnn)[0]
    assert sum(r["output_bytes"] for r in rows) == profiler.memory(cnn, x)["activations"]
    assert rows[0]["flops"] == conv2d_flops((3, 4, 6, 6), 1, 3) and rows[0]["output_bytes"] == 3 * 4 * 36 * 4
    table = Profiler.format_profile(rows)
    assert all(row["name"] in table for row in rows) and "total" in table


def test_profiling_a_single_layer_names_it_by_its_type():
    rows = Profiler(clock=TickClock()).profile(Linear(3, 2), Tensor(np.ones((4, 3))))
    assert [(r["name"], r["type"], r["params"]) for r in rows] == [("", "Linear", 8)]
    assert "(Linear)" in Profiler.format_profile(rows)


def test_peak_memory_sees_a_large_allocation():
    peak, result = Profiler.peak_memory(lambda: np.ones((512, 512)))
    assert result.shape == (512, 512) and peak >= result.nbytes

"""Gradient-flow checks (DESIGN.md section 5), shared by graded cells and the test suite.

Two families, for the two halves of the course:

- Before autograd (modules 02-04) each activation, layer and loss writes its *local*
  backward by hand: given dL/d(output), return dL/d(input). `check_vjp` holds such a
  backward to central differences of its own forward.
- From module 05 on, gradients come from `loss.backward()`. `check_gradient_flow` runs a
  loss once and checks, for every named tensor: the gradient exists, has the tensor's
  shape, is not all zeros, and matches central differences. `check_model_gradients` adds
  coverage: every trainable tensor inside a model is returned by `parameters()`.

The checks return the errors found as a GradientErrors dictionary, never a bare number:
nbgrader reads a number left as a graded cell's last value as a partial score.

Every failure raises GradientCheckError (an AssertionError, so nbgrader and pytest count
it as a failed test) with a message that names the tensor, prints the error found beside
the error expected, and says what to look at.

The error measure is `relative_error`: the largest gap between the two gradients divided
by the largest magnitude in either, so a single wrong entry shows even in a big tensor,
and entries that are zero up to rounding do not blow the measure up. Central differences
in float64 with step 1e-6 agree with a correct gradient to about 1e-9 on smooth
functions; the default tolerance of 1e-5 leaves room for that and nothing for a bug.
"""
import numpy as np

EPS = 1e-6
TOLERANCE = 1e-5


class GradientErrors(dict):
    """{tensor name: relative error} of a passed check.

    Its repr is one line of feedback rather than a dict, and never a bare number: in a
    notebook it is what a graded cell that ends with a check shows, and nbgrader would
    read a number there as a partial score.
    """

    def __repr__(self):
        worst = max(self.values(), default=0.0)
        return f"gradient check passed for {', '.join(self)}: largest relative error {worst:.1e}"


class GradientCheckError(AssertionError):
    """A gradient is missing, misshapen, zero or wrong; the message says which and why."""


def relative_error(analytic, numeric) -> float:
    """max |analytic - numeric| / max(|analytic|, |numeric|) over all entries."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def _sample_indices(shape, max_entries, seed):
    """All multi-indices of `shape`, or `max_entries` of them drawn with a fixed seed."""
    total = int(np.prod(shape))
    if max_entries is None or total <= max_entries:
        flat = np.arange(total)
    else:
        flat = np.sort(np.random.default_rng(seed).choice(total, size=max_entries, replace=False))
    return [np.unravel_index(i, shape) for i in flat]


def numerical_gradient(f, array: np.ndarray, eps: float = EPS, indices=None) -> np.ndarray:
    """Central differences (f(a + eps) - f(a - eps)) / 2 eps of the scalar f() per entry.

    f takes no arguments and reads `array`, which is nudged in place and always restored.
    With `indices`, only those entries are computed (the others stay 0).
    """
    if array.dtype != np.float64:
        raise GradientCheckError(
            f"gradient checks need float64 tensors, got {array.dtype}: float32 keeps about 7 digits, "
            "too few to see a difference of 1e-6. Build the inputs from np.float64 arrays."
        )
    grad = np.zeros(array.shape, dtype=np.float64)
    for index in indices if indices is not None else np.ndindex(array.shape):
        original = array[index]
        try:
            array[index] = original + eps
            plus = float(f())
            array[index] = original - eps
            minus = float(f())
        finally:
            array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _diagnosis(analytic, numeric) -> str:
    """A guess at the kind of bug, from how the two gradients differ."""
    if not np.any(analytic):
        return "your gradient is all zeros: is the gradient reaching this tensor at all?"
    if relative_error(analytic, -numeric) < 1e-3:
        return "it is the right gradient with the wrong sign: look for a flipped subtraction."
    if analytic.ndim == 2 and analytic.shape[0] == analytic.shape[1] and relative_error(analytic, numeric.T) < 1e-3:
        return "it looks transposed: check the order of the factors in a matmul gradient."
    mask = np.abs(numeric) > 1e-3 * np.abs(numeric).max(initial=0.0)
    if mask.any():
        ratio = analytic[mask] / numeric[mask]
        if np.allclose(ratio, ratio.flat[0], rtol=1e-3) and not np.isclose(ratio.flat[0], 1.0):
            return (f"every entry is off by the same factor {ratio.flat[0]:.4g}: a missing or extra "
                    "scale, such as the 1/n of a mean or the 2 of a square.")
    return ("check the derivative formula (for a matmul: which factor is transposed, and on which "
            "side), and that a tensor used several times (or broadcast) "
            "adds up all of its gradient contributions.")


def compare_gradients(name: str, analytic, numeric, tolerance: float = TOLERANCE, indices=None) -> float:
    """Raise GradientCheckError unless analytic matches numeric; return the error found."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise GradientCheckError(
            f"{name}: gradient has shape {analytic.shape}, expected {numeric.shape} (the shape of "
            f"{name} itself). A broadcast input must have its gradient summed back to its own shape."
        )
    if indices is not None:  # only the sampled entries were computed numerically
        picked = tuple(np.array(axis) for axis in zip(*indices)) if indices else ()
        analytic, numeric = analytic[picked], numeric[picked]
    if not np.all(np.isfinite(analytic)):
        raise GradientCheckError(f"{name}: gradient holds NaN or inf: look for a log(0), 0/0 or exp overflow.")
    error = relative_error(analytic, numeric)
    if error > tolerance:
        worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape)
        raise GradientCheckError(
            f"{name}: gradient does not match central differences.\n"
            f"  relative error found {error:.2e}, expected below {tolerance:.0e}\n"
            f"  largest gap at entry {tuple(int(i) for i in worst)}: yours {analytic[worst]:.6g}, "
            f"numerical {numeric[worst]:.6g}\n"
            f"  hint: {_diagnosis(analytic, numeric)}"
        )
    return error


def check_vjp(name, forward, backward, inputs, tolerance=TOLERANCE, seed=0, eps=EPS):
    """Check a hand-written backward against central differences of its forward.

    forward(*inputs) returns an array y; backward(upstream, *inputs) returns dL/d(input)
    for L = sum(y * upstream), one array per input (a single array when there is one
    input). `inputs` are float64 numpy arrays. A random upstream gradient, not ones, so
    that a backward which ignores its upstream argument fails. Returns {label: error}.
    """
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    output = np.asarray(forward(*inputs))
    upstream = np.random.default_rng(seed).standard_normal(output.shape)
    grads = backward(upstream, *inputs)
    if len(inputs) == 1 and not isinstance(grads, (tuple, list)):
        grads = [grads]
    if grads is None or len(grads) != len(inputs):
        raise GradientCheckError(f"{name}: backward should return one gradient per input ({len(inputs)})")
    errors = GradientErrors()
    for position, (x, grad) in enumerate(zip(inputs, grads)):
        label = name if len(inputs) == 1 else f"{name} (input {position})"
        if grad is None:
            raise GradientCheckError(f"{label}: backward returned None")
        numeric = numerical_gradient(lambda: np.sum(np.asarray(forward(*inputs)) * upstream), x, eps)
        errors[label] = compare_gradients(label, grad, numeric, tolerance)
    return errors


def _loss_value(loss) -> float:
    data = getattr(loss, "data", loss)
    if np.size(data) != 1:
        raise GradientCheckError(f"the loss must be a single number, got shape {np.shape(data)}: reduce it with .sum() or .mean()")
    return float(np.asarray(data).reshape(()))


def check_gradient_flow(loss_fn, tensors: dict, check_values=True, tolerance=TOLERANCE,
                        max_entries=None, seed=0, eps=EPS, zero_gradients=()) -> dict:
    """Run loss_fn() once, call backward, and check every named tensor's gradient.

    tensors: {name: Tensor}, each with requires_grad=True; loss_fn takes no arguments and
    returns a one-element Tensor built from them. Checks, in order: the gradient exists,
    has the tensor's shape, is not all zeros, and (check_values) matches central
    differences, on at most `max_entries` seeded entries per tensor when given.
    `zero_gradients` names tensors whose true gradient is exactly zero (the key bias of
    attention: softmax ignores a constant added to a whole row); theirs must exist, have
    the right shape and be zero up to rounding. Returns {name: relative error}.
    """
    for tensor in tensors.values():
        tensor.grad = None
    loss = loss_fn()
    _loss_value(loss)
    loss.backward()
    errors = GradientErrors()
    for name, tensor in tensors.items():
        grad = tensor.grad
        if grad is None:
            raise GradientCheckError(
                f"{name}.grad is None after loss.backward(): does {name} have requires_grad=True, and "
                "is the forward pass built from Tensor operations that record the graph?"
            )
        grad = np.asarray(grad)
        if grad.shape != tensor.data.shape:
            raise GradientCheckError(
                f"{name}.grad has shape {grad.shape} but {name} has shape {tensor.data.shape}: a gradient "
                "that was broadcast in the forward pass must be summed back to the tensor's shape."
            )
        if name in zero_gradients:
            scale = max([np.abs(np.asarray(t.grad)).max(initial=0.0) for t in tensors.values()] + [1.0])
            # zero up to the rounding of the gradient's own dtype (float32 rounds at ~1e-7)
            rounding = max(1e-8, 100 * np.finfo(grad.dtype).eps) if grad.dtype.kind == "f" else 1e-8
            if np.abs(grad).max(initial=0.0) > rounding * scale:
                raise GradientCheckError(
                    f"{name}.grad should be zero (the function does not depend on {name}), "
                    f"found entries up to {np.abs(grad).max():.2e}"
                )
            errors[name] = 0.0
            continue
        if not np.any(grad):
            raise GradientCheckError(
                f"{name}.grad is all zeros after loss.backward(): the gradient was created but nothing "
                "reached it. Does every operation between it and the loss pass its gradient on?"
            )
        if check_values:
            indices = _sample_indices(tensor.data.shape, max_entries, seed)
            numeric = numerical_gradient(lambda: _loss_value(loss_fn()), tensor.data, eps, indices)
            errors[name] = compare_gradients(
                name, grad, numeric, tolerance, None if max_entries is None else indices
            )
    return errors


def named_parameters(model, prefix=None) -> dict:
    """{dotted name: Tensor} for every trainable tensor reachable from the model's attributes.

    Walks attributes, lists and tuples, as `parameters()` should; the names make messages
    readable ("Sequential.layers.0.weight"). A tensor reached twice is listed once.
    """
    prefix = prefix or type(model).__name__
    found, seen = {}, set()

    def visit(value, name, depth):
        if depth > 12 or id(value) in seen:
            return
        if isinstance(getattr(value, "data", None), np.ndarray) and hasattr(value, "requires_grad"):
            if value.requires_grad:
                seen.add(id(value))
                found[name] = value
            return
        seen.add(id(value))
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{name}.{i}", depth + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for key, item in vars(value).items():
                visit(item, f"{name}.{key}", depth + 1)

    visit(model, prefix, 0)
    return found


def check_parameter_coverage(model) -> dict:
    """Every trainable tensor inside the model must come back from model.parameters()."""
    named = named_parameters(model)
    returned = {id(p) for p in model.parameters()}
    missing = [name for name, tensor in named.items() if id(tensor) not in returned]
    if missing:
        raise GradientCheckError(
            f"{', '.join(missing)} {'is a trainable tensor' if len(missing) == 1 else 'are trainable tensors'} "
            "of the model but parameters() does not return "
            f"{'it' if len(missing) == 1 else 'them'}: an optimizer would never update "
            f"{'it' if len(missing) == 1 else 'them'}. Does parameters() collect from every layer?"
        )
    return named


def check_model_gradients(model, loss_fn, inputs=None, check_values=True, tolerance=TOLERANCE,
                          max_entries=None, seed=0, zero_gradients=()) -> dict:
    """Coverage of parameters(), then check_gradient_flow over every parameter and input.

    Parameters are named by attribute path ("GPT.blocks.0.attention.k_proj.bias");
    `zero_gradients` may name those whose gradient is exactly zero by the mathematics.
    """
    named = check_parameter_coverage(model)
    unknown = set(zero_gradients) - set(named) - set(inputs or {})
    if unknown:
        raise ValueError(f"zero_gradients names no tensor of the model: {sorted(unknown)}; names are {list(named)}")
    tensors = dict(inputs or {})
    tensors.update(named)
    return check_gradient_flow(loss_fn, tensors, check_values, tolerance, max_entries, seed,
                               zero_gradients=tuple(zero_gradients))

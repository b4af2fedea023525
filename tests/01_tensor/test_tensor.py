"""The reference package's Tensor (tinytorch.core.tensor), as later modules rely on it."""
import subprocess
import sys

import numpy as np
import pytest

from autograder.modules import PROJECT_ROOT

from tinytorch.core.tensor import Tensor


def test_dtype_rules():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor(np.zeros(2, dtype=np.float16)).dtype == np.float16
    assert Tensor(np.arange(3)).dtype == np.float32
    assert Tensor([1, 2], dtype=np.int64).dtype == np.int64


def test_a_numpy_array_is_shared_not_copied():
    array = np.zeros(3, dtype=np.float32)
    tensor = Tensor(array)
    array[0] = 5.0
    assert tensor.data[0] == 5.0


def test_operations_return_new_tensors_and_leave_inputs_alone():
    x = Tensor([1.0, 2.0])
    for result in (x + 1, x - 1, x * 2, x / 2, -x, 1 - x, 2 / x, x ** 2, x.exp(), x.log(), x.reshape(2, 1)):
        assert isinstance(result, Tensor) and result is not x
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_numpy_on_the_left_defers_to_the_tensor():
    result = np.array([1.0, 2.0]) - Tensor([1.0, 1.0])
    assert isinstance(result, Tensor)
    np.testing.assert_allclose(result.data, [0.0, 1.0])


def test_python_numbers_keep_the_tensor_dtype():
    x = Tensor([1.0, 2.0])
    for result in (x + 1.5, 1.5 + x, x * 0.1, 0.1 * x, 1 - x, 3 / x, x ** 2.0):
        assert result.dtype == np.float32, result


def test_composite_operations_call_the_basic_ones_by_name(monkeypatch):
    """Module 05 relies on this: wrapping a basic method must change its composites too."""
    calls = []
    plain_sub, plain_matmul = Tensor.__sub__, Tensor.matmul
    monkeypatch.setattr(Tensor, "__sub__", lambda a, b: calls.append("sub") or plain_sub(a, b))
    monkeypatch.setattr(Tensor, "matmul", lambda a, b: calls.append("matmul") or plain_matmul(a, b))
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    1 - x
    x @ x
    assert calls == ["sub", "matmul"]


@pytest.mark.parametrize("left,right", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 2, 3), (2, 3))])
def test_matmul_shape_errors_name_both_shapes(left, right):
    with pytest.raises(ValueError) as error:
        Tensor(np.ones(left)) @ Tensor(np.ones(right))
    assert str(left) in str(error.value) and str(right) in str(error.value)


def test_reshape_infers_minus_one_and_explains_failures():
    x = Tensor(np.arange(24.0))
    assert x.reshape(2, -1, 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="24"):
        x.reshape(5, -1)
    with pytest.raises(ValueError, match="only one"):
        x.reshape(-1, -1)


def test_reductions_match_numpy_on_every_axis():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = Tensor(values)
    for axis in (None, 0, 1, 2, (0, 2), -1):
        for keepdims in (False, True):
            for name in ("sum", "mean", "max"):
                np.testing.assert_allclose(getattr(x, name)(axis=axis, keepdims=keepdims).data,
                                           getattr(values, name)(axis=axis, keepdims=keepdims))


def test_transpose_swaps_two_axes():
    values = np.arange(24.0).reshape(2, 3, 4)
    assert Tensor(values).transpose().shape == (2, 4, 3)
    assert Tensor(values).transpose(0, 1).shape == (3, 2, 4)
    assert Tensor(values).T.shape == (2, 4, 3)


def test_indexing_with_a_tensor_of_ids():
    table = Tensor(np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(table[Tensor([3, 0, 3])].data[:, 0], [9.0, 0.0, 9.0])


def test_autograd_fields_are_dormant_until_module_05():
    # A fresh interpreter: other tests in this session import tinytorch.core.autograd.
    code = (
        "from tinytorch.core.tensor import Tensor\n"
        "x = Tensor([1.0], requires_grad=True)\n"
        "assert x.requires_grad and x.grad is None and x.grad_fn is None\n"
        "assert (x * 2).grad_fn is None\n"
        "x.backward()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": ""}, timeout=60)
    assert result.returncode == 1 and "RuntimeError" in result.stderr and "module 05" in result.stderr, result.stderr


def test_repr_shows_values_and_requires_grad():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))

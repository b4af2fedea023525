# Generated from modules/06_optimizers/06_optimizers.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor


class Optimizer:
    """Base class: holds the parameters and the state every optimizer keeps between steps.

    A subclass sets its hyperparameters as attributes, lists their names in
    `hyperparameters` (what `state_dict()` saves besides the state), and defines `step()`.
    """

    hyperparameters = ("lr",)

    def __init__(self, params):
        """Keep `params` as a list in `self.params`.

        Raise ValueError when the list is empty (say what probably went wrong), and
        TypeError when an item is not a Tensor.
        """
        self.params = list(params)
        if not self.params:
            raise ValueError(
                "the optimizer got an empty parameter list: did the model register its layers "
                "as attributes, and did you pass model.parameters()?"
            )
        for index, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(f"parameter {index} is a {type(param).__name__}, not a Tensor")
        # parameter index -> {buffer name: numpy array, "step": int}, created at its first update
        self.state = {}

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        for param in self.params:
            param.grad = None

    def step(self):
        """Update every parameter that has a gradient (each optimizer defines its own rule)."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def state_bytes(self):
        """Bytes held by the numpy arrays in self.state (all parameters, all buffers)."""
        return sum(
            value.nbytes
            for buffers in self.state.values()
            for value in buffers.values()
            if isinstance(value, np.ndarray)
        )

    def state_dict(self):
        """Everything needed to resume: {flat name: numpy array}, a snapshot that later steps do not change.

        - each name in `self.hyperparameters`: `np.asarray(getattr(self, name))`;
        - each buffer of each parameter: "state.<index>.<buffer name>", e.g.
          "state.0.momentum_buffer" or "state.3.step", as a COPY of the array (np.array(value)).
        """
        saved = {name: np.asarray(getattr(self, name)) for name in self.hyperparameters}
        for index, buffers in self.state.items():
            for buffer_name, value in buffers.items():
                saved[f"state.{index}.{buffer_name}"] = np.array(value)
        return saved

    def load_state_dict(self, state_dict):
        """Restore what state_dict() saved (possibly after a round trip through np.savez/np.load).

        - each hyperparameter: `restore_like(getattr(self, name), state_dict[name])` (helper
          below); a missing one raises KeyError naming it;
        - replace self.state by the saved buffers, each a COPY (np.array(value)); a "step"
          becomes an int. A buffer for a parameter index that does not exist, or whose shape
          differs from its parameter's, raises ValueError.
        """
        for name in self.hyperparameters:
            if name not in state_dict:
                raise KeyError(f"state_dict has no {name!r}: was it saved by a {type(self).__name__}?")
            setattr(self, name, restore_like(getattr(self, name), state_dict[name]))
        state = {}
        for key, value in state_dict.items():
            if not key.startswith("state."):
                continue
            _, index, buffer_name = key.split(".", 2)
            index = int(index)
            if index >= len(self.params):
                raise ValueError(f"{key}: this optimizer has only {len(self.params)} parameters")
            if buffer_name == "step":
                value = int(value)
            else:
                value = np.array(value)
                if value.shape != self.params[index].shape:
                    raise ValueError(f"{key} has shape {value.shape}, its parameter {self.params[index].shape}")
            state.setdefault(index, {})[buffer_name] = value
        self.state = state


def restore_like(current, saved):
    """A saved hyperparameter (a numpy array after .npz) in the type it has now: bool, tuple or float."""
    if isinstance(current, bool):
        return bool(saved)
    if isinstance(current, tuple):
        return tuple(float(item) for item in np.asarray(saved))
    return float(saved)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Per parameter with a gradient (PyTorch's torch.optim.SGD with dampening=0):
        g = grad + weight_decay * p
        buf = g on the first step, then buf = momentum * buf + g    (only if momentum > 0)
        update = g + momentum * buf if nesterov else buf            (just g without momentum)
        p -= lr * update
    """

    hyperparameters = ("lr", "momentum", "weight_decay", "nesterov")

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        """Store the hyperparameters; raise ValueError for a negative lr, momentum or
        weight_decay, and for nesterov=True without momentum (Nesterov needs a buffer)."""
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if nesterov and momentum <= 0:
            raise ValueError("nesterov=True needs momentum > 0: Nesterov looks ahead along the momentum")

    def step(self):
        """One SGD update of every parameter whose .grad is not None (see the class docstring).

        Skip a parameter whose .grad is None (no move, no decay, no state). Read the gradient
        as np.asarray(p.grad, dtype=p.data.dtype) and update p.data in place (p.data -= ...).
        The momentum buffer lives in self.state[index]["momentum_buffer"]; create it as a copy
        of g the first time, then update it in place (buf *= momentum; buf += g).
        """
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # PyTorch skips it: not moved, not decayed, no buffer
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            update = grad
            if self.momentum:
                state = self.state.setdefault(index, {})
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = grad.copy()
                else:
                    state["momentum_buffer"] *= self.momentum
                    state["momentum_buffer"] += grad
                buffer = state["momentum_buffer"]
                update = grad + self.momentum * buffer if self.nesterov else buffer
            param.data -= self.lr * update


class Adam(Optimizer):
    """Adam (torch.optim.Adam, amsgrad=False): per-parameter steps from moment estimates.

    weight_decay is L2 regularization folded into the gradient: g = grad + weight_decay * p.
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        """Store the hyperparameters (betas as a tuple of two floats); raise ValueError for a
        negative lr, eps or weight_decay, and for a beta outside [0, 1)."""
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(float(b) for b in betas), eps, weight_decay
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if len(self.betas) != 2 or not all(0.0 <= beta < 1.0 for beta in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")

    def adam_update(self, index, param, grad):
        """Update the moments of parameter `index` with `grad`, then param.data in place.

        State in self.state[index] (created at the first update): "step" (int, starts at 0),
        "exp_avg" and "exp_avg_sq" (np.zeros_like(param.data)). Then:
            step += 1;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g     (in place)
            m_hat = m / (1 - b1**step);  v_hat = v / (1 - b2**step)
            p -= lr * m_hat / (sqrt(v_hat) + eps)
        """
        beta1, beta2 = self.betas
        state = self.state.setdefault(index, {})
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        m_hat = exp_avg / (1 - beta1 ** step)
        v_hat = exp_avg_sq / (1 - beta2 ** step)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def step(self):
        """For every parameter whose .grad is not None: g = grad (+ weight_decay * p), then
        self.adam_update(index, param, g). Read the gradient as np.asarray(p.grad, dtype=p.data.dtype)."""
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # no gradient this step: Adam leaves the parameter and its moments alone
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            self.adam_update(index, param, grad)


class AdamW(Adam):
    """AdamW (torch.optim.AdamW): decoupled weight decay p -= lr * weight_decay * p, then Adam
    on the raw gradient (no L2 term)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self):
        """For every parameter with a gradient: decay it in place, then adam_update with its raw gradient."""
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # AdamW decays only what it updates, as PyTorch does
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            param.data -= self.lr * self.weight_decay * param.data
            self.adam_update(index, param, grad)

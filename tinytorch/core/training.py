# Generated from modules/07_training/07_training.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import sys

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (importing it switches gradients on)
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor


def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    parameters: an iterable of Tensors (a list or a generator, e.g. model.parameters()).
    Tensors whose .grad is None are skipped. The norm is the square root of the sum of the
    squares of every gradient entry of every tensor, computed in float64. If it exceeds
    max_norm, multiply every gradient, in place, by max_norm / norm. Returns the norm
    BEFORE clipping, as a Python float (0.0 when no tensor has a gradient).

    A norm that is inf or NaN cannot be repaired by scaling (it would turn every gradient
    into zeros or NaN): leave the gradients as they are and return it, so the caller can
    see it and skip the step.

    Hints: `np.sum(np.square(grad, dtype=np.float64))`; `grad *= scale` changes the array
    in place.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads)))
    if np.isfinite(total_norm) and total_norm > max_norm:
        scale = max_norm / total_norm
        for grad in grads:
            grad *= scale
    return total_norm


class CosineSchedule:
    """Linear warmup to max_lr, then a half cosine down to min_lr, then flat at min_lr."""

    def __init__(self, max_lr, min_lr, total_steps, warmup_steps=0):
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
        if not 0 <= min_lr <= max_lr:
            raise ValueError(f"need 0 <= min_lr <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
        self.max_lr, self.min_lr = max_lr, min_lr
        self.total_steps, self.warmup_steps = total_steps, warmup_steps

    def __call__(self, step):
        """The learning rate for `step` (0, 1, 2, ...), as a Python float (formula above)."""
        if step < self.warmup_steps:
            return float(self.max_lr * (step + 1) / self.warmup_steps)
        if step >= self.total_steps:
            return float(self.min_lr)
        progress = (step - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return float(self.min_lr + 0.5 * (self.max_lr - self.min_lr) * (1 + np.cos(np.pi * progress)))


class StepDecay:
    """initial_lr * gamma ** (step // step_size): drop by a factor gamma every step_size steps."""

    def __init__(self, initial_lr, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        self.initial_lr, self.step_size, self.gamma = initial_lr, step_size, gamma

    def __call__(self, step):
        """The learning rate for `step` (0, 1, 2, ...), as a Python float."""
        return float(self.initial_lr * self.gamma ** (step // self.step_size))


class ProgressBar:
    """Progress of a training run: a live bar on a terminal, one line per epoch elsewhere."""

    def __init__(self, total_epochs, stream=None, width=20):
        self.total_epochs = total_epochs
        # Looked up now, not as a default argument: a notebook (or redirect_stdout) may
        # replace sys.stdout after this module was imported.
        self.stream = sys.stdout if stream is None else stream
        self.width = width
        is_a_terminal = getattr(self.stream, "isatty", None)
        self.interactive = bool(is_a_terminal and is_a_terminal())
        self.epoch, self.total_batches, self.batches_done = 0, None, 0
        self._drawn = 0  # length of the line currently on screen (terminal only)

    def start_epoch(self, epoch, total_batches=None):
        """Begin epoch number `epoch` (from 1) of `total_batches` (None when unknown)."""
        self.epoch, self.total_batches, self.batches_done = epoch, total_batches, 0

    def line(self, batches_done, loss, **metrics):
        """The text of the bar, e.g. 'epoch 2/5 [#######...] 14/20 batches loss 0.412'.

        Parts joined by single spaces: 'epoch {epoch}/{total_epochs}'; then, when
        total_batches is known, '[' + '#' * filled + '.' * (width - filled) + ']' with
        filled = int(width * batches_done / total_batches), and
        '{batches_done}/{total_batches} batches'; when it is unknown, '{batches_done} batches';
        then 'loss {loss:.3f}'; then '{name} {value:.3f}' for each metric that is not None,
        in the order given.
        """
        parts = [f"epoch {self.epoch}/{self.total_epochs}"]
        if self.total_batches:
            filled = int(self.width * min(batches_done / self.total_batches, 1.0))
            parts.append("[" + "#" * filled + "." * (self.width - filled) + "]")
            parts.append(f"{batches_done}/{self.total_batches} batches")
        else:
            parts.append(f"{batches_done} batches")
        parts.append(f"loss {loss:.3f}")
        parts.extend(f"{name} {value:.3f}" for name, value in metrics.items() if value is not None)
        return " ".join(parts)

    def update(self, batches_done, loss):
        """After each batch: remember batches_done; on a terminal, redraw the line in place.

        Redrawing: write '\\r' + the line, padded with spaces to the length of what is on
        screen (a shorter line must not leave old characters behind), no newline; flush.
        Not a terminal: write nothing.
        """
        self.batches_done = batches_done
        if self.interactive:
            self._draw(self.line(batches_done, loss), end="")

    def end_epoch(self, loss, **metrics):
        """After the epoch: its final line (with the metrics) and a newline, on any stream.

        On a terminal it overwrites the bar ('\\r' first, padded like update); elsewhere it
        is simply the epoch's one line.
        """
        text = self.line(self.batches_done, loss, **metrics)
        if self.interactive:
            self._draw(text, end="\n")
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _draw(self, text, end):
        self.stream.write("\r" + text.ljust(self._drawn) + end)
        self.stream.flush()
        self._drawn = 0 if end else len(text)


def as_tensor(x):
    """x as a Tensor (numpy arrays and lists are wrapped; a Tensor is returned as it is)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def class_ids_or_none(outputs, targets):
    """The targets as int64 class ids when (outputs, targets) is a classification batch.

    Classification: outputs of shape (N, C) and targets of shape (N,) holding whole numbers
    (an integer array, or a float Tensor of integers: Tensor() makes lists float32).
    Anything else (regression) gives None.
    """
    values = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if outputs.ndim != 2 or values.shape != (outputs.shape[0],):
        return None
    if not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.floating) or not np.all(values == np.round(values)):
            return None
    return values.astype(np.int64)


def batch_count(batches):
    """len(batches) when the iterable knows it, else None."""
    try:
        return len(batches)
    except TypeError:
        return None


class Trainer:
    """Trains `model` with `optimizer` on `loss_fn`, with an optional schedule and clipping."""

    def __init__(self, model, optimizer, loss_fn, scheduler=None, grad_clip=None):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.scheduler = scheduler      # step -> learning rate, or None for a constant lr
        self.grad_clip = grad_clip      # max global gradient norm, or None
        self.epoch = 0                  # epochs completed
        self.global_step = 0            # optimizer steps taken since the run began

    def train_epoch(self, batches, progress_bar=None):
        """One pass over `batches`, one optimizer step per batch; return the mean loss.

        model.train() first. For each (x, y): set optimizer.lr from the scheduler (when
        there is one) at self.global_step; zero the gradients; forward on as_tensor(x);
        loss; backward; clip the model's parameters to self.grad_clip (when set); step;
        add 1 to self.global_step. Keep the sample-weighted mean loss (a batch counts
        len(x) samples) and, when progress_bar is given, call
        progress_bar.update(batches done so far, mean loss so far) after each batch.
        At the end add 1 to self.epoch. Raise ValueError if there are no batches.
        """
        self.model.train()
        total_loss, samples, done = 0.0, 0, 0
        for x, y in batches:
            if self.scheduler is not None:
                self.optimizer.lr = self.scheduler(self.global_step)
            self.optimizer.zero_grad()
            x = as_tensor(x)
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            if self.grad_clip is not None:
                clip_grad_norm(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
            self.global_step += 1
            total_loss += loss.item() * len(x)
            samples += len(x)
            done += 1
            if progress_bar is not None:
                progress_bar.update(done, total_loss / samples)
        if done == 0:
            raise ValueError("train_epoch got no batches")
        self.epoch += 1
        return total_loss / samples

    def evaluate(self, batches):
        """Loss (and accuracy) over `batches`, without training: {'loss': ..., 'accuracy': ...}.

        model.eval() (dropout off), then, under no_grad(), for each (x, y): outputs =
        model(as_tensor(x)), loss_fn(outputs, y). 'loss' is the sample-weighted mean loss.
        'accuracy' is the fraction of samples whose argmax over the outputs' last axis equals
        the class id, when class_ids_or_none(outputs, y) gives ids for every batch; None
        otherwise. Raise ValueError if there are no batches. Return Python floats.
        """
        self.model.eval()
        total_loss, samples, correct, classification = 0.0, 0, 0, True
        with no_grad():
            for x, y in batches:
                x = as_tensor(x)
                outputs = self.model(x)
                total_loss += self.loss_fn(outputs, y).item() * len(x)
                samples += len(x)
                ids = class_ids_or_none(outputs, y)
                if ids is None:
                    classification = False
                else:
                    correct += int(np.sum(np.argmax(outputs.data, axis=-1) == ids))
        if samples == 0:
            raise ValueError("evaluate got no batches")
        accuracy = correct / samples if classification else None
        return {"loss": total_loss / samples, "accuracy": accuracy}

    def fit(self, train_batches, val_batches=None, epochs=1, progress=True):
        """Train for `epochs` more epochs; return this call's history.

        history = {'train_loss': [...], 'val_loss': [...], 'val_accuracy': [...], 'lr': [...]},
        one entry per epoch: the epoch's mean training loss; the validation loss and
        accuracy from evaluate(val_batches) (None when val_batches is None); and
        optimizer.lr after the epoch (the last learning rate used).
        With progress=True, a ProgressBar(self.epoch + epochs) runs: start_epoch(epoch
        number, batch_count(train_batches)) before, train_epoch(..., progress_bar=bar),
        end_epoch(train loss, val_loss=..., val_accuracy=...) after each epoch.
        progress=False prints nothing.
        """
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": []}
        bar = ProgressBar(self.epoch + epochs) if progress else None
        for _ in range(epochs):
            if bar is not None:
                bar.start_epoch(self.epoch + 1, batch_count(train_batches))
            train_loss = self.train_epoch(train_batches, progress_bar=bar)
            metrics = self.evaluate(val_batches) if val_batches is not None else {"loss": None, "accuracy": None}
            history["train_loss"].append(train_loss)
            history["val_loss"].append(metrics["loss"])
            history["val_accuracy"].append(metrics["accuracy"])
            history["lr"].append(self.optimizer.lr)
            if bar is not None:
                bar.end_epoch(train_loss, val_loss=metrics["loss"], val_accuracy=metrics["accuracy"])
        return history

    def save_checkpoint(self, path):
        """Write ONE .npz file at `path` (exactly that name) with the keys of the table above.

        Hint: `with open(path, "wb") as f: np.savez(f, **arrays)` (np.savez given a file name
        would add '.npz' to it); np.asarray(number) makes a 0-d array.
        """
        arrays = {f"parameter.{i}": p.data for i, p in enumerate(self.model.parameters())}
        for name, value in self.optimizer.state_dict().items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer.{name}"] = value
            else:
                arrays[f"optimizer_scalar.{name}"] = np.asarray(value)
        arrays["epoch"] = np.asarray(self.epoch)
        arrays["global_step"] = np.asarray(self.global_step)
        with open(path, "wb") as file:
            np.savez(file, **arrays)

    def load_checkpoint(self, path):
        """Restore parameters, optimizer state, epoch and global step from `path`.

        Check before changing anything: the number of 'parameter.*' entries must equal
        len(model.parameters()) and each shape must match, else raise ValueError naming the
        counts or the parameter index and both shapes. Then write each saved array into
        its parameter (`p.data[...] = saved`), give the optimizer its state back
        (`optimizer.<name>` as arrays, `optimizer_scalar.<name>` as Python numbers via
        `.item()`), and set self.epoch and self.global_step (as ints).
        """
        with np.load(path) as saved:
            entries = {key: saved[key] for key in saved.files}
        parameters = self.model.parameters()
        stored = [key for key in entries if key.startswith("parameter.")]
        if len(stored) != len(parameters):
            raise ValueError(
                f"the checkpoint holds {len(stored)} parameters but the model has {len(parameters)}: "
                "was it saved from a different architecture?"
            )
        for i, parameter in enumerate(parameters):
            shape = entries[f"parameter.{i}"].shape
            if shape != parameter.shape:
                raise ValueError(f"parameter {i} has shape {shape} in the checkpoint but {parameter.shape} in the model")
        for i, parameter in enumerate(parameters):
            parameter.data[...] = entries[f"parameter.{i}"]
        optimizer_state = {}
        for key, value in entries.items():
            if key.startswith("optimizer."):
                optimizer_state[key[len("optimizer."):]] = value
            elif key.startswith("optimizer_scalar."):
                optimizer_state[key[len("optimizer_scalar."):]] = value.item()
        self.optimizer.load_state_dict(optimizer_state)
        self.epoch = int(entries["epoch"])
        self.global_step = int(entries["global_step"])


def named_parameters(model, prefix=""):
    """{attribute path: Tensor} for every trainable tensor of the model, each once, in the
    order of model.parameters(): 'layers.0.weight' is model.layers[0].weight."""
    found, seen = {}, set()

    def visit(value, name):
        if isinstance(value, Tensor):
            if value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                found[name] = value
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{name}.{i}" if name else str(i))
        elif callable(getattr(value, "parameters", None)) and not isinstance(value, type) and hasattr(value, "__dict__"):
            for key, item in vars(value).items():
                visit(item, f"{name}.{key}" if name else key)

    visit(model, prefix)
    return found


class GradientReport:
    """Per-parameter gradient norms, the problems found, and a table to print."""

    def __init__(self):
        self.norms = {}      # name -> gradient L2 norm (float), or None without a gradient
        self.shapes = {}     # name -> parameter shape
        self.flags = {}      # name -> 'vanishing' | 'exploding' | 'missing' for flagged rows
        self.problems = []   # one readable sentence per problem, each saying what to try

    @property
    def healthy(self):
        return not self.problems

    def __str__(self):
        width = max([len(name) for name in self.norms] + [9])
        rows = [f"{'parameter':<{width}}  {'shape':<12}  {'grad norm':>10}"]
        for name, norm in self.norms.items():
            shown = "none" if norm is None else f"{norm:.2e}"
            flag = f"  <- {self.flags[name]}" if name in self.flags else ""
            rows.append(f"{name:<{width}}  {str(self.shapes[name]):<12}  {shown:>10}{flag}")
        rows.append("healthy: no problem found" if self.healthy else "problems:")
        rows.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(rows)

    def __repr__(self):
        state = "healthy" if self.healthy else f"{len(self.problems)} problem(s)"
        return f"<GradientReport of {len(self.norms)} parameters: {state}>"


VANISHING_ADVICE = ("try ReLU or GELU instead of saturating activations (sigmoid, tanh), He (ReLU) or "
                    "Xavier (tanh) initialization, normalization layers, or residual connections")
EXPLODING_ADVICE = ("try a smaller learning rate, clip_grad_norm(model.parameters(), max_norm), "
                    "He/Xavier initialization instead of larger weights, or normalization layers")


def diagnose_gradients(model, vanishing=1e-3, exploding=1e3):
    """Check the gradients left by loss.backward() in every parameter of `model`.

    Fill a GradientReport. For each (name, parameter) of named_parameters(model), in order:
    - grad None: norms[name] = None, flags[name] = 'missing', and a problem naming it
      ('... has no gradient: call loss.backward() first, and check that it is used in the
      forward pass').
    - else norms[name] = the L2 norm of the gradient (float64), shapes[name] = its shape.
      Not finite, or above `exploding`: flags[name] = 'exploding'.
    Then the problems (each one sentence that starts with its kind and ends with advice):
    - 'exploding gradients: ...' + EXPLODING_ADVICE once if any norm is not finite or
      above `exploding` (name the worst parameter and its norm);
    - among the weights (parameters with ndim >= 2) with finite norms, first and last:
      ratio = first norm / last norm (only when there are two or more weights and the last
      norm is > 0).
      ratio < vanishing: flag every weight whose norm < vanishing * last norm 'vanishing',
      problem 'vanishing gradients: ...' + VANISHING_ADVICE (name both norms and the ratio).
      ratio > 1 / vanishing: problem 'exploding gradients: ... grow toward the input ...'
      + EXPLODING_ADVICE (only if no exploding problem was reported yet).
    Set report.shapes for every parameter (missing ones too). Return the report.
    """
    report = GradientReport()
    weights = []
    for name, parameter in named_parameters(model).items():
        report.shapes[name] = parameter.shape
        if parameter.grad is None:
            report.norms[name] = None
            report.flags[name] = "missing"
            report.problems.append(f"{name} has no gradient: call loss.backward() first, and check that it is used in the forward pass")
            continue
        norm = float(np.sqrt(np.sum(np.square(parameter.grad, dtype=np.float64))))
        report.norms[name] = norm
        if not np.isfinite(norm) or norm > exploding:
            report.flags[name] = "exploding"
        elif parameter.ndim >= 2:
            weights.append(name)
    huge = [name for name, flag in report.flags.items() if flag == "exploding"]
    if huge:
        worst = max(huge, key=lambda name: report.norms[name] if np.isfinite(report.norms[name]) else np.inf)
        report.problems.append(
            f"exploding gradients: {len(huge)} parameter(s) have gradient norms above {exploding:g} or not "
            f"finite (worst: {worst}, norm {report.norms[worst]:.2e}); {EXPLODING_ADVICE}"
        )
    if len(weights) >= 2 and report.norms[weights[-1]] > 0:
        first, last = weights[0], weights[-1]
        ratio = report.norms[first] / report.norms[last]
        if ratio < vanishing:
            for name in weights:
                if report.norms[name] < vanishing * report.norms[last]:
                    report.flags[name] = "vanishing"
            report.problems.append(
                f"vanishing gradients: {first} has gradient norm {report.norms[first]:.2e}, {ratio:.1e} times "
                f"that of {last} ({report.norms[last]:.2e}), so the layers near the input barely learn; "
                f"{VANISHING_ADVICE}"
            )
        elif ratio > 1 / vanishing and not huge:
            report.problems.append(
                f"exploding gradients: gradient norms grow toward the input ({first}: {report.norms[first]:.2e}, "
                f"{ratio:.1e} times {last}); {EXPLODING_ADVICE}"
            )
    return report

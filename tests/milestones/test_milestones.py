"""Every milestone script runs in its fast mode, as a user runs it (its own process, from
outside the project root, no install), and reaches its fast-mode figure.

The thresholds are for the fast runs (the full runs' figures are in milestones/README.md):
each one fails when the model did not learn, not merely when it learned a little less.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MILESTONES = ROOT / "milestones"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_milestone(name, folder, *extra):
    """Run milestones/<name>.py --fast in a fresh process; return (results dict, stdout)."""
    results_file = folder / f"{name}.json"
    completed = subprocess.run(
        [sys.executable, str(MILESTONES / f"{name}.py"), "--fast", "--out", str(folder),
         "--json", str(results_file), *extra],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={name: value for name, value in os.environ.items() if name != "PYTHONPATH"},  # no help finding tinytorch
    )
    assert completed.returncode == 0, f"{name} failed:\n{completed.stdout}\n{completed.stderr}"
    return json.loads(results_file.read_text(encoding="utf-8")), completed.stdout


def check_perceptron(r):
    assert r["converged"], f"the perceptron rule did not converge on separable data: {r}"
    assert r["train_accuracy"] == 1.0, f"converged, so every training point is separated: {r}"
    assert 0 < r["mistakes"] <= r["mistake_bound"], f"mistakes {r['mistakes']}, Novikoff bound {r['mistake_bound']}"
    assert r["test_accuracy"] >= 0.85, r


def check_xor(r):
    assert r["single_layer_accuracy"] <= 0.75, f"a single linear layer cannot solve XOR, got {r}"
    assert r["best_line_accuracy"] == 0.75, f"the best line gets exactly 3 of 4 right, got {r['best_line_accuracy']}"
    assert r["labellings_by_lines"] == 14, f"lines make 14 of the 16 labellings (not XOR, XNOR): {r}"
    assert r["mlp_accuracy"] == 1.0, f"the 2-layer MLP must solve XOR: {r}"
    assert r["mlp_loss"] < 0.05 < r["single_layer_loss"], r


def check_mlp_digits(r):
    assert r["test_accuracy"] >= 0.9, f"MLP fast run: held-out accuracy {r['test_accuracy']:.3f}, expected >= 0.9"


def check_cnn_digits(r):
    assert r["test_accuracy"] >= 0.9, f"CNN fast run: held-out accuracy {r['test_accuracy']:.3f}, expected >= 0.9"


def check_transformer(r):
    assert math.isclose(r["uniform_loss"], math.log(r["vocab_size"])), r
    assert r["held_out_loss"] < r["unigram_loss"], (
        f"held-out loss {r['held_out_loss']:.3f} does not beat character frequencies alone "
        f"({r['unigram_loss']:.3f}): the GPT learned nothing from context")
    assert r["held_out_loss"] < 0.65 * r["uniform_loss"], (
        f"held-out loss {r['held_out_loss']:.3f}, expected well below log(vocab) = {r['uniform_loss']:.3f}")
    for prompt, sample in zip(("The ", "A gradient "), r["samples"]):
        assert sample.startswith(prompt) and len(sample) == len(prompt) + 160, repr(sample)


def check_mlperf(r):
    rows = r["classification"]
    reference = rows["reference (float32)"]
    assert math.isclose(r["quality_target"], 0.99 * reference["accuracy"]), r["quality_target"]
    assert reference["accuracy"] >= 0.9, f"the reference MLP did not learn the digits: {reference}"
    assert rows["pruned 50% neurons"]["meets_quality_target"], (
        f"half the neurons removed and fine-tuned should keep 99% of the accuracy: {rows['pruned 50% neurons']}")
    assert rows["int8"]["accuracy"] >= r["quality_target"], f"int8 should keep the accuracy: {rows['int8']}"
    for name, row in rows.items():
        assert row["meets_quality_target"] == (row["accuracy"] >= r["quality_target"]), (name, row)
    # Sizes follow from the shapes and dtypes alone: int8 is about a quarter, pruning shrinks the matrices.
    assert rows["int8"]["size_bytes"] < 0.3 * reference["size_bytes"], rows["int8"]
    assert rows["pruned 50% neurons"]["size_bytes"] < 0.35 * reference["size_bytes"], rows["pruned 50% neurons"]
    assert r["fastest_valid_submission"] in rows and rows[r["fastest_valid_submission"]]["meets_quality_target"]
    assert r["generation_same_tokens"], "generate_cached must give exactly the tokens of GPT.generate"
    low, high = r["generation_speedup_interval"]
    assert low <= r["generation_speedup"] <= high, r


CHECKS = {
    "1957_perceptron": check_perceptron,
    "1969_xor": check_xor,
    "1986_mlp_digits": check_mlp_digits,
    "1998_cnn_digits": check_cnn_digits,
    "2017_transformer": check_transformer,
    "2018_mlperf": check_mlperf,
}


def test_every_milestone_script_is_checked_here():
    scripts = {path.stem for path in MILESTONES.glob("[0-9]*.py")}
    assert scripts == set(CHECKS), f"scripts {sorted(scripts)} vs checked {sorted(CHECKS)}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_milestone_fast_run_reaches_its_figure(name, tmp_path):
    results, stdout = run_milestone(name, tmp_path)
    CHECKS[name](results)
    figure = tmp_path / f"{name}.png"
    assert results["figure"] == str(figure), results["figure"]
    assert figure.read_bytes()[:8] == PNG_SIGNATURE, f"{figure} is not a PNG"
    assert name[:4] in stdout and str(figure) in stdout, f"the report names the milestone and its figure:\n{stdout}"


def test_a_milestone_gives_the_same_figures_on_every_run(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, _ = run_milestone("1969_xor", tmp_path / "a")
    second, _ = run_milestone("1969_xor", tmp_path / "b")
    first.pop("figure"), second.pop("figure")
    assert first == second

"""The course's nineteen modules, in order, and where each one's files live."""
from dataclasses import dataclass
from pathlib import Path

MODULE_NAMES = (
    "01_tensor", "02_activations", "03_layers", "04_losses", "05_autograd",
    "06_optimizers", "07_training", "08_dataloader", "09_spatial", "10_tokenization",
    "11_embeddings", "12_attention", "13_transformers", "14_profiling", "15_memoization",
    "16_quantization", "17_compression", "18_acceleration", "19_benchmarking",
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Module:
    """One module of the course, seen from a project root."""

    name: str
    root: Path = PROJECT_ROOT

    @property
    def number(self) -> int:
        return int(self.name.split("_", 1)[0])

    @property
    def authored(self) -> Path:
        """The one hand-written source: modules/NN_name/NN_name.py (jupytext percent)."""
        return self.root / "modules" / self.name / f"{self.name}.py"

    @property
    def bugs(self) -> Path:
        """Plausible student bugs planted into the reference to prove grading catches them."""
        return self.root / "modules" / self.name / "bugs.toml"

    @property
    def source_notebook(self) -> Path:
        return self.root / "source" / self.name / f"{self.name}.ipynb"

    @property
    def release_notebook(self) -> Path:
        return self.root / "release" / self.name / f"{self.name}.ipynb"


def find_module(name: str, root: Path = PROJECT_ROOT) -> Module:
    """Accept '01_tensor', '01' or '1' (what a person types) and return the module."""
    for full in MODULE_NAMES:
        number = full.split("_", 1)[0]
        if name in (full, number) or (name.isdigit() and int(name) == int(number)):
            return Module(full, root)
    raise KeyError(f"no module {name!r}: the modules are {', '.join(MODULE_NAMES)}")


def built_modules(root: Path = PROJECT_ROOT) -> list:
    """The modules whose authored source exists, in course order."""
    return [m for m in (Module(n, root) for n in MODULE_NAMES) if m.authored.is_file()]

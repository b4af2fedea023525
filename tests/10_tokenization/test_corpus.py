"""The corpus shipped in data/text/: it loads, its provenance is stated, and a missing file
says where to put it."""
import pytest

from autograder.modules import PROJECT_ROOT
from tinytorch.text.tokenization import data_root, load_corpus

TEXT_DIR = PROJECT_ROOT / "data" / "text"


def test_the_shipped_corpus_loads_and_has_the_promised_size(monkeypatch):
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    corpus = load_corpus()
    assert corpus == (TEXT_DIR / "tinycorpus.txt").read_text(encoding="utf-8")
    assert 20_000 <= len(corpus.encode("utf-8")) <= 60_000
    assert len(corpus.split()) > 3_000 and len(set(corpus)) > 40


def test_provenance_and_license_are_stated():
    readme = (TEXT_DIR / "README.md").read_text(encoding="utf-8")
    assert "tinycorpus.txt" in readme
    assert "original text written for the TinyTorch course" in readme
    assert "license" in readme.lower()


def test_default_root_is_the_data_folder_beside_the_package(monkeypatch):
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    assert data_root() == PROJECT_ROOT / "data"


def test_the_environment_variable_and_root_argument_choose_the_folder(tmp_path, monkeypatch):
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "mine.txt").write_text("héllo", encoding="utf-8")
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path))
    assert load_corpus("mine") == "héllo"
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path / "elsewhere"))
    assert load_corpus("mine", root=tmp_path) == "héllo", "an explicit root wins over the variable"


def test_a_missing_corpus_says_exactly_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    with pytest.raises(FileNotFoundError) as error:
        load_corpus("absent", root=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "text" / "absent.txt") in message
    assert "TINYTORCH_DATA" in message

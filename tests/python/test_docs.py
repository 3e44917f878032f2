"""The examples of docs/python.md run as written: every ```python block, in order, in one
namespace, in a scratch directory (the plot is written there)."""

import os
import re
from pathlib import Path

import pytest

DOC = Path(os.environ.get("HEPCAT_SOURCE_DIR", Path(__file__).parents[2])) / "docs" / "python.md"


def test_docs_examples_run(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs_python"}
    for k, code in enumerate(blocks):
        exec(compile(code, f"docs/python.md block {k}", "exec"), namespace)
    assert (tmp_path / "categories.png").stat().st_size > 1000

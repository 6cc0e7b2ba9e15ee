"""Training in a Jupyter kernel prints no ``TqdmWarning: IProgress not found``.

The notebook is run in a real kernel (this interpreter, as in ``test_notebooks.py``): it
imports the trainer and draws a bar the way the trainer does, with the default visibility.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from physym.progress import in_notebook, progress_bar

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[1]
CELLS = [
    f"import sys; sys.path.insert(0, {str(REPO)!r})",
    "import physym.training.trainer",  # tqdm.auto warned here, on import
    "from physym.progress import in_notebook, progress_bar, visible_by_default\n"
    "bar = progress_bar(total=2, disable=not visible_by_default())\n"
    "bar.update(2)\n"
    "bar.close()\n"
    "print('in notebook', in_notebook())",
]


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    """A kernel named ``physym-progress`` that runs this interpreter."""
    spec = tmp_path / "jupyter" / "kernels" / "physym-progress"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "physym progress",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return "physym-progress"


@pytest.mark.slow  # a kernel start (~20 s); test_notebooks.py checks every example too
@pytest.mark.timeout(300)
def test_a_notebook_kernel_prints_no_iprogress_warning(kernel, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel, timeout=240, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    texts = [output.get("text", "") for cell in notebook.cells for output in cell.outputs]
    assert not any("IProgress" in text or "TqdmWarning" in text for text in texts), texts
    assert any("in notebook True" in text for text in texts), texts


def test_outside_a_notebook_the_bar_is_text():
    assert not in_notebook()
    from tqdm.std import tqdm

    with progress_bar(total=2, disable=True) as bar:
        assert type(bar) is tqdm

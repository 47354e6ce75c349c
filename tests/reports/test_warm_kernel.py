"""A warm kernel is emptied after each notebook and checked before the next one: no name, no output
of one client's notebook reaches the next, and a kernel that was not emptied is never used."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from workbench.core.errors import RunError
from workbench.reports import warm
from workbench.reports.warm import WarmKernel

pytestmark = pytest.mark.notebook


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _printed(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture
def kernel():
    k = WarmKernel()
    yield k
    k.close()


def test_a_name_and_an_output_of_one_notebook_never_reach_the_next(kernel, tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "secret = 'CLIENT-A'", "secret")  # the second cell fills Out
    second = _notebook(tmp_path / "b.ipynb", "print(repr(globals().get('secret')), len(Out))")
    kernel.execute(first, tmp_path / "a-out.ipynb", {}, client_id="a")
    pid = kernel.pid
    kernel.execute(second, tmp_path / "b-out.ipynb", {}, client_id="b")  # no wipe asked: done before it
    assert _printed(tmp_path / "b-out.ipynb") == "None 0\n"
    run = tmp_path / "staging"
    run.mkdir()
    kernel.execute(first, run / "c-out.ipynb", {}, client_id="a")  # the kernel works in that folder…
    shutil.rmtree(run)  # …which goes once the report's outputs are published
    kernel.wipe()  # as the worker does once a report is made, off the critical path
    assert not kernel.dirty
    kernel.execute(second, tmp_path / "d-out.ipynb", {}, client_id="b")
    assert _printed(tmp_path / "d-out.ipynb") == "None 0\n"
    assert kernel.pid == pid and kernel.runs == 4  # one kernel for all four


def test_a_kernel_that_could_not_be_emptied_is_never_used(kernel, tmp_path, monkeypatch):
    first = _notebook(tmp_path / "a.ipynb", "secret = 'CLIENT-A'")
    second = _notebook(tmp_path / "b.ipynb", "print('ran')")
    kernel.execute(first, tmp_path / "a-out.ipynb", {}, client_id="a")
    pid = kernel.pid
    monkeypatch.setattr(warm, "KERNEL_WIPE", "pass")  # a wipe that leaves everything in place
    with pytest.raises(RunError, match="noyau") as caught:
        kernel.execute(second, tmp_path / "b-out.ipynb", {}, client_id="b")
    assert "secret" in caught.value.message
    assert _printed(tmp_path / "b-out.ipynb") == ""  # the notebook did not run
    assert kernel.pid is None  # the kernel was replaced
    monkeypatch.undo()
    kernel.execute(second, tmp_path / "c-out.ipynb", {}, client_id="b")
    assert _printed(tmp_path / "c-out.ipynb") == "ran\n" and kernel.pid != pid

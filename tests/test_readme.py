"""The README's snippets run as printed."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import png_size

README = Path(__file__).resolve().parent.parent / "README.md"


def snippets(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_big_data_snippets_run(tmp_path, monkeypatch) -> None:
    code = snippets("Big data")
    assert len(code) == 3  # memmap, partial_fit, Dask
    monkeypatch.chdir(tmp_path)  # the snippets write points.npy into the working directory
    for block in code:
        exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    assert (tmp_path / "points.npy").stat().st_size > 100 * 2**20


def test_bisecting_snippet_prints_sklearns_tree(capsys) -> None:
    (block,) = snippets("Bisecting k-means")
    exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.split() == ["True", "True"]


def test_choosing_k_snippet_runs_and_suggests_four(capsys) -> None:
    (block,) = snippets("Choosing k")
    exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.split()[:2] == ["4", "4"]


def test_plots_snippet_writes_both_pngs(tmp_path, monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (block,) = snippets("Plots and examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    plt.close("all")
    assert png_size(tmp_path / "clusters.png") == (600, 500)
    assert png_size(tmp_path / "elbow.png") == (600, 500)


def test_plots_section_images_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert png_size(README.parent / image)[0] > 0, image

"""``simulator discover``: PRIM boxes on a synthetic sweep result whose answer is known."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from simulator import cli, discover


def synthetic(tmp_path, n: int = 3000):
    """A sweep table over three levers where the odds are 0.9 exactly when
    formal_channel_share >= 70 and connectivity_loss <= 5 (vc_funding plays no part), else 0.1."""
    rng = np.random.default_rng(7)
    table = pd.DataFrame(
        {
            "point": np.arange(n),
            "formal_channel_share": rng.uniform(20, 100, n),
            "connectivity_loss": rng.uniform(0, 15, n),
            "vc_funding": rng.uniform(0, 1000, n),
        }
    )
    inside = (table.formal_channel_share >= 70) & (table.connectivity_loss <= 5)
    table["p_goal"] = np.where(inside, 0.9, 0.1)
    table["exports_p50_fy2030"] = 5000.0
    folder = tmp_path / "result"
    folder.mkdir()
    table.to_parquet(folder / "sweep.parquet")
    return folder, int(inside.sum())


def test_prim_finds_the_known_box(tmp_path):
    folder, n_inside = synthetic(tmp_path)
    table = discover.read_result(folder)
    n, boxes = discover.discover(table, target="goal", probability=0.5, min_density=0.97)
    assert n == n_inside
    box = boxes[0]
    assert set(box.limits) == {"formal_channel_share", "connectivity_loss"}  # vc_funding left free
    lo, hi = box.limits["formal_channel_share"]
    assert lo == pytest.approx(70, abs=1.5) and hi == pytest.approx(100, abs=0.1)
    lo, hi = box.limits["connectivity_loss"]
    assert lo == pytest.approx(0, abs=0.1) and hi == pytest.approx(5, abs=0.3)
    # the default density (80%) trades density for coverage: a larger box around the same one
    (loose, *_) = discover.discover(table, target="goal", probability=0.5)[1]
    assert loose.coverage >= box.coverage and 0.8 <= loose.density <= box.density
    assert loose.limits["connectivity_loss"][1] >= hi
    assert box.coverage > 0.9 and box.density >= 0.97
    assert box.mass == pytest.approx(n_inside / 3000, abs=0.02)


def test_no_point_reaching_the_odds_gives_no_box(tmp_path):
    folder, _ = synthetic(tmp_path)
    assert discover.discover(discover.read_result(folder), target="goal", probability=0.95) == (0, [])


def test_the_cli_prints_and_writes_the_boxes(tmp_path, capsys):
    folder, n_inside = synthetic(tmp_path)
    out = tmp_path / "boxes.csv"
    argv = ["discover", str(folder), "--target", "goal", "--probability", "50%", "--boxes", "1"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{n_inside:,} of 3,000 points reach goal" in text
    assert "box 1: coverage" in text and "formal_channel_share" in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["lever"] for r in rows} == {"formal_channel_share", "connectivity_loss"}


def test_an_unknown_target_or_file_is_a_clear_error(tmp_path, capsys):
    folder, _ = synthetic(tmp_path)
    assert cli.main(["discover", str(folder), "--target", "nope", "--probability", "50%"]) == 2
    err = capsys.readouterr().err
    assert "is not a target of this sweep" in err and "allowed: goal" in err
    assert cli.main(["discover", str(tmp_path / "missing"), "--target", "goal", "--probability", "50%"]) == 2
    assert "no such file" in capsys.readouterr().err

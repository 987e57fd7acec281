"""``simulator sweep``: the sweep file's validation, rows equal to single runs, resuming, executors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from simulator import cli, sweep, sweep_store
from simulator.commands import sweep as sweep_command
from simulator.errors import InputErrors

FIRST_YEAR = 2026
GRID = """\
name: grid
levers:
  tech_zones: [10, 40]
  formal_channel_share: {from: 50, to: 100, step: 25}
targets: [t10b_fy2029_uraan, t15b_fy2030_govt]
start: 2027
ramp_years: 2
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def sweep_cli(spec: Path, out: Path, *extra: str) -> int:
    return cli.main(["sweep", str(spec), "--out", str(out), "--draws", "2000", "--quiet", *extra])


# --------------------------------------------------------------------------- the sweep file


def test_grid_points_are_the_full_factorial_last_lever_fastest(tmp_path):
    spec = sweep.read_sweep_file(write(tmp_path, GRID), first_year=FIRST_YEAR)
    assert spec.size == 6
    assert sweep.point_values(spec, 0, 6).tolist() == [list(p) for p in sweep.grid_points(spec)]
    assert sweep.grid_points(spec)[:2] == [(10.0, 50.0), (10.0, 75.0)]
    assert sweep.point_values(spec, 4, 6).tolist() == [[40.0, 75.0], [40.0, 100.0]]


def test_default_start_is_the_projects_default_start_year(tmp_path):
    from simulator.scenario import default_start_year

    spec = sweep.read_sweep_file(
        write(tmp_path, "name: s\nlevers:\n  tech_zones: [1]\n"), first_year=FIRST_YEAR
    )
    assert spec.start == default_start_year(FIRST_YEAR)
    assert spec.ramp_years == 1


def test_a_latin_hypercube_is_seeded_within_the_ranges_and_counts_are_whole(tmp_path):
    text = (
        "name: s\nsample: {points: 50, seed: 3}\n"
        "levers:\n  tech_zones: {from: 0, to: 60}\n  vc_funding: {from: 50, to: 500}\n"
    )
    spec = sweep.read_sweep_file(write(tmp_path, text), first_year=FIRST_YEAR)
    a = sweep._sample_values(spec)
    b = sweep._sample_values(spec)
    assert a.shape == (50, 2) and np.array_equal(a, b)
    assert np.all(a[:, 0] == np.round(a[:, 0])) and a[:, 0].min() >= 0 and a[:, 0].max() <= 60
    assert a[:, 1].min() >= 50 and a[:, 1].max() <= 500
    # Latin hypercube: one point in each of the 50 equal slices of each range
    assert sorted(np.floor((a[:, 1] - 50) / 450 * 50).astype(int).tolist()) == list(range(50))


BROKEN = [
    ("name: s\nlevers:\n  tech_zone: [1]\n", ["line 3", "levers.tech_zone", "did you mean 'tech_zones'"]),
    ("name: s\nlevers:\n  tech_zones: [1, 99]\n", ["line 3", "outside the lever's range", "0 to 60"]),
    ("name: s\nlevers:\n  tech_zones: [1.5]\n", ["whole numbers"]),
    (
        "name: s\nlevers:\n  vc_funding: {from: 10, to: 100, step: 0}\n",
        ["levers.vc_funding.step", "more than 0"],
    ),
    ("name: s\nlevers:\n  vc_funding: {from: 100, to: 10, step: 5}\n", ["is below `from`"]),
    ("name: s\nlevers:\n  vc_funding: {from: 1, to: 10, stp: 1}\n", ["did you mean 'step'"]),
    ("name: s\nlevers:\n  vc_funding: '50'\n", ["must be a list of values or a range"]),
    ("name: s\nlevers: {}\n", ["must name at least one lever"]),
    ("name: s\nramp_yeras: 2\nlevers:\n  tech_zones: [1]\n", ["line 2", "did you mean 'ramp_years'"]),
    ("name: s\nstart: 2020\nlevers:\n  tech_zones: [1]\n", ["start", "out of range", "2026 to"]),
    ("name: s\nsample: {points: 5}\nlevers:\n  tech_zones: [1, 2]\n", ["must be a range {from, to}"]),
    ("name: s\nlevers:\n  tech_zones: [1]\n  tech_zones: [2]\n", ["duplicate"]),
    ("levers:\n  tech_zones: [1]\n", ["name", "is required"]),
]


@pytest.mark.parametrize(("text", "fragments"), BROKEN)
def test_a_broken_sweep_file_is_refused_with_file_line_field_and_what_is_allowed(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(InputErrors) as err:
        sweep.read_sweep_file(path, first_year=FIRST_YEAR)
    message = str(err.value)
    assert str(path) in message
    for f in fragments:
        assert f.lower() in message.lower(), (f, message)


def test_the_cli_reports_a_bad_sweep_file_without_a_traceback(tmp_path, capsys):
    spec = write(tmp_path, "name: s\nlevers:\n  tech_zones: [1, 99]\ntargets: [nope]\n")
    assert sweep_cli(spec, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "outside the lever's range" in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_target_gets_a_hint(tmp_path, capsys):
    spec = write(tmp_path, "name: s\nlevers:\n  tech_zones: [1]\ntargets: [t10b_fy2029_uran]\n")
    assert sweep_cli(spec, tmp_path / "out") == 2
    assert "did you mean 't10b_fy2029_uraan'" in capsys.readouterr().err


def test_a_large_sweep_needs_yes(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep_command, "CONFIRM_ABOVE", 4)
    spec = write(tmp_path, GRID)
    assert sweep_cli(spec, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "6 points" in err and "--yes" in err
    assert not (tmp_path / "out").exists()
    assert sweep_cli(spec, tmp_path / "out", "--yes") == 0


# --------------------------------------------------------------------------- the rows


def read_rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "sweep.csv").read_text("utf-8"))))


def test_each_row_equals_simulator_run_of_the_same_point(tmp_path):
    spec = write(tmp_path, GRID)
    assert sweep_cli(spec, tmp_path / "out", "--csv") == 0
    rows = read_rows(tmp_path / "out")
    assert len(rows) == 6
    files = []
    for r in rows:
        levers = "".join(
            f"  {k}: {{value: {float(r[k]):g}, start: 2027, ramp_years: 2}}\n"
            for k in ("tech_zones", "formal_channel_share")
        )
        files.append(write(tmp_path, f"name: p{r['point']}\nlevers:\n{levers}", f"p{r['point']}.yaml"))
    run_out = tmp_path / "run"
    assert cli.main(["run", *map(str, files), "--out", str(run_out), "--draws", "2000", "--quiet"]) == 0
    targets = list(csv.DictReader(io.StringIO((run_out / "targets.csv").read_text("utf-8"))))
    projections = list(csv.DictReader(io.StringIO((run_out / "projections.csv").read_text("utf-8"))))
    for r in rows:
        name = f"p{r['point']}"
        for t in ("t10b_fy2029_uraan", "t15b_fy2030_govt"):
            (row,) = [x for x in targets if x["scenario"] == name and x["target_id"] == t]
            assert r[f"p_{t}"] == row["p_by_deadline"]
        for y in (2029, 2030):
            (row,) = [x for x in projections if x["scenario"] == name and x["fiscal_year"] == str(y)]
            for q in ("p10", "p50", "p90"):
                assert r[f"exports_{q}_fy{y}"] == row[q]
    # the odds move with policy: more formal channels, better odds (same draws)
    p = [float(r["p_t10b_fy2029_uraan"]) for r in rows]
    assert p[0] <= p[1] <= p[2] and p[0] < p[2]


def test_manifest_records_the_sweep_and_the_files_hashes(tmp_path):
    import json

    from simulator.output import sha256_file

    assert sweep_cli(write(tmp_path, GRID), tmp_path / "out") == 0
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["files"]["sweep.parquet"] == sha256_file(tmp_path / "out" / "sweep.parquet")
    assert m["sweep"]["points"] == 6 and m["sweep"]["draws"] == 2000
    assert m["sweep"]["levers"] == ["tech_zones", "formal_channel_share"]
    assert not sweep_store.partial_dir(tmp_path / "out").exists()


# --------------------------------------------------------------------------- resuming


def test_an_interrupted_sweep_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, capsys):
    text = GRID.replace("[10, 40]", "[0, 10, 20, 30, 40]")  # 15 points, 8 chunks of 2
    spec = write(tmp_path, text)
    monkeypatch.setattr(sweep_command, "CHUNK_POINTS", 2)
    assert sweep_cli(spec, tmp_path / "whole", "--csv") == 0

    written = []
    real_write = sweep_store.PartialStore.write

    def write_then_stop(self, index, rows):
        real_write(self, index, rows)
        written.append(index)
        if len(written) == 5:  # 60% of the chunks
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_store.PartialStore, "write", write_then_stop)
    assert sweep_cli(spec, tmp_path / "resumed", "--csv") == 130
    assert not (tmp_path / "resumed").exists()
    assert len(list(sweep_store.partial_dir(tmp_path / "resumed").glob("chunk-*.npy"))) == 5
    monkeypatch.setattr(sweep_store.PartialStore, "write", real_write)

    scored = []
    real_score = sweep.score_chunk
    monkeypatch.setattr(sweep, "score_chunk", lambda c, b: scored.append(b) or real_score(c, b))
    assert sweep_cli(spec, tmp_path / "resumed", "--csv") == 0
    assert len(scored) == 3  # only the missing chunks
    for name in ("sweep.parquet", "sweep.csv"):
        assert (tmp_path / "resumed" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert pq.read_table(tmp_path / "resumed" / "sweep.parquet").num_rows == 15
    assert not sweep_store.partial_dir(tmp_path / "resumed").exists()


def test_a_partial_folder_of_another_sweep_is_not_mixed_in(tmp_path, monkeypatch, capsys):
    spec = write(tmp_path, GRID)
    monkeypatch.setattr(
        sweep_store.PartialStore, "write", lambda self, i, rows: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    assert sweep_cli(spec, tmp_path / "out") == 130
    monkeypatch.undo()
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--draws", "3000", "--quiet"]) == 2
    assert "different sweep" in capsys.readouterr().err
    assert (
        cli.main(
            ["sweep", str(spec), "--out", str(tmp_path / "out"), "--draws", "3000", "--quiet", "--restart"]
        )
        == 0
    )


# --------------------------------------------------------------------------- executors


def test_two_processes_give_the_same_file_as_one(tmp_path):
    spec = write(tmp_path, GRID)
    assert sweep_cli(spec, tmp_path / "one") == 0
    assert sweep_cli(spec, tmp_path / "two", "--jobs", "2") == 0
    one, two = (tmp_path / d / "sweep.parquet" for d in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_file_as_in_process(tmp_path):
    spec = write(tmp_path, GRID)
    assert sweep_cli(spec, tmp_path / "one") == 0
    assert sweep_cli(spec, tmp_path / "dask", "--jobs", "2", "--scheduler", "local") == 0
    one, dask = (tmp_path / d / "sweep.parquet" for d in ("one", "dask"))
    assert one.read_bytes() == dask.read_bytes()


def test_a_worker_with_another_model_refuses_to_score(tmp_path):
    from dataclasses import replace

    from simulator.engine import Engine
    from simulator.errors import InputError
    from simulator.scenario import baseline_scenario
    from simulator.settings import load_settings

    settings = load_settings(draws=500)
    engine = Engine.from_settings(settings)
    spec = sweep.read_sweep_file(write(tmp_path, GRID), first_year=engine.first_projection_year)
    plan = sweep.plan_sweep(spec, baseline_scenario(), engine, settings)
    assert plan.fingerprint == sweep.fingerprint(engine)
    other = replace(plan, fingerprint=("0.0.0", *plan.fingerprint[1:]))
    with pytest.raises(InputError, match="another version of the model"):
        sweep.score_chunk(sweep.ChunkContext(other, engine), (0, 2))


def test_the_sweep_file_in_docs_scaling_is_valid(tmp_path):
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "scaling.md").read_text("utf-8")
    (text,) = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    spec = sweep.read_sweep_file(write(tmp_path, text), first_year=FIRST_YEAR)
    assert spec.size == 4 * 6 and spec.ramp_years == 2

#!/usr/bin/env bash
# The package works when installed from its wheel, outside the source tree (`make smoke`; CI runs it).
#
# Builds the sdist and, from it, the wheel; installs the wheel with the locked dependencies into a
# new virtual environment in a temporary folder; then, from a folder that is not the repository,
# runs `simulator validate`, `simulator run baseline`, a goal seek, a comparison, the app's pages,
# `simulator app` and the notebook API, and checks that the installed tool gives byte-for-byte
# the projections of the source tree.
# Usage: .ci/wheel_smoke.sh [PYTHON]   (default: the project's .venv/bin/python builds; python3 makes the venv)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEV_PYTHON="${1:-$REPO/.venv/bin/python}"
BASE_PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/simulator-wheel-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# nothing from the caller's environment may point the installed tool back at the repository
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep '^SIMULATOR_' || true)

step() { printf '\n== %s\n' "$*"; }

step "build the sdist, and the wheel from it (python -m build, locked setuptools)"
"$DEV_PYTHON" -m build --no-isolation --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/*.whl)"
ls -l "$WORK/dist"

step "install it with the locked dependencies into a new venv outside the tree"
"$BASE_PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --quiet --require-hashes -r "$REPO/requirements/app.txt"
"$PY" -m pip install --quiet --no-deps "$WHEEL"
SIM="$WORK/venv/bin/simulator"

mkdir "$WORK/elsewhere"
cd "$WORK/elsewhere"
"$PY" - "$REPO" <<'EOF'
import sys
from pathlib import Path

import calibration
import simulator
from simulator import resources

repo = Path(sys.argv[1]).resolve()
for module in (simulator, calibration):
    where = Path(module.__file__).resolve()
    assert repo not in where.parents, f"{module.__name__} imported from the source tree: {where}"
    print(f"{module.__name__}: {where.parent}")
assert resources.source_checkout() is None
for f in (resources.model_doc(), resources.params_path(), resources.reference_growth_file()):
    assert f.is_file(), f
assert len(list(resources.scenario_dir().glob("*.yaml"))) >= 2, resources.scenario_dir()
print("package data: ok")
EOF

step "simulator --version and validate (every shipped scenario, by name)"
"$SIM" --version
names=()
for f in "$REPO"/scenarios/*.yaml; do names+=("$(basename "$f" .yaml)"); done
"$SIM" validate "${names[@]}"

step "simulator run baseline blueprint-package"
"$SIM" run baseline blueprint-package --draws 2000 --seed 7 --out run --quiet
ls run

step "the installed tool gives the source tree's numbers"
"$DEV_PYTHON" -m simulator run baseline blueprint-package --draws 2000 --seed 7 --out "$WORK/source-run" --quiet
for f in projections.csv targets.csv; do
  cmp "run/$f" "$WORK/source-run/$f" && echo "$f: identical"
done

step "simulator goal-seek"
"$SIM" goal-seek --target t10b_fy2029_uraan --probability 80% --draws 1000 --lever tech_zones \
  --no-package --out goal_seek.csv
test -s goal_seek.csv

step "simulator compare baseline blueprint-package"
"$SIM" compare baseline blueprint-package --draws 1000 --every 5

step "the app's pages and simulator app, from the installed copy"
"$PY" - <<'EOF'
from streamlit.testing.v1 import AppTest

for module in ("model_page", "data_page", "track_record"):
    at = AppTest.from_string(f"from simulator.app import {module}\n{module}.page()\n", default_timeout=180)
    at.run()
    assert not at.exception and not at.error, (module, at.exception, at.error)
    shown = " ".join(str(x.value) for x in [*at.markdown, *at.caption])
    assert "in the repository" not in shown, f"{module}: a file the page reads is missing"
    print(f"{module}: ok")
EOF
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$SIM" app --port "$PORT" >"$WORK/app.log" 2>&1 &
APP_PID=$!
healthy=""
for _ in $(seq 1 240); do
  if "$PY" -c "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:$PORT/_stcore/health', timeout=1).read() != b'ok')" 2>/dev/null; then
    healthy=1
    break
  fi
  sleep 0.5
done
kill "$APP_PID" 2>/dev/null || true
wait "$APP_PID" 2>/dev/null || true
if [ -z "$healthy" ]; then cat "$WORK/app.log"; echo "simulator app did not answer on port $PORT"; exit 1; fi
echo "simulator app answered on 127.0.0.1:$PORT and stopped"

step "the notebook API"
"$PY" - <<'EOF'
from simulator import Simulator

sim = Simulator(draws=1000, seed=7)
r = sim.run("blueprint-package")
print(r.projections.tail(3).to_string(index=False))
print(r.targets[["target_id", "p_by_deadline"]].head(3).to_string(index=False))
r.chart().to_dict()
print("API: ok")
EOF

printf '\nwheel smoke test: passed (%s)\n' "$(basename "$WHEEL")"

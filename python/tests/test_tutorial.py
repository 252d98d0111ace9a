"""docs/tutorial.md is the source: its `sh` blocks run here, in order, as
written (npm, PyTorch training, qc compile / report / eval / run, Python)."""
import os
import re
import subprocess

from conftest import BUILD, REPO


def test_tutorial_commands_run_as_written(tmp_path):
    doc = (REPO / "docs" / "tutorial.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", doc, re.S)
    assert len(blocks) >= 6
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = dict(os.environ, T=str(tmp_path / "t"), QC_BUILD_DIR=str(BUILD),
               QC_CACHE_DIR=str(tmp_path / "cache"))
    # The tutorial calls build/bin/qc; point it at the build under test.
    script = script.replace("build/bin/qc", str(BUILD / "bin" / "qc"))
    p = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    out = p.stdout
    assert "per-tensor error on 200 calibration samples" in out
    accs = re.findall(r"int[48/]+ accuracy\s+([\d.]+)%\s+\(compiled, (.*)\)\n", out)
    assert [kind for _, kind in accs] == ["integer-only", "1 op(s) kept in float", "integer-only"]
    assert all(float(a) > 95 for a, _ in accs)
    assert (tmp_path / "t" / "report.html").exists() and (tmp_path / "t" / "logits.npy").exists()
    assert "mixed precision: " in out and "drop dB" in out
    assert re.search(r"qc\.Model\('.*/small', input \[N, 1, 28, 28\]\) \[[\d ]+\]", out)

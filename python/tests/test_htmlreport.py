"""`qc report`: a self-contained page that renders in headless Chromium with
no script errors and every image loaded."""
import re
import shutil
import subprocess

import pytest

from conftest import model_path, run_qc

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    run_qc("compile", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
           "--report", "-o", d / "out")
    run_qc("report", d / "out", "-o", d / "r.html")
    return d / "r.html"


def test_page_contents(page):
    text = page.read_text()
    assert "http" not in text.replace("http-equiv", "")  # self-contained
    assert re.search(r"<p class=summary>13 ops integer, 2 float, 5 requantizes, "
                     r"size 23\.7 kB \(4\.0x smaller\)</p>", text)
    imgs = re.findall(r"<img alt='([^']*)' src='data:image/png;base64,", text)
    assert imgs[0] == "per-layer SQNR" and len(imgs) == 16  # + 15 tensor histograms
    assert "/features/features.6/Relu_output_0" in text and "asymmetric per-tensor" in text


def test_renders_in_headless_chromium(page, tmp_path):
    assert CHROMIUM, "chromium is not installed (scripts/setup.sh installs it)"
    p = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                        "--dump-dom", f"file://{page}"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert '<body data-images="ok:16">' in p.stdout  # every image decoded
    assert "Uncaught" not in p.stderr and ":CONSOLE" not in p.stderr


def test_report_of_non_model(tmp_path):
    p = run_qc("report", tmp_path, "-o", tmp_path / "r.html", check=False)
    assert p.returncode == 1 and "not a compiled qc model" in p.stderr

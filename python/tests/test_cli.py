"""CLI contract: every flag documented."""
from conftest import run_qc


def test_help_documents_every_flag():
    top = run_qc("--help").stdout
    for cmd in ["compile", "run", "eval"]:
        assert cmd in top
    comp = run_qc("compile", "--help").stdout
    for flag in ["--calib", "--stats", "-o", "--force", "--quiet"]:
        assert flag in comp
    r = run_qc("run", "--help").stdout
    for flag in ["--input", "--output"]:
        assert flag in r
    e = run_qc("eval", "--help").stdout
    for flag in ["--input", "--labels"]:
        assert flag in e


def test_no_command_prints_help():
    p = run_qc(check=False)
    assert p.returncode == 1 and "usage: qc" in p.stdout

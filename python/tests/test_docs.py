"""The committed references are the generated ones (ODS and --help are the
single sources)."""
import subprocess
import sys

import pytest

from conftest import BUILD, REPO


@pytest.mark.parametrize("gen,doc", [
    ("Dialects/QCDialect.md", "QCDialect.md"),
    ("Dialects/QCAccelDialect.md", "QCAccelDialect.md"),
    ("Passes/QCTransformPasses.md", "QCTransformPasses.md"),
    ("Passes/QCConversionPasses.md", "QCConversionPasses.md"),
])
def test_ods_docs_current(gen, doc):
    built = (BUILD / "docs" / gen).read_text()
    committed = (REPO / "docs" / "generated" / doc).read_text()
    assert built == committed, f"docs/generated/{doc} is stale: run scripts/gen-docs.sh"


def test_accelerator_ops_doc_current():
    """The supported-ops reference is generated from the constraint registry."""
    out = subprocess.run([str(BUILD / "bin" / "qc-accel"), "supported-ops"], capture_output=True,
                         text=True, check=True).stdout
    assert out == (REPO / "docs" / "generated" / "accelerator-ops.md").read_text(), \
        "docs/generated/accelerator-ops.md is stale: run scripts/gen-docs.sh"


def test_cli_doc_current():
    out = subprocess.run([sys.executable, "-m", "qc.clidoc"], capture_output=True, text=True,
                         cwd=REPO / "python", check=True).stdout
    assert out == (REPO / "docs" / "cli.md").read_text(), "docs/cli.md is stale: run scripts/gen-docs.sh"


def test_pipeline_doc_current():
    out = subprocess.run([sys.executable, "-m", "qc.pipelinedoc"], capture_output=True, text=True,
                         cwd=REPO / "python", check=True).stdout
    assert out == (REPO / "docs" / "pipeline.md").read_text(), \
        "docs/pipeline.md is stale: run scripts/gen-docs.sh"

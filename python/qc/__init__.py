"""qc: a quantization compiler for ONNX models, built on MLIR.

    import qc
    m = qc.compile("model.onnx", calib=x_calib)
    y = m(x)

The command-line driver is `build/bin/qc` (python -m qc); see docs/cli.md.
"""
from .api import Model, compile, export_qdq, load
from .errors import QCError

__version__ = "0.1.0"
__all__ = ["Model", "QCError", "compile", "export_qdq", "load"]

"""qc: a quantization compiler for ONNX models, built on MLIR.

The command-line driver is `build/bin/qc` (python -m qc); see docs/cli.md.
"""
__version__ = "0.1.0"

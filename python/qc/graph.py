"""qc's normalized model graph: what the ONNX importer produces.

A Graph is a list of Nodes in topological order over named tensors, plus
constant tensors. Attributes are normalized (explicit pads [t, l, b, r],
Gemm as a[M,K] x w[N,K]^T + b[N], Clip/Relu as clamp) so that the float
reference, the calibrator and the MLIR emitter share one form.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Node:
    op: str            # conv2d, batch_norm, gemm, max_pool2d, avg_pool2d,
                       # clamp, tanh, add, flatten, fake_quant (QDQ pair),
                       # quantize / dequantize (integer model input / output)
    output: str        # ONNX output tensor name
    inputs: list       # tensor names (activations or constants)
    attrs: dict = field(default_factory=dict)
    onnx_name: str = ""
    onnx_op: str = ""

    def where(self):
        return f"node '{self.onnx_name}' ({self.onnx_op})"


@dataclass
class Graph:
    input_name: str
    input_shape: list          # batch dimension first, recorded as 1
    output_name: str
    nodes: list
    constants: dict            # name -> np.ndarray (float32)
    shapes: dict               # tensor name -> shape (batch 1)
    given: dict = field(default_factory=dict)  # quantized constants (QDQ) -> parameters
    input_dtype: str = "float32"   # float32, or uint8 / int8 read by a DequantizeLinear
    output_dtype: str = "float32"  # float32, or uint8 / int8 written by a QuantizeLinear
    batched: bool = True           # dimension 0 is a batch (compiled as 1, looped); else static
    extra_inputs: list = field(default_factory=list)   # further graph inputs (float32)
    extra_outputs: list = field(default_factory=list)  # further graph outputs
    io_dtypes: dict = field(default_factory=dict)      # extra input / output name -> dtype

    def inputs(self):
        return [self.input_name] + self.extra_inputs

    def outputs(self):
        return [self.output_name] + self.extra_outputs

    def dtype(self, name):
        """The dtype of a graph input or output."""
        if name == self.input_name:
            return self.input_dtype
        if name == self.output_name:
            return self.output_dtype
        return self.io_dtypes.get(name, "float32")

    def const(self, name):
        return self.constants[name]

    def is_const(self, name):
        return name in self.constants


def conv_out(size, k, s, p0, p1, d=1):
    return (size + p0 + p1 - d * (k - 1) - 1) // s + 1


def as_f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))

"""Seeded mutation harness for the ONNX importer: corrupt protobuf bytes,
wrong shapes, missing initializers, bad attributes, cyclic graphs, unknown
ops. Every mutant must import cleanly or fail with a QCError (the message
the CLI prints); any other exception is a bug. Mutants that import must also
give MLIR that qc-opt verifies."""
import copy
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import BUILD, model_path
from qc import onnx_import
from qc.errors import QCError

SEEDS = ["cnn_bn", "kws_mlp", "mobilenet_dw"]


def _attr_mutation(rng, node):
    if not node.attribute:
        return
    a = node.attribute[int(rng.integers(len(node.attribute)))]
    if a.type == onnx.AttributeProto.INTS and len(a.ints):
        a.ints[int(rng.integers(len(a.ints)))] = int(rng.choice([-1, 0, 1000, 2**31]))
    elif a.type == onnx.AttributeProto.INT:
        a.i = int(rng.choice([-5, 0, 7, 2**40]))
    elif a.type == onnx.AttributeProto.FLOAT:
        a.f = float(rng.choice([np.nan, -1.0, np.inf]))


def mutate(model, rng):
    m = copy.deepcopy(model)
    g = m.graph
    kind = rng.integers(8)
    if kind == 0 and len(g.initializer):          # missing initializer
        del g.initializer[int(rng.integers(len(g.initializer)))]
    elif kind == 1 and len(g.initializer):        # wrong initializer shape
        t = g.initializer[int(rng.integers(len(g.initializer)))]
        if len(t.dims):
            arr = onnx.numpy_helper.to_array(t).reshape(-1)
            k = max(1, len(arr) // 2)
            t.CopyFrom(onnx.numpy_helper.from_array(arr[:k].copy(), t.name))
    elif kind == 2 and len(g.node):               # bad attribute value
        _attr_mutation(rng, g.node[int(rng.integers(len(g.node)))])
    elif kind == 3 and len(g.node) > 1:           # cycle / use before definition
        i, j = sorted(int(v) for v in rng.choice(len(g.node), 2, replace=False))
        if len(g.node[i].input):
            g.node[i].input[0] = g.node[j].output[0]
    elif kind == 4 and len(g.node):               # unknown op type
        g.node[int(rng.integers(len(g.node)))].op_type = "NoSuchOp"
    elif kind == 5:                               # wrong input shape
        d = g.input[0].type.tensor_type.shape.dim
        d[int(rng.integers(len(d)))].dim_value = int(rng.choice([0, 3, 5000]))
    elif kind == 6 and len(g.node):               # dropped node
        del g.node[int(rng.integers(len(g.node)))]
    else:                                         # swapped node order
        if len(g.node) > 2:
            i = rng.integers(len(g.node) - 1)
            a, b = copy.deepcopy(g.node[i]), copy.deepcopy(g.node[i + 1])
            g.node[i].CopyFrom(b)
            g.node[i + 1].CopyFrom(a)
    return m.SerializeToString()


def corrupt_bytes(data, rng):
    b = bytearray(data)
    for _ in range(rng.integers(1, 20)):
        op = rng.integers(3)
        pos = int(rng.integers(len(b)))
        if op == 0:
            b[pos] = int(rng.integers(256))
        elif op == 1:
            del b[pos:pos + int(rng.integers(1, 64))]
        else:
            b[pos:pos] = rng.bytes(int(rng.integers(1, 16)))
    return bytes(b)


def check_mutant(path):
    try:
        g = onnx_import.import_onnx(path)
    except QCError as e:
        assert str(e) and "\n" not in str(e)
        return None
    return onnx_import.to_mlir(g)


@pytest.mark.parametrize("seed_model", SEEDS)
def test_importer_mutations(seed_model, tmp_path):
    model = onnx.load(str(model_path(seed_model)))
    data = model.SerializeToString()
    rng = np.random.default_rng(1234)
    verified = 0
    for i in range(120):
        mutant = corrupt_bytes(data, rng) if i % 2 else mutate(model, rng)
        p = tmp_path / f"m{i}.onnx"
        p.write_bytes(mutant)
        text = check_mutant(p)
        if text is not None and verified < 5:
            f = tmp_path / f"m{i}.mlir"
            f.write_text(text)
            res = subprocess.run([str(BUILD / "bin" / "qc-opt"), str(f), "-o", "/dev/null"],
                                 capture_output=True, text=True)
            assert res.returncode == 0, (i, res.stderr[:500])
            verified += 1

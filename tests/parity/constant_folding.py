#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Constant folding, one ONNX op at a time, against numpy.

Each case is a graph `y = x + reshape(OP(constants), [1, K, 1, 1])`: bnn-convert
must fold OP (its inputs are all initializers), and bnn-run on x = 0 then
prints the folded values, which must equal numpy's float32 result (exactly for
elementwise arithmetic; within 1e-6 of the largest value for sums, which the
converter adds in double and numpy/PyTorch in float32, and for exp, log, tanh,
erf and sigmoid, which the converter rounds correctly and float32 libraries
to about an ulp).

usage: constant_folding.py --bin DIR
"""
import argparse
import math
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_cli  # noqa: E402

rng = np.random.default_rng(7)
A = rng.standard_normal((2, 3, 4)).astype(np.float32)        # a weight-like tensor
W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)     # a conv weight
B = rng.standard_normal((3,)).astype(np.float32) + 0.1
POS = (np.abs(A) + 0.5).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def erf(x):
    return f32(np.vectorize(math.erf)(x.astype(np.float64)))


# name: (op, inputs, attributes, expected, exact)
CASES = {
    "Expand": ("Expand", [f32([[1.5], [2.5]]), i64(2, 2, 3)], {}, np.broadcast_to(f32([[1.5], [2.5]]), (2, 2, 3)), 1),
    "ReduceL1 (norm(1, 3))": ("ReduceL1", [W], {"axes": [3], "keepdims": 1}, np.abs(W).sum(3, keepdims=True), 0),
    "ReduceL2": ("ReduceL2", [W], {"axes": [1, 2, 3], "keepdims": 1},
                 np.sqrt((W.astype(np.float64) ** 2).sum((1, 2, 3), keepdims=True)), 0),
    "ReduceSumSquare": ("ReduceSumSquare", [A], {"axes": [2], "keepdims": 0}, (A * A).sum(2), 0),
    "ReduceLogSumExp": ("ReduceLogSumExp", [A], {"axes": [0], "keepdims": 0}, np.log(np.exp(A).sum(0)), 0),
    "ReduceMean": ("ReduceMean", [W], {"axes": [1, 2, 3], "keepdims": 1}, W.mean((1, 2, 3), keepdims=True), 0),
    "ReduceSum (axes input)": ("ReduceSum", [W, i64(2, 1)], {"keepdims": 1}, W.sum((1, 2), keepdims=True), 0),
    "ReduceMax": ("ReduceMax", [A], {"axes": [1], "keepdims": 0}, A.max(1), 1),
    "ReduceMin": ("ReduceMin", [A], {"keepdims": 1}, A.min(keepdims=True).reshape(1, 1, 1), 1),
    "ReduceProd": ("ReduceProd", [POS], {"axes": [2], "keepdims": 0}, POS.prod(2), 0),
    "Div broadcasting": ("Div", [A, B.reshape(3, 1)], {}, A / B.reshape(3, 1), 1),
    "Mul broadcasting": ("Mul", [W, f32([1.5, -2.0, 0.5, 3.0]).reshape(4, 1, 1, 1)], {},
                         W * f32([1.5, -2.0, 0.5, 3.0]).reshape(4, 1, 1, 1), 1),
    "Add": ("Add", [A, B.reshape(1, 3, 1)], {}, A + B.reshape(1, 3, 1), 1),
    "Sub": ("Sub", [A, f32(0.25)], {}, A - f32(0.25), 1),
    "Pow": ("Pow", [POS, f32(2.0)], {}, POS ** 2, 1),
    "Max": ("Max", [A, f32(0.0)], {}, np.maximum(A, 0), 1),
    "Min": ("Min", [A, f32(0.0)], {}, np.minimum(A, 0), 1),
    "Abs": ("Abs", [A], {}, np.abs(A), 1),
    "Neg": ("Neg", [A], {}, -A, 1),
    "Sign": ("Sign", [np.concatenate([A.ravel(), f32([0.0, -0.0])])], {},
             np.sign(np.concatenate([A.ravel(), f32([0.0, -0.0])])), 1),
    "Sqrt": ("Sqrt", [POS], {}, np.sqrt(POS), 1),
    "Log": ("Log", [POS], {}, np.log(POS), 0),
    "Reciprocal": ("Reciprocal", [POS], {}, f32(1) / POS, 1),
    "Exp": ("Exp", [A], {}, np.exp(A), 0),
    "Tanh (DoReFa weights)": ("Tanh", [A], {}, np.tanh(A), 0),
    "Sigmoid": ("Sigmoid", [A], {}, f32(1 / (1 + np.exp(-A.astype(np.float64)))), 0),
    "Erf": ("Erf", [A], {}, erf(A), 0),
    "Round (half to even)": ("Round", [f32([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999997])], {},
                             np.round(f32([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999997])), 1),
    "Floor": ("Floor", [A], {}, np.floor(A), 1),
    "Ceil": ("Ceil", [A], {}, np.ceil(A), 1),
    "Relu": ("Relu", [A], {}, np.maximum(A, 0), 1),
    "Clip (inputs)": ("Clip", [A, f32(-0.5), f32(0.5)], {}, np.clip(A, -0.5, 0.5), 1),
    "Where": ("Where", [A >= 0, f32(1.0), f32(-1.0)], {}, np.where(A >= 0, f32(1), f32(-1)), 1),
    "Reshape": ("Reshape", [A, i64(4, -1)], {}, A.reshape(4, -1), 1),
    "Transpose": ("Transpose", [A], {"perm": [2, 0, 1]}, A.transpose(2, 0, 1), 1),
    "Slice (negative step)": ("Slice", [A, i64(-1), i64(-(2 ** 63)), i64(2), i64(-2)], {}, A[:, :, ::-2], 1),
    "Slice (open end)": ("Slice", [W, i64(0, 1), i64(2 ** 63 - 1, 2 ** 63 - 1), i64(2, 3), i64(2, 2)], {},
                         W[:, :, ::2, 1::2], 1),
    "ConstantOfShape": ("ConstantOfShape", [i64(2, 3)], {"value": numpy_helper.from_array(f32([0.75]))},
                        np.full((2, 3), 0.75, np.float32), 1),
    "Unsqueeze": ("Unsqueeze", [B, i64(0, 2)], {}, B.reshape(1, 3, 1), 1),
    "Squeeze": ("Squeeze", [B.reshape(1, 3, 1), i64(2)], {}, B.reshape(1, 3), 1),
    "Gather (rows)": ("Gather", [A.reshape(6, 4), i64(5, 0, -1)], {"axis": 0}, A.reshape(6, 4)[[5, 0, -1]], 1),
    "Concat (axis 1)": ("Concat", [A, A[:, :2]], {"axis": 1}, np.concatenate([A, A[:, :2]], 1), 1),
    "Flatten": ("Flatten", [W], {"axis": 1}, W.reshape(4, -1), 1),
    "MatMul": ("MatMul", [A.reshape(6, 4), W.reshape(4, 27)], {}, A.reshape(6, 4) @ W.reshape(4, 27), 0),
    "Identity": ("Identity", [A], {}, A, 1),
}
CASES["Equal"] = ("Equal", [A, A[0, 0, 0]], {}, (A == A[0, 0, 0]).astype(np.float32), 1)
for op, fn in (("Less", np.less), ("LessOrEqual", np.less_equal), ("Greater", np.greater),
               ("GreaterOrEqual", np.greater_equal)):
    CASES[op] = (op, [A, f32(0.0)], {}, fn(A, 0).astype(np.float32), 1)
for op, fn in (("And", np.logical_and), ("Or", np.logical_or), ("Xor", np.logical_xor)):
    CASES[op] = (op, [A > 0, A > 0.5], {}, fn(A > 0, A > 0.5).astype(np.float32), 1)
CASES["Not"] = ("Not", [A > 0], {}, (~(A > 0)).astype(np.float32), 1)
CASES["Cast (to int64)"] = ("Cast", [A * 3], {"to": TensorProto.INT64}, np.trunc(A * 3), 1)


def model_for(op, inputs, attributes, count):
    inits, names = [], []
    for i, v in enumerate(inputs):
        name = f"c{i}"
        inits.append(numpy_helper.from_array(np.asarray(v), name))
        names.append(name)
    nodes = [helper.make_node(op, names, ["t"], **attributes),
             helper.make_node("Cast", ["t"], ["tf"], to=TensorProto.FLOAT),
             helper.make_node("Reshape", ["tf", "shape"], ["r"]),
             helper.make_node("Add", ["x", "r"], ["y"])]
    inits.append(numpy_helper.from_array(i64(1, count, 1, 1), "shape"))
    graph = helper.make_graph(nodes, "fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, count, 1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, count, 1, 1])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    args = p.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (op, inputs, attributes, want, exact) in CASES.items():
            want = np.asarray(want, dtype=np.float32)
            count = want.size
            onnx_path = os.path.join(tmp, "m.onnx")
            onnx.save(model_for(op, inputs, attributes, count), onnx_path)
            got, log = engine_cli.convert_and_run(args.bin, onnx_path, np.zeros((1, count, 1, 1)))
            if got is None:
                print(f"FAILED {name}: {log.strip()}")
                failed += 1
                continue
            got = got.ravel()
            ref = want.ravel()
            if exact:
                ok = got.shape == ref.shape and np.array_equal(got, ref)
            else:
                ok = got.shape == ref.shape and bool((np.abs(got - ref) <= 1e-6 * (1 + np.abs(ref).max())).all())
            err = float(np.max(np.abs(got - ref))) if got.shape == ref.shape else float("inf")
            print(f"{'ok    ' if ok else 'FAILED'} {name}: {count} values, max |diff| {err:.3g}")
            failed += not ok
    print(f"{len(CASES) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

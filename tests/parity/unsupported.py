#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bnn-convert on models it must refuse (or warn about): each refusal names the
ONNX node, its op type and why; nothing converts silently wrong.

usage: unsupported.py --bin DIR
"""
import argparse
import os
import resource
import struct
import subprocess
import sys
import tempfile
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


class Net(nn.Module):
    """stem conv -> `middle` -> pooled dense head; `middle` maps x (16 channels) to 16 channels."""

    def __init__(self, middle):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.middle = middle
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.middle(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Lambda(nn.Module):
    def __init__(self, f, **modules):
        super().__init__()
        self.f = f
        for k, m in modules.items():
            setattr(self, k, m)

    def forward(self, x):
        return self.f(self, x)


class TernaryConv(nn.Conv2d):
    def forward(self, x):
        w = torch.where(self.weight.abs() < 0.05, torch.zeros_like(self.weight), torch.sign(self.weight))
        return F.conv2d(x, w, None, 1, 1)


class ZeroWeightConv(models.BinConv2d):
    def forward(self, x):
        w = torch.sign(self.weight)  # sign(0) = 0: a zero weight one bit cannot hold
        return F.conv2d(x, w, None, 1, 1)


def binary_conv():
    """A 3x3 conv whose weights are +-0.1: its output is 0.1 times an integer."""
    conv = models.FoldedBinConv2d(16, 16, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.sign(torch.randn(conv.weight.shape, generator=torch.Generator().manual_seed(5))) * 0.1)
    return conv


def shifted_bn(shift):
    bn = nn.BatchNorm2d(16)
    with torch.no_grad():
        bn.bias.fill_(shift)
    return bn


sign = models.SignWhere()
CASES = [
    # (name, middle, expected exit status, text that must appear)
    ("a sigmoid", nn.Sigmoid(), 1, "(Sigmoid): not supported"),
    ("ternary weights on binarized input",
     Lambda(lambda s, x: s.conv(sign(x)), conv=TernaryConv(16, 16, 3, padding=1, bias=False)), 1,
     "weights are exactly 0 (ternary or pruned?)"),
    ("average pooling of binarized activations", Lambda(lambda s, x: F.avg_pool2d(sign(x), 3, 1, 1)), 1,
     "(AveragePool): average pooling on binarized input is not supported"),
    ("adding a binarized tensor", Lambda(lambda s, x: sign(x) + x), 1, "on binarized input is not supported"),
    ("a rounding with no clip (not a k-bit quantizer)", Lambda(lambda s, x: torch.round(x * 3) / 3), 1,
     "(Round): not supported here"),
    ("a 5-bit quantizer", Lambda(lambda s, x: torch.round(torch.clamp(x, 0, 1) * 31) / 31), 1,
     "(Round): not supported here"),
    ("sign giving -1 and 0 (clamp(x, -1, 0): zero on a region, negative elsewhere)",
     Lambda(lambda s, x: s.conv(models.SignSTE()(torch.clamp(x, -1, 0))),
            conv=models.FoldedBinConv2d(16, 16, 3, padding=1, bias=False)), 1, "gives 0 as well as -1:"),
    ("concatenating binarized tensors", Lambda(lambda s, x: s.conv(torch.cat([sign(x), sign(-x)], 1)),
                                               conv=models.FoldedBinConv2d(32, 16, 3, padding=1, bias=False)), 1,
     "Concat of binarized tensors is not supported; concatenate the float tensors"),
    ("a slice that does not start at 0", Lambda(lambda s, x: F.interpolate(x[:, :, 1::2, 1::2], scale_factor=2)), 1,
     "supported as subsampling only"),
    ("a mean over channels", Lambda(lambda s, x: x - x.mean(1, keepdim=True)), 1, "ReduceMean is supported over H and W"),
    ("a sigmoid gate", Lambda(lambda s, x: x * torch.sigmoid(x)), 1, "float activations are ReLU, PReLU"),
    ("sign of a bias-free binary conv's integer output (exactly 0 when the taps cancel)",
     Lambda(lambda s, x: s.conv2(models.SignSTE()(s.conv(sign(x)))), conv=binary_conv(), conv2=binary_conv()), 1,
     "gives 0 as well as -1"),
    ("sign of an averaged binary conv output (0.05 and -0.05 average to 0)",
     Lambda(lambda s, x: s.conv2(models.SignSTE()(F.avg_pool2d(s.bn(s.conv(sign(x))), 2))),
            conv=binary_conv(), bn=shifted_bn(0.05), conv2=binary_conv()), 1, "gives 0 as well as -1"),
    ("weights exactly zero", Lambda(lambda s, x: s.conv(sign(x)), conv=ZeroWeightConv(16, 16, 3, padding=1, bias=False)),
     0, "weight(s) are exactly 0"),
]


def main():
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    args = p.parse_args()
    convert = os.path.join(args.bin, "bnn-convert")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, bnn_path = os.path.join(tmp, "m.onnx"), os.path.join(tmp, "m.bnn")
        for name, middle, status, text in CASES:
            torch.manual_seed(0)
            model = Net(middle).eval()
            if isinstance(getattr(middle, "conv", None), ZeroWeightConv):
                with torch.no_grad():
                    middle.conv.weight[0, 0, 0, 0] = 0.0
            torch.onnx.export(model, torch.randn(1, 3, 8, 8), onnx_path, opset_version=13)
            r = subprocess.run([convert, onnx_path, "-o", bnn_path], capture_output=True, text=True)
            ok = r.returncode == status and text in r.stderr
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1 if status else 0]}")
        # Not an ONNX file at all.
        with open(onnx_path, "w") as f:
            f.write("not a model")
        r = subprocess.run([convert, onnx_path, "-o", bnn_path], capture_output=True, text=True)
        ok = r.returncode == 1 and "not an ONNX model" in r.stderr
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} a text file: exit {r.returncode}: {r.stderr.strip()}")
        # Malformed ONNX files: sizes are checked before anything is allocated.
        import onnx
        from onnx import TensorProto, helper
        def graph_with(initializer):
            node = helper.make_node("Add", ["x", initializer.name], ["y"])
            g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2, 2])], [initializer])
            return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 28])  # claims 1 GiB, holds nothing
        short = helper.make_tensor("w", TensorProto.FLOAT, [4], struct.pack("<4f", 1, 2, 3, 4), raw=True)
        short.raw_data = short.raw_data[:7]
        external = helper.make_tensor("w", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
        external.data_location = TensorProto.EXTERNAL
        torch.onnx.export(Net(nn.Identity()).eval(), torch.randn(1, 3, 8, 8), onnx_path, opset_version=13)
        exported = open(onnx_path, "rb").read()
        # A 1 GiB address-space limit shows a refusal allocated nothing first.
        # Sanitizer builds reserve terabytes of shadow address space, so the
        # limit is used only where the tool starts under it.
        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        limited = subprocess.run([convert, "--help"], capture_output=True, preexec_fn=limit).returncode == 0
        print(f"     (malformed files run {'under a 1 GiB address-space limit' if limited else 'without a memory limit: sanitizer build'})")
        for name, payload, text in [
                ("an initializer claiming 2^28 values with none", graph_with(huge).SerializeToString(), "wrong number of values"),
                ("raw data shorter than its shape", graph_with(short).SerializeToString(), "holds 7 bytes"),
                ("external data", graph_with(external).SerializeToString(), "external file"),
                ("a truncated file", exported[: len(exported) // 2], "not an ONNX model")]:
            with open(onnx_path, "wb") as f:
                f.write(payload)
            # Under a 1 GiB address-space limit: a refusal that allocated first would fail here.
            r = subprocess.run([convert, onnx_path, "-o", bnn_path], capture_output=True, text=True,
                               preexec_fn=limit if limited else None)
            ok = r.returncode == 1 and text in r.stderr
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1]}")
        # Regressions: small hostile files found in review, each refused cleanly.
        corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus", "onnx")
        for name in sorted(f for f in os.listdir(corpus) if f.startswith("regress_")):
            r = subprocess.run([convert, os.path.join(corpus, name), "-o", bnn_path], capture_output=True, text=True)
            ok = r.returncode == 1 and "error:" in r.stderr
            failed += not ok
            regressions = globals().setdefault("regressions", [])
            regressions.append(name)
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {r.returncode}: {r.stderr.strip()[-100:]}")
        # The command line itself (and a TorchScript file, which is a zip too).
        script_path = os.path.join(os.path.dirname(bnn_path), "scripted.pt")
        torch.jit.trace(torch.nn.Conv2d(1, 1, 1), torch.zeros(1, 1, 2, 2)).save(script_path)
        fixed_path = os.path.join(os.path.dirname(bnn_path), "fixed.onnx")
        torch.onnx.export(torch.nn.Conv2d(3, 1, 1), torch.zeros(1, 3, 8, 8), fixed_path, opset_version=13)
        for argv, status, text in [(["--help"], 0, "usage: bnn-convert"), ([], 2, "required"),
                                   ([onnx_path, "-o", bnn_path, "--color", "cmyk"], 2, "--color 'cmyk' is not one of: rgb, bgr, grey"),
                                   (["/nonexistent.onnx", "-o", bnn_path], 1, "cannot open"),
                                   ([fixed_path, "-o", bnn_path, "--input", "7x8x8"], 1, "contradicts the model's fixed input"),
                                   ([script_path, "-o", bnn_path], 1, "a TorchScript model"),
                                   ([script_path, "--arch", "bireal18", "-o", bnn_path], 1, "a TorchScript model")]:
            r = subprocess.run([convert] + argv, capture_output=True, text=True)
            ok = r.returncode == status and text in (r.stdout + r.stderr)
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} bnn-convert {' '.join(argv)}: exit {r.returncode}")
    total = len(CASES) + 12 + len(globals().get("regressions", []))
    print(f"{total - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

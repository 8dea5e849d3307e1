#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the ResNet-18 models the tuning report uses (docs/tuning.md): random
weights with realistic batchnorm statistics, 224x224 input, full widths.

  bireal18_w1a1.bnn   Bi-Real-Net-18: 16 binary 3x3 convs (W1A1), real shortcuts
  dorefa18_w2a2.bnn   DoReFa ResNet-18 with 2-bit weights and activations (W2A2)

usage: resnet18_models.py --bin build/bin --out DIR
"""
import argparse
import os
import subprocess
import sys
import tempfile
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
import models  # noqa: E402

MODELS = {"bireal18_w1a1": "bireal-resnet18", "dorefa18_w2a2": "dorefa-resnet18-w2a2"}


def main():
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    p.add_argument("--bin", default=os.path.join(repo, "build", "bin"),
                   help="where bnn-convert is (default: build/bin of this checkout, from any directory)")
    p.add_argument("--out", required=True, help="directory for the .bnn files")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    x = torch.randn(1, 3, 224, 224)
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, family) in enumerate(MODELS.items(), start=1):
            model = models.randomize(models.family(family, small=False), seed)
            onnx_path = os.path.join(tmp, name + ".onnx")
            torch.onnx.export(model, x, onnx_path, opset_version=13)
            out = os.path.join(args.out, name + ".bnn")
            subprocess.run([os.path.join(args.bin, "bnn-convert"), onnx_path, "-o", out], check=True,
                           capture_output=True)
            print(out)


if __name__ == "__main__":
    main()

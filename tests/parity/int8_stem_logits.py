#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--int8-stem on the parity nets: how far the logits move from PyTorch's.

    int8_stem_logits.py FAMILY [FAMILY ...] --bin build/bin [--size CxHxW] [--batch N] [--full]

Each family (tests/parity/models.py) gets random weights, is exported with
torch.onnx.export and converted twice, exactly and with --int8-stem (input
range from --calibration on the same inputs); both run on a batch of random
inputs beside PyTorch. Prints, per model, the largest logit difference from
PyTorch (absolute, and relative to 1 + max |logit| as parity.py reports it)
and how many inputs keep PyTorch's top-1. A measurement, not a test: the int8
stem is not exact by design (docs/numerics.md).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"{os.path.basename(command[0])} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result


def measure(family, bin_dir, size, batch, full, seed):
    c, h, w = (int(v) for v in size.split("x"))
    model = models.randomize(models.family(family, small=not full), seed)
    x = torch.randn(batch, c, h, w, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        want = model(x).numpy()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, in_path = os.path.join(tmp, "m.onnx"), os.path.join(tmp, "x.npy")
        torch.onnx.export(model, x[:1], onnx_path, opset_version=13, input_names=["image"], output_names=["logits"])
        np.save(in_path, x.numpy())
        for label, extra in (("exact", []), ("int8 stem", ["--int8-stem", "--calibration", in_path])):
            bnn_path, out_path = os.path.join(tmp, "m.bnn"), os.path.join(tmp, "y.npy")
            run([os.path.join(bin_dir, "bnn-convert"), onnx_path, "-o", bnn_path, *extra])
            run([os.path.join(bin_dir, "bnn-run"), "--model", bnn_path, "--input", in_path, "--output", out_path])
            got = np.load(out_path)
            err = float(np.abs(got - want).max())
            rows.append((label, err, err / (1 + float(np.abs(want).max())),
                         int((got.argmax(1) == want.argmax(1)).sum())))
    print(f"{family} ({'full' if full else 'narrow'} widths, {batch}x{size}):")
    for label, err, rel, same in rows:
        print(f"  {label:9s}  max |logit diff| {err:.3e}  relative {rel:.3e}  top-1 as PyTorch {same}/{batch}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("families", nargs="+", help="model families (tests/parity/models.py)")
    parser.add_argument("--bin", required=True, help="the directory holding bnn-convert and bnn-run")
    parser.add_argument("--size", default="3x32x32")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--full", action="store_true", help="ResNet widths 64..512 instead of narrow ones")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for family in args.families:
        measure(family, args.bin, args.size, args.batch, args.full, args.seed)


if __name__ == "__main__":
    main()

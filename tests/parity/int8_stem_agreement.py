#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--int8-stem against the exact model, image by image, on Fashion-MNIST's test set.

    int8_stem_agreement.py --bin build/bin [--limit N] [--calibration X.npy|DIR]

Converts the bundled model's ONNX twice with bnn-convert (exact, and with
--int8-stem: input range from the preprocessing, or from --calibration),
labels every test image with bnn-classify under each, and reports top-1
agreement with the exact model, both accuracies, and the largest logit
difference (bnn-run on the first 100 images as one .npy batch). Passes when
agreement is at least 99.5% (docs/numerics.md).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
from train_fashion import DATA_DIR, load_split, normalize  # noqa: E402

FASHION = os.path.join(ROOT, "models", "fashion")


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"{os.path.basename(command[0])} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result


def convert(bin_dir, out, extra):
    with open(os.path.join(FASHION, "bnn-convert.args")) as f:
        flags = f.read().split()
    return run([os.path.join(bin_dir, "bnn-convert"), os.path.join(FASHION, "fashion_bnn.onnx"), "-o", out,
                "--labels", os.path.join(FASHION, "labels.txt"), *flags, *extra]).stderr


def top1(bin_dir, model, folder):
    rows = [json.loads(line) for line in run([os.path.join(bin_dir, "bnn-classify"), "--model", model, "--json",
                                              folder]).stdout.splitlines()]
    return np.array([r["top"][0]["index"] for r in rows])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the directory holding bnn-convert, bnn-classify and bnn-run")
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--limit", type=int, default=0, help="only the first N test images")
    parser.add_argument("--calibration", help="passed to bnn-convert --calibration")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")):
        sys.exit(f"int8_stem_agreement.py: no test set in {args.data_dir} (apt-get install dataset-fashion-mnist)")
    images, labels = load_split(args.data_dir, "test")
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    n = len(images)
    labels = labels.numpy()
    with tempfile.TemporaryDirectory() as tmp:
        exact, int8 = os.path.join(tmp, "exact.bnn"), os.path.join(tmp, "int8.bnn")
        convert(args.bin, exact, [])
        extra = ["--int8-stem"] + (["--calibration", args.calibration] if args.calibration else [])
        note = convert(args.bin, int8, extra)
        print(next((line for line in note.splitlines() if "int8 stem" in line), note.strip()))
        pictures = os.path.join(tmp, "pictures")
        os.mkdir(pictures)
        for i in range(n):
            with open(os.path.join(pictures, f"{i:05d}.pgm"), "wb") as f:
                f.write(b"P5\n28 28\n255\n" + images[i].numpy().tobytes())
        exact_top1, int8_top1 = top1(args.bin, exact, pictures), top1(args.bin, int8, pictures)
        batch = os.path.join(tmp, "batch.npy")
        np.save(batch, normalize(images[:100]).numpy().astype(np.float32))
        logits = {}
        for name, model in (("exact", exact), ("int8", int8)):
            out = os.path.join(tmp, name + ".npy")
            run([os.path.join(args.bin, "bnn-run"), "--model", model, "--input", batch, "--output", out])
            logits[name] = np.load(out)
    if len(exact_top1) != n or len(int8_top1) != n:
        sys.exit(f"bnn-classify labelled {len(exact_top1)} and {len(int8_top1)} of {n} images")
    agreement = 100.0 * (exact_top1 == int8_top1).mean()
    exact_accuracy = 100.0 * (exact_top1 == labels).mean()
    int8_accuracy = 100.0 * (int8_top1 == labels).mean()
    logit_error = float(np.abs(logits["exact"] - logits["int8"]).max())
    logit_span = float(np.abs(logits["exact"]).max())
    print(f"{n} test images: top-1 agreement with the exact model {agreement:.2f}%; accuracy exact "
          f"{exact_accuracy:.2f}%, int8 stem {int8_accuracy:.2f}%")
    print(f"largest logit difference on 100 images {logit_error:.4g} (largest logit {logit_span:.4g})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"images": n, "top1_agreement": agreement, "exact_accuracy": exact_accuracy,
                       "int8_accuracy": int8_accuracy, "max_logit_difference": logit_error}, f, indent=1)
    ok = agreement >= 99.5
    print("PASS" if ok else "FAIL: needs top-1 agreement >= 99.5%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

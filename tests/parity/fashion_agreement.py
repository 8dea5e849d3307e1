#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The bundled model against PyTorch, image by image, on Fashion-MNIST's test set.

    fashion_agreement.py --bin build/bin [--limit N] [--model M.bnn]

Writes each test image as a PGM file, labels them all with bnn-classify (the
whole picture path: decoding, preprocessing, the engine) and compares with
the PyTorch model from models/fashion/fashion_bnn.pt run live. Passes when the
two accuracies differ by at most 0.05 points and the top-1 labels agree on at
least 99.9% of images; every disagreement is listed with PyTorch's logit
margin (top-1 minus top-2 logit: how close PyTorch itself was to a tie).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
from fashion_net import FashionNet  # noqa: E402
from train_fashion import DATA_DIR, load_split, normalize  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the directory holding bnn-classify")
    parser.add_argument("--model", help="a .bnn file (default: the one built into bnn-classify)")
    parser.add_argument("--weights", default=os.path.join(ROOT, "models", "fashion", "fashion_bnn.pt"))
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--limit", type=int, default=0, help="only the first N test images")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")):
        sys.exit(f"fashion_agreement.py: no test set in {args.data_dir} (apt-get install dataset-fashion-mnist)")

    images, labels = load_split(args.data_dir, "test")
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    n = len(images)

    model = FashionNet().set_mode("binary")
    model.load_state_dict(torch.load(args.weights))
    model.eval()
    with torch.no_grad():
        # Batches of 100: PyTorch 1.13 on 2 cores took 29 s per 2000 images in
        # batches of 1000 (activations past the caches), 2.5 s in batches of 100.
        logits = torch.cat([model(normalize(images[i:i + 100])) for i in range(0, n, 100)])
    torch_top1 = logits.argmax(1)
    top2 = logits.topk(2, dim=1).values
    margin = top2[:, 0] - top2[:, 1]

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            with open(os.path.join(tmp, f"{i:05d}.pgm"), "wb") as f:
                f.write(b"P5\n28 28\n255\n" + images[i].numpy().tobytes())
        command = [os.path.join(args.bin, "bnn-classify"), "--json", "--top", "10", tmp]
        if args.model:
            command[1:1] = ["--model", args.model]
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"bnn-classify failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    if len(rows) != n:
        sys.exit(f"bnn-classify labelled {len(rows)} of {n} images")

    engine_top1 = torch.tensor([r["top"][0]["index"] for r in rows])
    engine_probability = torch.zeros(n, logits.shape[1], dtype=torch.float64)
    for i, r in enumerate(rows):
        for t in r["top"]:
            engine_probability[i, t["index"]] = t["probability"]
    torch_probability = torch.softmax(logits.double(), dim=1)

    engine_accuracy = 100.0 * (engine_top1 == labels).sum().item() / n
    torch_accuracy = 100.0 * (torch_top1 == labels).sum().item() / n
    agree = (engine_top1 == torch_top1)
    agreement = 100.0 * agree.sum().item() / n
    max_probability_difference = (engine_probability - torch_probability).abs().max().item()
    inverted = sum(r["inverted"] for r in rows)
    print(f"{n} test images: engine {engine_accuracy:.2f}% top-1, PyTorch {torch_accuracy:.2f}%, "
          f"difference {abs(engine_accuracy - torch_accuracy):.2f} points")
    print(f"top-1 identical on {agree.sum().item()} of {n} images ({agreement:.2f}%); "
          f"largest probability difference {max_probability_difference:.2e}; {inverted} pictures inverted")
    disagreements = []
    for i in (~agree).nonzero().flatten().tolist():
        d = {"image": i, "label": int(labels[i]), "pytorch": int(torch_top1[i]), "engine": int(engine_top1[i]),
             "pytorch_margin": round(margin[i].item(), 6)}
        disagreements.append(d)
        print(f"  image {i}: true {d['label']}, PyTorch {d['pytorch']} (logit margin {d['pytorch_margin']:.2e}), "
              f"engine {d['engine']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"images": n, "engine_accuracy": engine_accuracy, "pytorch_accuracy": torch_accuracy,
                       "top1_agreement": agreement, "max_probability_difference": max_probability_difference,
                       "disagreements": disagreements}, f, indent=1)
    # PyTorch sees the test images as they are; none has a light border, so
    # the engine must not have inverted any (else the comparison is unfair).
    ok = abs(engine_accuracy - torch_accuracy) <= 0.05 and agreement >= 99.9 and inverted == 0
    print("PASS" if ok else "FAIL: needs accuracies within 0.05 points, top-1 agreement >= 99.9% and no inversion")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

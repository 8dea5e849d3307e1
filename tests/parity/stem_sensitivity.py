#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""How much may the bundled model's stem move before top-1 answers change?

    stem_sensitivity.py [--data-dir DIR] [--trials N]

In PyTorch, on Fashion-MNIST's 10 000 test images: the bundled model's top-1
with its stem convolution's weights perturbed (uniform noise, a fraction of
int8 per-channel rounding's half step), with them rounded to int8 as
`bnn-convert --int8-stem` rounds them, and with its input rounded to the
stem's uint8 codes. Agreement is with the unperturbed model. This bounds what
any int8 stem can reach on this model (docs/performance.md); a measurement,
not a test.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
from fashion_net import FashionNet, MEAN, STD  # noqa: E402
from train_fashion import DATA_DIR, load_split, normalize  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--trials", type=int, default=3, help="noise draws per level")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")):
        sys.exit(f"stem_sensitivity.py: no test set in {args.data_dir} (apt-get install dataset-fashion-mnist)")
    torch.set_num_threads(1)
    model = FashionNet()
    model.load_state_dict(torch.load(os.path.join(ROOT, "models", "fashion", "fashion_bnn.pt")))
    model.set_mode("binary").eval()
    images, labels = load_split(args.data_dir, "test")
    x = normalize(images)
    conv, bn = model.stem[0], model.stem[1]
    weights = conv.weight.detach().clone()

    def top1(inputs, stem_weights):
        with torch.no_grad():
            y = model.layers(bn(F.conv2d(inputs, stem_weights, None, conv.stride, conv.padding)))
            return model.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)).argmax(1)

    # converter/int8_stem.cc's rules: weights per output channel, max |w| / 127;
    # the input over the preprocessing's range, widened to 0, 255 steps.
    step = weights.abs().amax(dim=(1, 2, 3), keepdim=True) / 127
    lo, hi = min(0.0, -MEAN / STD), max(0.0, (1 - MEAN) / STD)
    scale = np.float32((hi - lo) / 255)
    zero_point = int(round(-lo / scale))
    int8_weights = torch.round(weights / step).clamp(-127, 127) * step
    uint8_input = torch.round(torch.clamp(x * (1 / scale), -zero_point, 255 - zero_point)) * scale

    exact = top1(x, weights)
    agree = lambda got: f"{100 * (got == exact).float().mean().item():.2f}%"  # noqa: E731
    print(f"exact model: accuracy {100 * (exact == labels).float().mean().item():.2f}%")
    print(f"int8 weights: agreement {agree(top1(x, int8_weights))}")
    print(f"uint8 input (scale {scale:.6g}, zero point {zero_point}): agreement {agree(top1(uint8_input, weights))}")
    print(f"both (what --int8-stem runs): agreement {agree(top1(uint8_input, int8_weights))}")
    generator = torch.Generator().manual_seed(0)
    for fraction in (0.5, 0.1, 0.02, 0.004, 0.001):
        results = []
        for _ in range(args.trials):
            noise = (torch.rand(weights.shape, generator=generator) * 2 - 1) * step * 0.5 * fraction
            results.append(agree(top1(x, weights + noise)))
        print(f"weights + noise up to {fraction} x int8's half step "
              f"({fraction * 0.5 / 127:.1e} of a channel's max |w|): agreement {', '.join(results)}")


if __name__ == "__main__":
    main()

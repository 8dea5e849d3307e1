#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Convert a binarized PyTorch model and check it against PyTorch.

This is the README's "Convert your PyTorch model" walk-through as one script
(CI runs it, so the README cannot rot):

    /usr/bin/python3 examples/convert_pytorch.py --bin build/bin

1. a Bi-Real-style binarized network, written the way people train it;
2. torch.onnx.export;
3. bnn-convert, then bnn-run on a batch;
4. the engine's output next to PyTorch's.
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Binarize(nn.Module):
    """Forward: x >= 0 -> +1, else -1 (exactly the engine's rule); backward: straight through."""

    def forward(self, x):
        return x + (torch.where(x >= 0, 1.0, -1.0) - x).detach()


class BinaryConv2d(nn.Conv2d):
    """Weights sign(W) * mean|W| per output channel; straight-through gradient."""

    def forward(self, x):
        scale = self.weight.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
        w = self.weight + (scale * torch.where(self.weight >= 0, 1.0, -1.0) - self.weight).detach()
        return F.conv2d(x, w, None, self.stride, self.padding)


class Block(nn.Module):
    """Bi-Real: binarize -> binary 3x3 conv -> batchnorm, plus a real-valued shortcut."""

    def __init__(self, channels):
        super().__init__()
        self.binarize = Binarize()
        self.conv = BinaryConv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return self.bn(self.conv(self.binarize(x))) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32))
        self.blocks = nn.Sequential(Block(32), nn.MaxPool2d(2), Block(32), Block(32))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="build/bin", help="where bnn-convert and bnn-run are")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = Net().eval()  # in practice: load your trained weights here
    with torch.no_grad():  # give batchnorm some statistics, as training would
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    images = torch.randn(4, 1, 28, 28)

    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, bnn_path = os.path.join(tmp, "net.onnx"), os.path.join(tmp, "net.bnn")
        in_path, out_path = os.path.join(tmp, "images.npy"), os.path.join(tmp, "logits.npy")
        # 2. Export: eval mode, a fixed input size.
        torch.onnx.export(model, images[:1], onnx_path, opset_version=13, input_names=["image"],
                          output_names=["logits"])
        # 3. Convert and run.
        subprocess.run([os.path.join(args.bin, "bnn-convert"), onnx_path, "-o", bnn_path, "--mean", "0.5",
                        "--std", "0.25", "--color", "grey"], check=True)
        np.save(in_path, images.numpy())
        subprocess.run([os.path.join(args.bin, "bnn-run"), "--model", bnn_path, "--input", in_path, "--output",
                        out_path], check=True)
        ours = np.load(out_path)

    # 4. Compare.
    with torch.no_grad():
        theirs = model(images).numpy()
    print("engine top-1: ", ours.argmax(1), "\nPyTorch top-1:", theirs.argmax(1))
    print(f"max |logit difference|: {np.abs(ours - theirs).max():.2e}")
    assert (ours.argmax(1) == theirs.argmax(1)).all() and np.abs(ours - theirs).max() < 1e-3


if __name__ == "__main__":
    main()

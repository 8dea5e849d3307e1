# SPDX-License-Identifier: Apache-2.0
"""The bundled model: a ReActNet-style binarized ResNet for 28x28 grey images.

Full-precision first conv and dense head; every 3x3 conv in between is binary
(weights sign(W) * mean|W| per output channel, activations RSign: x + b >= 0
-> +1), with a real-valued shortcut around each one (Bi-Real / ReActNet) and
RPReLU after the add. Downsampling shortcuts are AvgPool 2x2 + 1x1 real conv
+ batchnorm. Every binarizer's forward is `x >= 0 -> +1`, so the engine is
exact on it.

`mode` switches the same modules between the three training steps:
  "float"  float weights, float activations (the teacher)
  "act"    binary activations, float weights (step 1)
  "binary" binary activations and weights (step 2, the model we ship)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Fashion-MNIST's training-set pixel statistics, after x / 255.
MEAN, STD = 0.2860, 0.3530
# How bnn-convert stores the preprocessing: grey, fitted whole into 28x28,
# inverted when the background is light (Fashion-MNIST is light on black).
CONVERT_ARGS = ["--color", "grey", "--resize", "fit", "--invert", "--mean", f"{MEAN}", "--std", f"{STD}"]
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class RSign(nn.Module):
    """sign(x + b) with a learned per-channel threshold; straight-through
    gradient clipped to |x + b| <= 1. In "float" mode: a clipped identity."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.binary = True

    def forward(self, x):
        x = x + self.bias
        if not self.binary:
            return F.hardtanh(x)
        if not self.training:  # exactly +-1, the graph the converter reads
            return torch.where(x >= 0, 1.0, -1.0)
        clipped = F.hardtanh(x)
        return clipped + (torch.where(x >= 0, 1.0, -1.0) - clipped).detach()


class RPReLU(nn.Module):
    """prelu(x - shift_in) + shift_out, per channel (ReActNet)."""

    def __init__(self, channels):
        super().__init__()
        self.shift_in = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.prelu = nn.PReLU(channels, init=0.25)
        self.shift_out = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return self.prelu(x - self.shift_in) + self.shift_out


class BinConv2d(nn.Conv2d):
    """sign(W) * mean|W| per output channel, computed in the graph (the
    converter folds it); float weights when `binary` is off."""

    binary = True

    def forward(self, x):
        w = self.weight
        if self.binary:
            scale = w.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
            binary = scale * torch.where(w >= 0, 1.0, -1.0)
            w = binary if not self.training else w + (binary - w).detach()
        return F.conv2d(x, w, None, self.stride, self.padding)


class Block(nn.Module):
    """RSign -> binary 3x3 conv -> batchnorm -> + shortcut -> RPReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.sign = RSign(cin)
        self.conv = BinConv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        if stride == 1 and cin == cout:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True),
                                          nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.act = RPReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.conv(self.sign(x))) + self.shortcut(x))


class FashionNet(nn.Module):
    def __init__(self, widths=(32, 64, 128), blocks=(2, 3, 3), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]))
        layers, cin = [], widths[0]
        for stage, (count, cout) in enumerate(zip(blocks, widths)):
            for i in range(count):
                layers.append(Block(cin, cout, 2 if (i == 0 and stage > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def set_mode(self, mode):
        assert mode in ("float", "act", "binary")
        for m in self.modules():
            if isinstance(m, RSign):
                m.binary = mode != "float"
            elif isinstance(m, BinConv2d):
                m.binary = mode == "binary"
        return self

    def forward(self, x):
        x = self.layers(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))

# SPDX-License-Identifier: Apache-2.0
"""Binarized networks that are not ImageNet-style ResNets, written in the idioms
of their public training code (read there, written here in our own words):

- IR-Net's CIFAR ResNet-20: weights centred and standardised, a power-of-two
  scale, sign() of hardtanh'd activations, and the "option A" shortcut
  F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p)) that many CIFAR copies share;
- BinaryNet's CIFAR VGG: binary weights on the real-valued input of the first
  layer, max pooling between a conv and its batchnorm, conv biases added with
  bias.view(1, -1, 1, 1).expand_as(out), hardtanh, binarized fully connected
  layers (the first on the flattened image), a LogSoftmax head;
- ReActNet-A: the MobileNet-shaped network of the ReActNet paper, whose
  downsampling blocks run two binary 1x1 convs on one input and concatenate
  them, with learned shifts (x + bias.expand_as(x)) and RPReLU everywhere.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from models import ApproxSign, ExpandBias, SignSTE


# ---------------------------------------------------------------- IR-Net

class IRNetConv2d(nn.Conv2d):
    """IR-Net's binary conv: W centred and divided by its std per output channel,
    sign(W) times 2^round(log2(mean |W|)); sign() of the input."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.binarize_input = SignSTE()

    def forward(self, x):
        w = self.weight
        o = w.size(0)
        bw = w - w.view(o, -1).mean(-1).view(o, 1, 1, 1)
        bw = bw / bw.view(o, -1).std(-1).view(o, 1, 1, 1)
        exponent = (torch.log(bw.abs().view(o, -1).mean(-1)) / math.log(2)).round()
        sw = torch.pow(torch.tensor([2.0] * o), exponent).view(o, 1, 1, 1).detach()
        bw = bw + (torch.sign(bw) - bw).detach()
        return F.conv2d(self.binarize_input(x), bw * sw, self.bias, self.stride, self.padding)


class IRNetCifarBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = IRNetConv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = IRNetConv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if (stride != 1 or cin != cout) else None

    def shortcut(self, x):
        if self.pad is None:
            return x
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)

    def forward(self, x):
        out = F.hardtanh(self.bn1(self.conv1(x)) + self.shortcut(x))
        return F.hardtanh(self.bn2(self.conv2(out)) + out)


class IRNetCifarResNet20(nn.Module):
    def __init__(self, widths=(16, 32, 64), classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for stage, cout in enumerate(widths):
            for i in range(3):
                layers.append(IRNetCifarBlock(cin, cout, 2 if (i == 0 and stage > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.bn2 = nn.BatchNorm1d(cin)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = self.layers(F.hardtanh(self.bn1(self.conv1(x))))
        out = F.avg_pool2d(out, int(out.size()[3]))  # IR-Net passes out.size()[3], which torch.onnx's tracer makes a tensor
        out = out.view(out.size(0), -1)
        return self.linear(self.bn2(out))


# ---------------------------------------------------------------- BinaryNet

class BinaryNetConv2d(nn.Conv2d):
    """BinaryNet's BinarizeConv2d: sign() of W; sign() of the input except on
    the 3-channel image; the bias added with view(1, -1, 1, 1).expand_as(out)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.binarize_input = SignSTE()

    def forward(self, x):
        if x.size(1) != 3:
            x = self.binarize_input(x)
        w = self.weight + (torch.sign(self.weight) - self.weight).detach()
        out = F.conv2d(x, w, None, self.stride, self.padding)
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1).expand_as(out)
        return out


class BinaryNetLinear(nn.Linear):
    """BinaryNet's BinarizeLinear: sign() of W and of the input; the bias added with view(1, -1).expand_as(out)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.binarize_input = SignSTE()

    def forward(self, x):
        w = self.weight + (torch.sign(self.weight) - self.weight).detach()
        out = F.linear(self.binarize_input(x), w)
        if self.bias is not None:
            out = out + self.bias.view(1, -1).expand_as(out)
        return out


class BinaryNetVGG(nn.Module):
    """BinaryNet's vgg_cifar10_binary, narrowed: conv-(pool)-bn-hardtanh stacks, a float head."""

    def __init__(self, widths=(16, 32, 48), classes=10):
        super().__init__()
        a, b, c = widths
        self.features = nn.Sequential(
            BinaryNetConv2d(3, a, 3, 1, 1, bias=True), nn.BatchNorm2d(a), nn.Hardtanh(inplace=True),
            BinaryNetConv2d(a, a, 3, 1, 1, bias=True), nn.MaxPool2d(2, 2), nn.BatchNorm2d(a), nn.Hardtanh(inplace=True),
            BinaryNetConv2d(a, b, 3, 1, 1, bias=True), nn.BatchNorm2d(b), nn.Hardtanh(inplace=True),
            BinaryNetConv2d(b, b, 3, 1, 1, bias=True), nn.MaxPool2d(2, 2), nn.BatchNorm2d(b), nn.Hardtanh(inplace=True),
            BinaryNetConv2d(b, c, 3, 1, 1, bias=True), nn.MaxPool2d(2, 2), nn.BatchNorm2d(c), nn.Hardtanh(inplace=True))
        # Binarized fully connected layers: the first reads the flattened image.
        self.classifier = nn.Sequential(BinaryNetLinear(c * 4 * 4, 64, bias=True), nn.BatchNorm1d(64),
                                        nn.Hardtanh(inplace=True), BinaryNetLinear(64, classes, bias=True),
                                        nn.BatchNorm1d(classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(-1, x.size(1) * x.size(2) * x.size(3)))


# ---------------------------------------------------------------- ReActNet-A
# liuzechun/ReActNet mobilenet/2_step2/reactnet.py @ a6cd08d, with the names as
# published (feature.N, moveNN, binary_3x3, binary_pw or binary_pw_down1/2,
# prelu1/2, pool1, fc), so tests/parity/checkpoints.py saves the published
# state-dict layout from the same class. The widths scale with `base` (32 in
# the paper). `conv` makes the binary convs, `binarizer` the activation sign.

class ReActHardConv2d(nn.Conv2d):
    """ReActNet's HardBinaryConv with a 4-D weight: sign(W) scaled by mean |W| per
    output channel, the mean written as three nested means, as the repository does."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__(cin, cout, kernel, stride, padding, bias=False)

    def forward(self, x):
        w = self.weight
        scale = torch.mean(torch.mean(torch.mean(abs(w), dim=3, keepdim=True), dim=2, keepdim=True), dim=1,
                           keepdim=True).detach()
        bw = scale * torch.sign(w)
        bw = bw.detach() - torch.clamp(w, -1.0, 1.0).detach() + torch.clamp(w, -1.0, 1.0)
        return F.conv2d(x, bw, None, self.stride, self.padding)


class FirstConv3x3(nn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, oup, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(oup)

    def forward(self, x):
        return self.bn1(self.conv1(x))


class ReActNetABlock(nn.Module):
    """shift -> sign -> binary 3x3 -> bn (+ pooled input) -> RPReLU, then
    shift -> sign -> binary 1x1 -> bn (+ input), twice side by side and
    concatenated where the width doubles."""

    def __init__(self, cin, cout, stride, conv, binarizer):
        super().__init__()
        self.move11, self.binary_3x3 = ExpandBias(cin), conv(cin, cin, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cin)
        self.move12, self.prelu1, self.move13 = ExpandBias(cin), nn.PReLU(cin), ExpandBias(cin)
        self.move21 = ExpandBias(cin)
        if cin == cout:
            self.binary_pw, self.bn2 = conv(cin, cout, 1, 1, 0), nn.BatchNorm2d(cout)
        else:
            self.binary_pw_down1, self.binary_pw_down2 = conv(cin, cin, 1, 1, 0), conv(cin, cin, 1, 1, 0)
            self.bn2_1, self.bn2_2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cin)
        self.move22, self.prelu2, self.move23 = ExpandBias(cout), nn.PReLU(cout), ExpandBias(cout)
        self.binary_activation = binarizer()
        self.stride, self.cin, self.cout = stride, cin, cout
        if cin != cout:
            self.pooling = nn.AvgPool2d(2, 2)

    def forward(self, x):
        out1 = self.bn1(self.binary_3x3(self.binary_activation(self.move11(x))))
        if self.stride == 2:
            x = self.pooling(x)
        out1 = self.move13(self.prelu1(self.move12(x + out1)))
        out2 = self.binary_activation(self.move21(out1))
        if self.cin == self.cout:
            out2 = self.bn2(self.binary_pw(out2)) + out1
        else:
            out2_1 = self.bn2_1(self.binary_pw_down1(out2)) + out1
            out2_2 = self.bn2_2(self.binary_pw_down2(out2)) + out1
            out2 = torch.cat([out2_1, out2_2], dim=1)
        return self.move23(self.prelu2(self.move22(out2)))


class ReActNetA(nn.Module):
    """ReActNet-A's layout: a float 3x3 stem, 13 blocks (stride 2 where the width
    changes, except into the second stage's), average pool, float fc."""

    def __init__(self, base=8, classes=10, conv=ReActHardConv2d, binarizer=ApproxSign):
        super().__init__()
        channels = [base, 2 * base, 4 * base, 4 * base, 8 * base, 8 * base] + [16 * base] * 6 + [32 * base] * 2
        self.feature = nn.ModuleList([FirstConv3x3(3, base, 2)])
        for i in range(1, len(channels)):
            stride = 2 if channels[i - 1] != channels[i] and channels[i] != 2 * base else 1
            self.feature.append(ReActNetABlock(channels[i - 1], channels[i], stride, conv, binarizer))
        self.pool1 = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels[-1], classes)

    def forward(self, x):
        for block in self.feature:
            x = block(x)
        x = self.pool1(x)
        return self.fc(x.view(x.size(0), -1))

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the bundled example pictures to examples/images/ (run by hand).

From Fashion-MNIST's test set, which the model never trained on: for each
class, the first test image that the trained model labels correctly (a demo
set, chosen so; the model's accuracy over all 10k is in the README), as a
28x28 grey PNG named after its class. Plus one "photo": a test image as a
shop photo would show it, dark on a light background, 224x224 RGB JPEG,
which exercises the inversion and the resize.
"""
import argparse
import os
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_net import FashionNet, LABELS  # noqa: E402
from train_fashion import DATA_DIR, load_split, normalize  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def file_name(label):
    return label.lower().replace("/", "_").replace(" ", "_").replace("-", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(HERE, "..", "models", "fashion", "fashion_bnn.pt"))
    parser.add_argument("--out-dir", default=os.path.join(HERE, "..", "examples", "images"))
    parser.add_argument("--data-dir", default=DATA_DIR)
    args = parser.parse_args()

    model = FashionNet().set_mode("binary")
    model.load_state_dict(torch.load(args.model))
    model.eval()
    images, labels = load_split(args.data_dir, "test")
    with torch.no_grad():
        predicted = model(normalize(images)).argmax(1)
    os.makedirs(args.out_dir, exist_ok=True)
    for c, label in enumerate(LABELS):
        index = next(i for i in range(len(labels)) if labels[i] == c and predicted[i] == c)
        Image.fromarray(images[index].numpy()).save(os.path.join(args.out_dir, file_name(label) + ".png"))
        print(f"{file_name(label)}.png: test image {index}")
        if label == "Sneaker":
            photo = Image.fromarray(255 - images[index].numpy()).resize((224, 224), Image.BILINEAR).convert("RGB")
            photo.save(os.path.join(args.out_dir, "sneaker_photo.jpg"), quality=90)
            print(f"sneaker_photo.jpg: test image {index}, inverted, 224x224 RGB")


if __name__ == "__main__":
    main()

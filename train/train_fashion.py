#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains the bundled model: a binarized ResNet on Fashion-MNIST.

    /usr/bin/python3 train/train_fashion.py            # the full run (see docs/training.md)
    /usr/bin/python3 train/train_fashion.py --smoke    # a few steps on a subset (CI)

Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
Three steps, each starting from the last one's weights, as in ReActNet:
  1. a float teacher: the same network with float weights and activations;
  2. binary activations, float weights, distilled from the teacher;
  3. binary activations and weights, distilled from the teacher.
Adam with a learning rate decaying linearly to zero in every step; random
shifts and horizontal flips. Fixed seeds; prints the test accuracy after each
epoch and writes, to --out-dir: the binary model's state dict and ONNX export,
the labels, and training_log.json (accuracy and time per epoch).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_net import CONVERT_ARGS, FashionNet, LABELS, MEAN, STD  # noqa: E402

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (gzip): big-endian magic, dims, then uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {array.size} bytes of data for dims {dims}")
    return array.reshape(dims)


def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def normalize(pixels):
    """uint8 [N, 28, 28] -> float [N, 1, 28, 28], as (x / 255 - mean) / std in
    float32: the same operations, in the same order, as the engine's
    preprocessing, so both see bit-identical inputs."""
    x = pixels.unsqueeze(1).float().div(255)
    return x.sub(MEAN).div(STD)


def augment(pixels, generator):
    """Random shifts by up to 2 pixels (zero = background padding) and horizontal flips."""
    n = pixels.shape[0]
    padded = F.pad(pixels, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=generator)
    dx = torch.randint(0, 5, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28))[:, :, None]
    cols = (dx[:, None] + torch.arange(28))[:, None, :]
    shifted = padded[torch.arange(n)[:, None, None], rows, cols]
    flip = torch.rand(n, generator=generator) < 0.5
    shifted[flip] = shifted[flip].flip(-1)
    return shifted


def evaluate(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            correct += (model(normalize(images[i:i + batch])).argmax(1) == labels[i:i + batch]).sum().item()
    return 100.0 * correct / len(images)


def train_step(name, model, teacher, train, test, epochs, lr, batch, generator, log, max_steps=None):
    """Trains `model` for `epochs`; distils from `teacher` when given."""
    images, labels = train
    params_decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    params_other = [p for n, p in model.named_parameters() if p.dim() <= 1]
    # Weight decay on the float teacher's weights only: it would pull the
    # latent weights of binary convs towards zero, where their signs flip.
    decay = 5e-5 if teacher is None else 0.0
    optimizer = torch.optim.Adam([{"params": params_decay, "weight_decay": decay},
                                  {"params": params_other, "weight_decay": 0.0}], lr=lr)
    steps_per_epoch = (len(images) + batch - 1) // batch
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / total))
    step = 0
    for epoch in range(epochs):
        model.train()
        start = time.time()
        order = torch.randperm(len(images), generator=generator)
        running = 0.0
        for i in range(0, len(images), batch):
            if step >= total:
                break
            idx = order[i:i + batch]
            x = normalize(augment(images[idx], generator))
            logits = model(x)
            loss = F.cross_entropy(logits, labels[idx])
            if teacher is not None:
                with torch.no_grad():
                    target = F.softmax(teacher(x), dim=1)
                kd = F.kl_div(F.log_softmax(logits, dim=1), target, reduction="batchmean")
                loss = 0.5 * loss + 0.5 * kd
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            running += loss.item()
            step += 1
        seconds = time.time() - start
        accuracy = evaluate(model, *test)
        log.append({"step": name, "epoch": epoch + 1, "seconds": round(seconds, 1),
                    "test_accuracy": round(accuracy, 2), "loss": round(running / max(1, steps_per_epoch), 4)})
        print(f"[{name}] epoch {epoch + 1}/{epochs}: loss {running / max(1, steps_per_epoch):.4f}, "
              f"test accuracy {accuracy:.2f}%, {seconds:.0f} s", flush=True)
        if step >= total:
            break
    return log[-1]["test_accuracy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "fashion"))
    parser.add_argument("--epochs", default="4,6,11", help="epochs of the teacher, step 1 and step 2")
    parser.add_argument("--lr", default="2e-3,1e-3,5e-4", help="initial learning rates of the three steps")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a few steps on 512 images: checks the script runs")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        if not os.path.exists(os.path.join(args.data_dir, name)):
            sys.exit(f"train_fashion.py: {args.data_dir}/{name} not found (apt-get install dataset-fashion-mnist)")
    train, test = load_split(args.data_dir, "train"), load_split(args.data_dir, "test")
    epochs = [int(e) for e in args.epochs.split(",")]
    lrs = [float(r) for r in args.lr.split(",")]
    max_steps = None
    if args.smoke:
        train = (train[0][:512], train[1][:512])
        test = (test[0][:256], test[1][:256])
        epochs, max_steps = [1, 1, 1], 3
    print(f"train {len(train[0])} images, test {len(test[0])}, {args.threads} threads, epochs {epochs}", flush=True)

    began = time.time()
    log = []
    model = FashionNet().set_mode("float")
    teacher_accuracy = train_step("teacher", model, None, train, test, epochs[0], lrs[0], args.batch, generator, log,
                                  max_steps)
    teacher = FashionNet().set_mode("float")
    teacher.load_state_dict(model.state_dict())
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    model.set_mode("act")
    train_step("binary-act", model, teacher, train, test, epochs[1], lrs[1], args.batch, generator, log, max_steps)
    model.set_mode("binary")
    accuracy = train_step("binary", model, teacher, train, test, epochs[2], lrs[2], args.batch, generator, log,
                          max_steps)
    minutes = (time.time() - began) / 60

    os.makedirs(args.out_dir, exist_ok=True)
    model.eval()
    torch.save(model.state_dict(), os.path.join(args.out_dir, "fashion_bnn.pt"))
    torch.onnx.export(model, normalize(test[0][:1]), os.path.join(args.out_dir, "fashion_bnn.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13)
    with open(os.path.join(args.out_dir, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    # How a picture becomes this model's input, for bnn-convert (the build reads
    # this file): one argument per line.
    with open(os.path.join(args.out_dir, "bnn-convert.args"), "w") as f:
        f.write("\n".join(CONVERT_ARGS) + "\n")
    float_bytes = sum(p.numel() * 4 for p in model.state_dict().values() if p.dtype == torch.float32)
    summary = {"teacher_test_accuracy": teacher_accuracy, "binary_test_accuracy": accuracy,
               "minutes": round(minutes, 1), "threads": args.threads, "epochs": epochs, "learning_rates": lrs,
               "batch": args.batch, "seed": args.seed, "float_state_dict_bytes": float_bytes,
               "train_images": len(train[0]), "test_images": len(test[0]),
               "torch": torch.__version__, "smoke": args.smoke, "epochs_log": log}
    with open(os.path.join(args.out_dir, "training_log.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"teacher (float) {teacher_accuracy:.2f}%, binary {accuracy:.2f}% top-1 on {len(test[0])} test images; "
          f"{minutes:.1f} min; wrote {args.out_dir}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the accuracy/time curve of a training run as a Markdown table.

    /usr/bin/python3 train/report.py [models/fashion/training_log.json]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "models", "fashion", "training_log.json")
    log = json.load(open(path))
    print("| step | epoch | seconds | elapsed minutes | loss | test top-1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    elapsed = 0.0
    for e in log["epochs_log"]:
        elapsed += e["seconds"] / 60
        print(f"| {e['step']} | {e['epoch']} | {e['seconds']:.0f} | {elapsed:.1f} | {e['loss']:.4f} | "
              f"{e['test_accuracy']:.2f}% |")
    print()
    print(f"Float teacher {log['teacher_test_accuracy']:.2f}%, binarized model {log['binary_test_accuracy']:.2f}% "
          f"top-1 on {log.get('test_images', 10000):,} test images; {log['minutes']} minutes on {log['threads']} threads "
          f"(epochs {log['epochs']}, learning rates {log['learning_rates']}, batch {log['batch']}, seed {log['seed']}, "
          f"PyTorch {log['torch']}).")


if __name__ == "__main__":
    main()

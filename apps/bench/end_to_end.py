#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, side by side in one run: the engine on Bi-Real-Net-18 (224x224,
batch 1, full widths) against PyTorch fp32 and, with --ort, ONNX Runtime fp32
on a standard ResNet-18 of the same shape, at the same thread count. A
benchmark, not a test.

usage: end_to_end.py --bin build/bin [--threads 1,2] [--runs 30] [--ort DIR] [--int8-stem] [--tune SECONDS]

--ort DIR: a directory where `npm install --ignore-scripts onnxruntime-node`
was run. ONNX Runtime then runs the fp32 ResNet-18 exported at opset 13 with
graph optimisation 'all', intra-op threads = ours, 5 warm-up runs and the
median of 21, between our runs in the same process sequence.

--int8-stem: also the same model converted with bnn-convert --int8-stem
(calibrated on the benchmark's input), in its own columns.

--tune SECONDS: also the model tuned on this machine by bnn-tune (at each
thread count, with that time budget), in its own columns; tuned and untuned
outputs are identical.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
import models  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = models.downsample(cin, cout, stride, "conv")

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


# ONNX Runtime through its Node binding: argv model threads; prints the median ms.
ORT_DRIVER = r"""
const ort = require('onnxruntime-node');
(async () => {
  const [model, threads] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential'});
  const input = new ort.Tensor('float32', Float32Array.from({length: 3 * 224 * 224}, () => Math.random() - 0.5),
                               [1, 3, 224, 224]);
  const feeds = {[session.inputNames[0]]: input};
  for (let i = 0; i < 5; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < 21; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(times[10].toFixed(3));
})();
"""


def ort_ms(ort_dir, onnx_path, threads):
    driver = os.path.join(ort_dir, "bnn_ort_driver.js")
    with open(driver, "w") as f:
        f.write(ORT_DRIVER)
    out = subprocess.run(["node", driver, onnx_path, str(threads)], check=True, capture_output=True, text=True,
                         cwd=ort_dir).stdout
    return float(out.strip().splitlines()[-1])


def median_ms(fn, runs):
    fn()
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="build/bin")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--ort", help="directory with node_modules/onnxruntime-node")
    p.add_argument("--int8-stem", action="store_true", help="also time the model converted with --int8-stem")
    p.add_argument("--tune", type=int, metavar="SECONDS", help="also time the model tuned by bnn-tune with this budget")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure every contender this many times, alternating; report each one's median round")
    args = p.parse_args()
    if args.rounds < 1:
        p.error("--rounds must be at least 1")

    binary = models.randomize(models.family("bireal-resnet18", small=False), 1)
    fp32 = models.randomize(models.ResNet(BasicBlock, [2, 2, 2, 2], [64, 128, 256, 512], classes=1000), 2)
    x = torch.randn(1, 3, 224, 224)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, bnn_path = os.path.join(tmp, "bireal18.onnx"), os.path.join(tmp, "bireal18.bnn")
        torch.onnx.export(binary, x, onnx_path, opset_version=13)
        fp32_path = os.path.join(tmp, "resnet18_fp32.onnx")
        if args.ort:
            torch.onnx.export(fp32, x, fp32_path, opset_version=13)
        subprocess.run([os.path.join(args.bin, "bnn-convert"), onnx_path, "-o", bnn_path], check=True,
                       capture_output=True)
        int8_path = os.path.join(tmp, "bireal18.int8.bnn")
        if args.int8_stem:
            calibration = os.path.join(tmp, "calibration.npy")
            with open(calibration, "wb") as f:  # .npy version 1 of float32 C order, without numpy
                header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }"
                header += " " * (-(10 + len(header) + 1) % 64) + "\n"
                f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
                f.write(x.numpy().astype("<f4").tobytes())
            subprocess.run([os.path.join(args.bin, "bnn-convert"), onnx_path, "-o", int8_path, "--int8-stem",
                            "--calibration", calibration], check=True, capture_output=True)
        print(f"{'threads':>7} {'bnn Bi-Real-18 ms':>18} {'PyTorch fp32 ResNet-18 ms':>26} {'PyTorch Bi-Real-18 ms':>22} "
              f"{'speedup vs fp32':>16}" + (f" {'ORT fp32 ResNet-18 ms':>22} {'speedup vs ORT':>15}" if args.ort else "")
              + (f" {'bnn int8 stem ms':>17}" + (f" {'int8 vs ORT':>12}" if args.ort else "") if args.int8_stem else "")
              + (f" {'bnn tuned ms':>13}" + (f" {'tuned vs ORT':>13}" if args.ort else "") if args.tune else ""))

        def bench(model, threads):
            out = subprocess.run([os.path.join(args.bin, "bnn-bench"), "--model", model, "--threads", str(threads),
                                  "--json"], check=True, capture_output=True, text=True).stdout
            return next(json.loads(line) for line in out.splitlines() if '"mode": "model"' in line)["median_ms"]

        for threads in (int(t) for t in args.threads.split(",")):
            tuned_path = None
            if args.tune:
                tuned_path = os.path.join(tmp, f"bireal18.tuned{threads}.bnn")
                subprocess.run([os.path.join(args.bin, "bnn-tune"), bnn_path, "-o", tuned_path, "--threads", str(threads),
                                "--budget-seconds", str(args.tune)], check=True, capture_output=True)
            # Rounds alternate every contender, so a slow phase of a shared
            # machine falls on all of them; each column is its median round.
            rounds = {"ours": [], "int8": [], "tuned": [], "theirs": [], "emulated": [], "ort": []}
            for _ in range(args.rounds):
                rounds["ours"].append(bench(bnn_path, threads))
                if args.int8_stem:
                    rounds["int8"].append(bench(int8_path, threads))
                if tuned_path:
                    rounds["tuned"].append(bench(tuned_path, threads))
                torch.set_num_threads(threads)
                with torch.no_grad():
                    rounds["theirs"].append(median_ms(lambda: fp32(x), args.runs))
                    rounds["emulated"].append(median_ms(lambda: binary(x), args.runs))
                if args.ort:
                    rounds["ort"].append(ort_ms(args.ort, fp32_path, threads))
            mid = {k: statistics.median(v) if v else None for k, v in rounds.items()}
            ours, int8, tuned, theirs, ort = mid["ours"], mid["int8"], mid["tuned"], mid["theirs"], mid["ort"]
            line = f"{threads:>7} {ours:>18.2f} {theirs:>26.2f} {mid['emulated']:>22.2f} {theirs / ours:>15.1f}x"
            if args.ort:
                line += f" {ort:>22.2f} {ort / ours:>14.1f}x"
            if int8 is not None:
                line += f" {int8:>17.2f}" + (f" {ort / int8:>11.1f}x" if args.ort else "")
            if tuned is not None:
                line += f" {tuned:>13.2f}" + (f" {ort / tuned:>12.1f}x" if args.ort else "")
            print(line, flush=True)
            if args.rounds > 1:
                print("        rounds (ms): " + "; ".join(f"{k} " + " ".join(f"{t:.2f}" for t in v)
                                                      for k, v in rounds.items() if v), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile checkpoints: bnn-convert must refuse or ignore them with a clear
message and never run any of their code.

    checkpoint_security.py --bin build/bin

Each case writes a file, runs `bnn-convert FILE --arch bireal18 --input
3x64x64` (or --inspect) and checks the exit status and the message. A canary
file that every payload would create proves that nothing ran.
"""
import argparse
import collections
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkpoints  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


class Payload:
    """Unpickling this runs os.system (posix.system on Linux)."""

    def __init__(self, canary):
        self.canary = canary

    def __reduce__(self):
        return (os.system, (f"touch {self.canary}",))


class NumpyArrayLike:
    """Pickles as a call of numpy's array reconstructor: a global not on the allow-list."""

    def __reduce__(self):
        import numpy
        return (numpy.core.multiarray._reconstruct, (numpy.ndarray, (0,), b"b"))


def rewrite_zip(source, target, change):
    """Copies a torch.save zip, letting `change(name, data)` return new bytes
    for an entry (stored, with a correct CRC) or None to drop it."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    convert = os.path.join(args.bin, "bnn-convert")
    model = checkpoints.randomize(checkpoints.ARCHS["bireal18"]([16, 24, 40, 72], 10), seed=3)
    state = model.state_dict()

    with tempfile.TemporaryDirectory() as tmp:
        canary = os.path.join(tmp, "CODE_RAN")

        def path(name):
            return os.path.join(tmp, name)

        def run(*extra, arch=True):
            command = [convert, *extra] + (["--arch", "bireal18", "--input", "3x64x64", "-o", path("out.bnn")] if arch else [])
            return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)

        # 1. A payload in place of a tensor the preset needs.
        evil = collections.OrderedDict(state)
        evil["fc.weight"] = Payload(canary)
        torch.save(evil, path("payload_needed.pt"))
        r = run(path("payload_needed.pt"))
        check(r.returncode == 1 and "'fc.weight'" in r.stderr and "posix.system" in r.stderr and "byte " in r.stderr,
              f"a payload in a needed tensor is refused naming posix.system and its offset: {r.stderr.strip()}")

        # 2. A payload in an entry nobody needs: converted, with a warning naming it.
        torch.save({"state_dict": state, "on_load": Payload(canary)}, path("payload_unneeded.pt"))
        r = run(path("payload_unneeded.pt"))
        check(r.returncode == 0 and "ignored 'on_load' (uses posix.system, byte" in r.stderr,
              f"a payload in an unneeded entry is ignored with a warning: {r.stderr.strip().splitlines()[:1]}")

        # 3. An unknown global making a tensor (numpy's reconstructor).
        odd = collections.OrderedDict(state)
        odd["bn1.bias"] = NumpyArrayLike()
        torch.save(odd, path("numpy_global.pt"))
        r = run(path("numpy_global.pt"))
        check(r.returncode == 1 and "numpy.core.multiarray._reconstruct" in r.stderr and "allow-list" in r.stderr,
              f"an unknown global is named: {r.stderr.strip()}")

        # 4. A forbidden opcode (OBJ calls os.system directly) in data.pkl.
        torch.save(state, path("good.pt"))
        inst = b"\x80\x02(cos\nsystem\nX\x04\x00\x00\x00trueo."  # OBJ
        rewrite_zip(path("good.pt"), path("opcode.pt"), lambda n, d: inst if n.endswith("data.pkl") else d)
        r = run(path("opcode.pt"))
        check(r.returncode == 1 and "byte 23: opcode OBJ (0x6f) is not allowed" in r.stderr,
              f"a forbidden opcode is refused by name and offset: {r.stderr.strip()}")

        # 5. A truncated file, and a flipped byte in a storage (its CRC no longer matches).
        good = open(path("good.pt"), "rb").read()
        open(path("truncated.pt"), "wb").write(good[:len(good) // 2])
        r = run(path("truncated.pt"))
        check(r.returncode == 1 and "not a valid zip archive" in r.stderr, f"a truncated file: {r.stderr.strip()}")
        with zipfile.ZipFile(path("good.pt")) as z:
            storage = next(i for i in z.infolist() if "/data/" in i.filename)
        flipped = bytearray(good)
        local = storage.header_offset  # the local header's own name and extra lengths (torch pads the extra)
        data_start = local + 30 + int.from_bytes(good[local + 26:local + 28], "little") + \
            int.from_bytes(good[local + 28:local + 30], "little")
        flipped[data_start + 5] ^= 0x40
        open(path("flipped.pt"), "wb").write(bytes(flipped))
        r = run(path("flipped.pt"))
        check(r.returncode == 1 and "fails its CRC-32 check" in r.stderr, f"a flipped storage byte: {r.stderr.strip()}")

        # 6. A storage shorter than the tensor that views it (CRC made right).
        rewrite_zip(path("good.pt"), path("short.pt"),
                    lambda n, d: d[:len(d) // 2] if n == storage.filename else d)
        r = run(path("short.pt"))
        check(r.returncode == 1 and "more elements than its storage of 1176" in r.stderr,
              f"a storage shorter than its view: {r.stderr.strip()}")
        # A view reaching past its storage with no more elements than it holds (stride 2 over a halved storage).
        strided = collections.OrderedDict(state)
        strided["fc.bias"] = torch.zeros(20)[::2]
        torch.save(strided, path("strided.pt"))
        # fc.bias is the last tensor saved, so its storage is the last key: cut it to 10 floats.
        rewrite_zip(path("strided.pt"), path("strided_short.pt"),
                    lambda n, d: d[:40] if n.endswith("/data/" + str(len(state) - 1)) else d)
        r = run(path("strided_short.pt"))
        check(r.returncode == 1 and "reaches element 18 of a storage of 10" in r.stderr,
              f"a strided view past its storage: {r.stderr.strip()}")

        # 7. Absurd sizes: a tensor claiming 2^40 elements; a safetensors header claiming a terabyte.
        # fc.bias has size (10,), pickled as BININT1 10, TUPLE1: make it (2^40,).
        def patched(name, data):
            if not name.endswith("data.pkl"):
                return data
            assert b"K\x0a\x85" in data
            return data.replace(b"K\x0a\x85", b"\x8a\x06\x00\x00\x00\x00\x00\x01\x85", 1)
        rewrite_zip(path("good.pt"), path("huge.pt"), patched)
        r = run(path("huge.pt"))
        check(r.returncode == 1 and "size >= 0 and <= 2^28" in r.stderr, f"a tensor claiming 2^40 elements: {r.stderr.strip()}")
        with open(path("terabyte.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", 1 << 40) + b'{"a": {}}')
        r = run(path("terabyte.safetensors"))
        check(r.returncode == 1 and "kMaxSafetensorsHeaderBytes" in r.stderr, f"a header claiming 1 TB: {r.stderr.strip()}")
        header = json.dumps({"x": {"dtype": "F32", "shape": [1 << 30, 1 << 30], "data_offsets": [0, 4]}}).encode()
        with open(path("huge_shape.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 4)
        r = run("--inspect", path("huge_shape.safetensors"), arch=False)
        check(r.returncode == 1 and "kMaxOnnxConstantElements" in r.stderr, f"a shape of 2^60 elements: {r.stderr.strip()}")
        header = json.dumps({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
        with open(path("overlap.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 12)
        r = run("--inspect", path("overlap.safetensors"), arch=False)
        check(r.returncode == 1 and "tensors 'x' [0, 8) and 'y' [4, 12) share bytes" in r.stderr,
              f"overlapping safetensors ranges are named: {r.stderr.strip()}")
        # A pickle sharing one tuple 2^70 ways through the memo (t = (t, t), 70 times) is walked once per value.
        # {"state_dict": {}, "extra": t70} where t0 = 1 and t(i+1) = (ti, ti), each ti put in and got from the memo.
        shared = b"\x80\x02}q\x00(X\x0a\x00\x00\x00state_dict}X\x05\x00\x00\x00extraK\x01" + b"".join(
            [b"q" + bytes([i]) + b"h" + bytes([i]) + b"\x86" for i in range(1, 71)]) + b"u."
        bomb = {"state_dict": state, "x": 1}
        torch.save(bomb, path("memo_bomb_src.pt"))
        rewrite_zip(path("memo_bomb_src.pt"), path("memo_bomb.pt"),
                    lambda n, d: d if not n.endswith("data.pkl") else shared)
        r = run("--inspect", path("memo_bomb.pt"), arch=False)
        check(r.returncode == 0 and "nested too deeply to check" in r.stderr,
              f"a memo-shared pickle graph is walked in bounded time: {r.stderr.strip()[:200]}")
        # The pre-1.6 (non-zip) torch.save format is named, with what to do.
        torch.save(state, path("legacy.pt"), _use_new_zipfile_serialization=False)
        r = run(path("legacy.pt"))
        check(r.returncode == 1 and "legacy format" in r.stderr, f"a legacy torch.save file: {r.stderr.strip()}")

        # 8. A checkpoint that does not fit the preset: missing, extra, misshapen key.
        missing = collections.OrderedDict(state)
        del missing["layer2.0.bn1.running_var"]
        torch.save(missing, path("missing.pt"))
        r = run(path("missing.pt"))
        check(r.returncode == 1 and "no 'layer2.0.bn1.running_var' (expected shape 24)" in r.stderr,
              f"a missing key is named with its shape: {r.stderr.strip()}")
        extra = collections.OrderedDict(state)
        extra["fc2.weight"] = torch.zeros(3, 3)
        torch.save(extra, path("extra.pt"))
        r = run(path("extra.pt"))
        check(r.returncode == 1 and "'fc2.weight' (shape 3x3)" in r.stderr, f"an extra key is named: {r.stderr.strip()}")
        wrong = collections.OrderedDict(state)
        wrong["layer1.1.binary_conv.weights"] = torch.zeros(10, 1)
        torch.save(wrong, path("wrong.pt"))
        r = run(path("wrong.pt"))
        check(r.returncode == 1 and "'layer1.1.binary_conv.weights' has shape 10x1, expected 2304x1" in r.stderr,
              f"a misshapen key gets both shapes: {r.stderr.strip()}")

        # 9. A whole model saved (torch.save(model)) instead of its state dict.
        torch.save(model, path("whole_model.pt"))
        r = run(path("whole_model.pt"))
        check(r.returncode == 1 and "not a state dict" in r.stderr, f"a pickled model, not a state dict: {r.stderr.strip()}")

        check(not os.path.exists(canary), "no payload ran (the canary file was never created)")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bnn-classify from the outside: every bundled example gets its label, broken
files get their own error while the rest are still labelled, flags and exit
codes behave as --help says.

    classify_test.py --bin build/bin --examples examples/images
"""
import argparse
import io
import json
import re
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from PIL import Image, ImageOps

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def expected_label(path):
    stem = os.path.splitext(os.path.basename(path))[0].replace("_photo", "")
    for label in LABELS:
        if label.lower().replace("/", "_").replace(" ", "_").replace("-", "") == stem:
            return label
    raise ValueError(f"{path}: no class in its name")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--examples", required=True)
    args = parser.parse_args()
    tool = os.path.join(args.bin, "bnn-classify")

    examples = sorted(os.path.join(args.examples, f) for f in os.listdir(args.examples)
                      if f.endswith((".png", ".jpg")))
    check(len(examples) >= 10, f"{len(examples)} bundled examples, at least one per class")

    # Each example alone, in text and JSON.
    for path in examples:
        r = run(tool, path)
        want = expected_label(path)
        check(r.returncode == 0 and r.stdout.startswith(f"{path}: {want} "),
              f"{os.path.basename(path)} -> {want}: {r.stdout.strip() or r.stderr.strip()}")
    # A directory: one JSON object per picture, sorted, every label right.
    r = run(tool, "--json", "--top", "10", args.examples)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    check(r.returncode == 0 and [d["file"] for d in lines] == examples, "a directory: one JSON line per picture, sorted")
    for d in lines:
        probabilities = [t["probability"] for t in d["top"]]
        check(d["top"][0]["label"] == expected_label(d["file"]) and len(d["top"]) == 10 and
              abs(sum(probabilities) - 1) < 1e-4 and probabilities == sorted(probabilities, reverse=True) and
              {"inverted", "decode_ms", "preprocess_ms", "inference_ms"} <= d.keys(),
              f"JSON for {os.path.basename(d['file'])}: top-10 sums to 1, sorted, all fields")
        check(d["inverted"] == d["file"].endswith("_photo.jpg"), f"{os.path.basename(d['file'])}: inverted only if light")

    with tempfile.TemporaryDirectory() as tmp:
        def path(name):
            return os.path.join(tmp, name)
        grey = np.array(Image.open(examples[0]))
        open(path("empty.png"), "wb").close()
        jpeg = io.BytesIO()
        Image.fromarray(grey).resize((200, 200)).save(jpeg, "JPEG", quality=90)
        with open(path("truncated.jpg"), "wb") as f:
            f.write(jpeg.getvalue()[:len(jpeg.getvalue()) // 2])
        with open(path("notes.png"), "w") as f:
            f.write("this is a text file, not a picture\n")
        Image.fromarray(np.full((1, 1), 200, np.uint8)).save(path("one_pixel.png"))
        # A valid PNG signature and IHDR claiming 100000 x 100000 pixels, then nothing.
        with open(path("huge.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)))
        # A 28x28 PNG whose 200 KB of compressed data inflate to 200 MiB.
        with open(path("bomb.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) +
                    png_chunk(b"IDAT", zlib.compress(b"\0" * (200 << 20), 9)) + png_chunk(b"IEND", b""))
        # A valid PNG with one byte of its pixel data flipped: only the CRC tells.
        png = bytearray(open(examples[0], "rb").read())
        idat = png.index(b"IDAT")
        png[idat + 10] ^= 0x01
        with open(path("bad_crc.png"), "wb") as f:
            f.write(png)
        Image.fromarray(grey.astype(np.uint16) * 257).save(path("sixteen_bit.png"))
        check(Image.open(path("sixteen_bit.png")).mode.startswith("I"), "the 16-bit PNG is 16-bit")
        os.mkdir(path("no_pictures"))

        files = [path(n) for n in ("empty.png", "truncated.jpg", "notes.png", "one_pixel.png", "huge.png", "bomb.png",
                                   "bad_crc.png", "sixteen_bit.png", "no_pictures", "missing.png")] + [examples[0]]
        r = run(tool, "--json", *files)
        out = {d["file"]: d for d in map(json.loads, r.stdout.splitlines())}
        check(r.returncode == 1, f"broken files: exit status 1 (got {r.returncode})")
        check(list(out) == files, "broken files: one JSON line each, in order")
        expect_error = {"empty.png": "empty file", "truncated.jpg": "truncated", "notes.png": "not a JPEG, PNG",
                        "huge.png": "kMaxImageDimension", "no_pictures": "no pictures", "missing.png": "cannot open",
                        "bomb.png": "decompresses to more than", "bad_crc.png": "fails its CRC"}
        for name, words in expect_error.items():
            d = out.get(path(name), {})
            check(words in d.get("error", ""), f"{name}: error mentions '{words}': {d.get('error')}")
        check("top" in out.get(path("one_pixel.png"), {}), "a 1x1 picture is labelled")
        check(out.get(path("sixteen_bit.png"), {}).get("top", [{}])[0].get("label") == expected_label(examples[0]),
              "a 16-bit PNG gets the label of its 8-bit original")
        check(out.get(examples[0], {}).get("top", [{}])[0].get("label") == expected_label(examples[0]),
              "the good picture after the broken ones is still labelled")
        r = run(tool, *files)
        check(r.returncode == 1 and "7 of 10 pictures could not be labelled" in r.stderr and
              r.stderr.count("bnn-classify: ") == 9, "text mode: an error line per broken file and a summary on stderr")
        r = run(tool, path("no_pictures"))
        check(r.returncode == 1 and "no pictures in this directory" in r.stderr and "could not be labelled" not in r.stderr,
              f"an empty folder says so, and nothing of pictures not labelled: {r.stderr.strip()}")

        # Regression: a JPEG whose Huffman table defines 412 codes (stb 2.27 overflows; found by fuzz_image).
        regress = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus", "image",
                               "regress_huffman_257.jpg")
        r = run(tool, regress)
        check(r.returncode == 1 and "Huffman table defines 412 codes" in r.stderr,
              f"a JPEG with an oversized Huffman table is refused: {r.stderr.strip()}")
        # Regression: the same behind 0xFF fill bytes before the start-of-image marker (found by fuzz_image in CI).
        r = run(tool, os.path.join(os.path.dirname(regress), "regress_huffman_fill_bytes.jpg"))
        check(r.returncode == 1 and "Huffman table defines 507 codes" in r.stderr,
              f"a JPEG with fill bytes before its SOI and an oversized Huffman table is refused: {r.stderr.strip()}")

        with open(path("bad.bnn"), "wb") as f:
            f.write(b"not a model")
        r = run(tool, "--model", path("bad.bnn"), examples[0])
        check(r.returncode == 1 and "bad.bnn" in r.stderr, f"a bad model: exit 1, named: {r.stderr.strip()}")

    r = run(tool, "--help")
    check(r.returncode == 0 and "--json" in r.stdout and "probability" in r.stdout, "--help documents flags and JSON")
    for bad in (["--top", "0", examples[0]], ["--threads", "x", examples[0]], ["--frobnicate", examples[0]], []):
        r = run(tool, *bad)
        check(r.returncode == 2 and "bnn-classify --help" in r.stderr, f"bad usage {bad}: exit 2")
    r = run(tool, "--threads", "2", "--top", "1", examples[0])
    check(r.returncode == 0 and r.stdout.count("%") == 1, "--top 1 prints one label; --threads 2 works")
    r = run(tool, "--threads=2", "--top=1", "--", examples[0])
    check(r.returncode == 0 and r.stdout.count("%") == 1, "--opt=value and -- are accepted")
    # Overrides of the model's metadata (item: labels and preprocessing at run time).
    with tempfile.TemporaryDirectory() as tmp:
        labels = os.path.join(tmp, "labels.txt")
        with open(labels, "w") as f:
            f.write("".join(f"kind {i}\n" for i in range(10)))
        r = run(tool, "--labels", labels, "--top", "1", examples[0])
        want = expected_label(examples[0])
        check(r.returncode == 0 and f": kind {LABELS.index(want)} " in r.stdout, f"--labels FILE names the classes: {r.stdout.strip()}")
        with open(labels, "w") as f:
            f.write("a\nb\n")
        r = run(tool, "--labels", labels, examples[0])
        check(r.returncode == 1 and "2 labels for a model with 10 classes" in r.stderr, f"--labels of the wrong count: {r.stderr.strip()}")
    r = run(tool, "--mean", "0.5", "--std", "0.25", "--resize", "direct", "--top", "1", examples[0])
    check(r.returncode == 0 and r.stdout.count("%") == 1, f"--mean --std --resize override the model's: {r.stdout.strip()}")
    r = run(tool, "--mean", "0.5,0.5,0.5", examples[0])
    check(r.returncode == 1 and "--mean and --std need one value per input channel (1)" in r.stderr, f"--mean per channel: {r.stderr.strip()}")
    r = run(tool, "--color", "rgb", examples[0])
    check(r.returncode == 1 and "--color grey" in r.stderr, f"a colour the model cannot take names --color: {r.stderr.strip()}")
    r = run(tool, "--resize", "sideways", examples[0])
    check(r.returncode == 2 and "--resize takes direct" in r.stderr, "a bad --resize is a usage error")
    # EXIF orientation: a phone's photo stored sideways (or mirrored) with the tag
    # that says how to show it is labelled as shown. Each stored picture is made
    # with the inverse of the tag's transform; PIL's exif_transpose checks that.
    photo = os.path.join(os.path.dirname(examples[0]), "sneaker_photo.jpg")
    upright = Image.open(photo).convert("RGB")
    inverse = {2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE,
               6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}
    with tempfile.TemporaryDirectory() as tmp:
        for tag, op in inverse.items():
            stored = upright.transpose(op)
            path = os.path.join(tmp, f"orientation_{tag}.jpg")
            exif = Image.Exif()
            exif[0x0112] = tag
            stored.save(path, quality=95, exif=exif)
            shown = ImageOps.exif_transpose(Image.open(path))
            check(shown.size == upright.size, f"orientation {tag}: PIL shows the stored picture upright")
            r = run(tool, "--top", "1", path)
            check(r.returncode == 0 and ": Sneaker " in r.stdout, f"orientation {tag}: labelled as shown: {r.stdout.strip()}")
    r = run(tool, "--version")
    check(r.returncode == 0 and re.match(r"bnn-classify \d+\.\d+\.\d+", r.stdout), f"--version: {r.stdout.strip()}")
    r = run(tool, "--jsn", examples[0])
    check(r.returncode == 2 and "did you mean --json?" in r.stderr, f"a misspelt option names the right one: {r.stderr.strip()}")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The frame path's colour conversion against ffmpeg's (swscale): every YUV
format, both matrices and both ranges, odd sizes and padded strides, within
+-2 levels; packed RGB formats exactly; regions of interest and rotations
against numpy's crop and rot90 of the same reference.

ffmpeg converts with flags neighbor+full_chroma_int+accurate_rnd: each pixel
takes the chroma sample that covers it, as the engine does (its default
bicubic flags would interpolate chroma, a resampling choice, not a colour
conversion). For an odd width or height swscale stretches ceil(n / 2) chroma
samples over n pixels instead of giving sample i to pixels 2i and 2i + 1, so
the reference for an odd frame is ffmpeg's conversion of the even frame one
pixel larger whose planes it is a part of (the usual meaning of odd 4:2:0).

usage: swscale_check.py FRAME_TO_RGB
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

tool = sys.argv[1]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def picture(w, h, seed):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x * 7 + y * 13) % 256], -1).astype(np.uint8)
    rng = np.random.RandomState(seed)
    img[h // 3:h // 2, w // 3:w // 2] = rng.randint(0, 256, img[h // 3:h // 2, w // 3:w // 2].shape)
    return img


def ffmpeg(src, src_fmt, dst_fmt, w, h, vf):
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", src_fmt, "-s", f"{w}x{h}", "-i", "-",
                           "-vf", vf, "-pix_fmt", dst_fmt, "-f", "rawvideo", "-"],
                          input=src, capture_output=True, check=True).stdout


def ours(raw, fmt, w, h, matrix, rng, *extra):
    r = subprocess.run([tool, fmt, str(w), str(h), matrix, rng, *extra], input=raw, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())
    return np.frombuffer(r.stdout, np.uint8)


YUV = [("NV12", "nv12"), ("NV21", "nv21"), ("I420", "yuv420p"), ("YUYV", "yuyv422")]
PACKED = [("RGB888", "rgb24"), ("BGR888", "bgr24"), ("RGBA8888", "rgba"), ("BGRA8888", "bgra"),
          ("BGRX8888", "bgr0"), ("RGBX8888", "rgb0"), ("XRGB8888", "0rgb")]

largest = 0  # the largest YUV difference seen, in levels
FLAGS = "flags=neighbor+full_chroma_int+accurate_rnd"


def yuv_frame(src, fmt, ff, w, h, matrix, ffr):
    """A w x h frame in `ff` made by ffmpeg from RGB, tightly packed, and
    ffmpeg's RGB of it (via the enclosing even frame)."""
    ew, eh = w + w % 2, h + h % 2
    even = np.zeros((eh, ew, 3), np.uint8)
    even[:h, :w] = src
    even[h:, :] = even[h - 1:h, :]
    even[:, w:] = even[:, w - 1:w]
    yuv = np.frombuffer(ffmpeg(even.tobytes(), "rgb24", ff, ew, eh, f"scale=out_color_matrix={matrix}:out_range={ffr}"),
                        np.uint8)
    ref = np.frombuffer(ffmpeg(yuv.tobytes(), ff, "rgb24", ew, eh,
                               f"scale=in_color_matrix={matrix}:in_range={ffr}:{FLAGS}"), np.uint8)
    ref = ref.reshape(eh, ew, 3)[:h, :w]
    cw, ch = ew // 2, eh // 2
    if fmt == "YUYV":  # rows of 4 * ceil(w / 2) bytes: the even frame's rows, cut to h
        return yuv.reshape(eh, 4 * cw)[:h].tobytes(), ref
    luma = yuv[:ew * eh].reshape(eh, ew)[:h, :w]
    chroma = yuv[ew * eh:]  # NV12/NV21: ch rows of 2 cw; I420: two planes of ch rows of cw
    return luma.tobytes() + chroma.tobytes(), ref


for w, h in [(97, 61), (64, 48), (33, 17), (2, 1), (1, 3)]:
    picture_rgb = picture(w, h, w)
    src = picture_rgb.tobytes()
    for fmt, ff in YUV:
        for matrix in ("bt601", "bt709"):
            for rng, ffr in (("limited", "tv"), ("full", "pc")):
                yuv, ref = yuv_frame(picture_rgb, fmt, ff, w, h, matrix, ffr)
                ref = ref.reshape(-1)
                for pad in (0, 13):
                    got = ours(yuv, fmt, w, h, matrix, rng, "--pad", str(pad))
                    diff = np.abs(got.astype(int) - ref.astype(int)).max()
                    largest = max(largest, diff)
                    check(f"{fmt} {w}x{h} {matrix} {rng} pad {pad}", diff <= 2, f"max difference {diff} levels")
    for fmt, ff in PACKED:
        raw = ffmpeg(src, "rgb24", ff, w, h, "null")
        got = ours(raw, fmt, w, h, "bt601", "limited", "--pad", "5")
        check(f"{fmt} {w}x{h}", np.array_equal(got, np.frombuffer(src, np.uint8)))

# Regions and rotations: the upright region equals numpy's crop then clockwise rot90.
w, h = 45, 31
src = picture(w, h, 7)
nv12, ref = yuv_frame(src, "NV12", "nv12", w, h, "bt601", "tv")
for roi in [(0, 0, w, h), (3, 5, 20, 11), (44, 30, 1, 1), (1, 0, 44, 31)]:
    x, y, rw, rh = roi
    for degrees in (0, 90, 180, 270):
        want = np.rot90(ref[y:y + rh, x:x + rw], k=-degrees // 90)
        got = ours(nv12, "NV12", w, h, "bt601", "limited", "--roi", ",".join(map(str, roi)), "--rotate", str(degrees))
        got = got.reshape(want.shape)
        diff = np.abs(got.astype(int) - want.astype(int)).max()
        check(f"NV12 roi {roi} rotate {degrees}", diff <= 2, f"max difference {diff} levels")

print(f"YUV to RGB: largest difference from swscale {largest} level(s)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

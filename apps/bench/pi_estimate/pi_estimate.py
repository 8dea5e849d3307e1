#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Raspberry Pi speed on paper: cycle estimates of bnn's NEON microkernels and
of integer NEON baselines, per ResNet-18 convolution, from llvm-mca.

No Pi is reachable from CI, so this estimates what can be estimated:
  1. compile the shipped AArch64 microkernels (kernels/arm_neon64/: GEMM and
     direct binary kernels; the int8 stem's smlal and, kernels/arm_neon64dot/,
     sdot kernels) and the integer baselines (apps/bench/pi_estimate/) with
     the cross compiler and the flags of the shipped arm64 build (-O3,
     generic ARMv8-A; the dot product files ARMv8.2-A), once for all three
     cores;
  2. split each kernel function into its loop levels (the instructions each
     loop encloses and no deeper loop does);
  3. ask llvm-mca (LLVM 14) for the steady-state cycles of each level on
     Cortex-A53 (Pi 3), Cortex-A72 (Pi 4) and Cortex-A76 (Pi 5);
  4. multiply by the trip counts each ResNet-18 convolution of TVM's list
     (C2-C12, batch 1) runs, and add up.

What it leaves out (so these are estimates, not measurements): cache misses
and memory bandwidth (llvm-mca assumes every load hits L1), clock frequency
(per-layer results are cycles; the whole-network table converts at the Pi 3's
1.2 GHz, the Pi 4's 1.5 GHz - later boards run at 1.8 - and the Pi 5's 2.4),
everything outside the inner loop (bnn's indirection, thresholds and border
corrections; the baselines' im2col, packing and requantization), and the
byte-lane flushes of bnn's kernel (8 UADALP per 31 steps, under 1% of its
instructions). LLVM 14 has no Cortex-A76 model: -mcpu=cortex-a76 uses the
Cortex-A57 model, as A72 does (the A57 is ARMv8.0 and has no SDOT, so the
dot-product kernels' cost there is LLVM's guess); the A76 column is an
A72-class estimate plus the dot-product kernels (the baseline and the
shipped sdot int8 stem).

Whole network (Bi-Real-18, 224x224, 1 thread): the binary convolutions as
above (W1A1, the faster bnn microkernel per layer), the full-precision stem
and 1x1 shortcuts from the inner loop of the shipped float kernel
(conv2d_f32_16x4, NEON: 4 weight vectors x 4 pixels, 16 FMLA per step) at
the same llvm-mca rates (and, instead, the stem as --int8-stem runs it: the
faster shipped int8 kernel of the core, every tap of its padded band; its
input quantization and epilogue are left out), and everything else - max and average pools,
quantize steps, the binary layers' float epilogues (residual read, output
written), head batchnorm, global pool, dense - as bytes moved over an
assumed memory bandwidth: these layers stream tensors and do a few
operations per byte, which llvm-mca (every load an L1 hit) cannot price.
Pi 4: 5.5 GB/s, the STREAM copy rate measured on a Pi 4
(https://www.sci-pi.org.uk/bench/stream.html); Pi 3: 2.2 GB/s and Pi 5:
5.5 GB/s are guesses (no measurement cited; the Pi 5's is the Pi 4's
figure reused, surely low). All are --bandwidth options. Tensors of a few
hundred KB stay in the Pis' 512 KB / 1 MB L2, so the glue term is an upper
bound; the convolutions' term is a lower bound (no cache misses, no
per-call overhead).

usage: pi_estimate.py [--markdown FILE] [--json FILE] [--svg FILE] [--show-loops]
                      [--bandwidth CPU=GB/s ...]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CXX = "aarch64-linux-gnu-g++"
MCA = "llvm-mca-14"
CPUS = [("cortex-a53", "Pi 3 (Cortex-A53)"), ("cortex-a72", "Pi 4 (Cortex-A72)"),
        ("cortex-a76", "Pi 5 (Cortex-A76, A57 model)")]
FLAGS = ["-std=c++17", "-O3", "-DNDEBUG"]  # CMake's Release flags; no -mcpu, as shipped

# name, source, extra flags, demangled-function pattern, key instruction and
# its count per inner iteration (plus other counts the inner loop must have:
# bnn's widening steps belong outside it), MACs per iteration as tile
# (channels x pixels) x depth (64 channels per word for bitserial; one
# multiply per depth step for the integer kernels). Bitserial kernels loop
# over BINARY_LOOPS unless `loops` names fewer, for every precision unless
# `precisions` names some. row_tiles: the kernel's tiles lie within one output
# row (the direct driver), so a row of ow pixels takes ceil(ow / px) calls; the
# GEMM driver's tiles run on across row ends.
KERNELS = [
    dict(name="bgemm_ukernel_4x4c1__neon64", src="kernels/arm_neon64/bgemm-4x4c1.cc", flags=[],
         fn="neon64::(anonymous namespace)::run<4, true, true>", key="cnt", per_iter=8, also={"uadalp": 0},
         oc=4, px=4, depth=64, binary=True),
    dict(name="bgemm_ukernel_8x4c1__neon64", src="kernels/arm_neon64/bgemm-8x4c1.cc", flags=[],
         fn="neon64::(anonymous namespace)::run<8, false, true>", key="cnt", per_iter=16, also={"uadalp": 16},
         oc=8, px=4, depth=64, binary=True),
    # The direct kernel has a W1A1 function (its 16-bit lanes are the sums:
    # loops over taps and words only) and one for more bits.
    dict(name="bconv_direct_8x4c1__neon64 W1A1", src="kernels/arm_neon64/bconv-direct.cc", flags=[],
         fn="neon64::(anonymous namespace)::run_tile<8, 4, true, false, true>", key="cnt", per_iter=16,
         also={"uadalp": 16}, oc=8, px=4, depth=64, binary=True, loops=("taps", "words"), precisions=[(1, 1)],
         row_tiles=True),
    dict(name="bconv_direct_8x4c1__neon64", src="kernels/arm_neon64/bconv-direct.cc", flags=[],
         fn="neon64::(anonymous namespace)::run_tile<8, 4, true, false, false>", key="cnt", per_iter=16,
         also={"uadalp": 16}, oc=8, px=4, depth=64, binary=True, precisions=[(1, 2), (2, 2)], row_tiles=True),
    dict(name="int16 SMLAL 8x4", src="apps/bench/pi_estimate/int_gemm_neon.cc", flags=[], fn="gemm_s16_8x4",
         key="smlal", per_iter=32, also={}, oc=8, px=4, depth=4, binary=False),
    dict(name="int8 SMULL/SADALP 4x4", src="apps/bench/pi_estimate/int_gemm_neon.cc", flags=[], fn="gemm_s8_4x4",
         key="sadalp", per_iter=16, also={}, oc=4, px=4, depth=16, binary=False),
    dict(name="int8 SDOT 8x4", src="apps/bench/pi_estimate/int_gemm_neon_dot.cc",
         flags=["-march=armv8.2-a+dotprod"], fn="gemm_s8dot_8x4", key="sdot", per_iter=8, also={},
         oc=8, px=4, depth=4, binary=False, needs="dotprod"),
]

# ResNet-18's convolutions as TVM's bitserial paper numbers them (C1, the 7x7
# stem, stays full precision); apps/bench/conv_bench.cc has the same list.
LAYERS = [("C2", 56, 56, 64, 64, 3, 1, 1), ("C3", 56, 56, 64, 64, 1, 1, 0), ("C4", 56, 56, 64, 128, 3, 2, 1),
          ("C5", 56, 56, 64, 128, 1, 2, 0), ("C6", 28, 28, 128, 128, 3, 1, 1), ("C7", 28, 28, 128, 256, 3, 2, 1),
          ("C8", 28, 28, 128, 256, 1, 2, 0), ("C9", 14, 14, 256, 256, 3, 1, 1), ("C10", 14, 14, 256, 512, 3, 2, 1),
          ("C11", 14, 14, 256, 512, 1, 2, 0), ("C12", 7, 7, 512, 512, 3, 1, 1)]
PRECISIONS = [(1, 1), (1, 2), (2, 2)]
BINARY_LOOPS = ("wbits", "abits", "taps", "words")  # weight planes, activation planes, taps, 64-channel words

# The shipped float convolution's NEON inner loop (kernels/conv2d_f32_oc.inc,
# the AArch64 default block 16x4): one step of kernel depth for 16 output
# channels x 4 pixels.
FLOAT_KERNEL = dict(name="conv2d_f32_16x4__portable (NEON)", src="kernels/conv2d_f32_oc_portable.cc",
                    fn="portable::(anonymous namespace)::run_tile<4, 1>", key="fmla", per_iter=16, oc=16, px=4)

# The shipped int8 convolution (kernels/conv2d_int8.inc) for the stem under
# --int8-stem: AArch64's baseline build (int16 smlal, 16 channels x 4 pixels,
# one input channel a step) and the dot product build (sdot, 4 input channels
# a step; cores with ARMv8.2 dot product: the Pi 5's A76).
INT8_STEM_KERNELS = [
    dict(name="conv2d_int8_16x4c1__portable (NEON smlal)", src="kernels/conv2d_int8_portable.cc", flags=[],
         fn="portable::(anonymous namespace)::run_tile<4, 4>", key="smlal", per_iter=16, oc=16, px=4, group=1),
    dict(name="conv2d_int8_16x4c4__neon64dot", src="kernels/arm_neon64dot/conv2d-int8.cc",
         flags=["-march=armv8.2-a+dotprod"], fn="neon64dot::(anonymous namespace)::run_tile<4, 4>", key="sdot",
         per_iter=16, oc=16, px=4, group=4, needs="dotprod"),
]

# Bi-Real-18 (the parity suite's) as it runs: (name, count, kind, shape).
# Binary convolutions refer to LAYERS; float convolutions are (h, w, c, oc,
# k, s, p); glue layers are the bytes they read and write (float tensors, 4
# bytes an element; packed bits an eighth of a byte).
F = 4
STEM = "stem C1 7x7 s2"
NETWORK = [
    (STEM, 1, "float", (224, 224, 3, 64, 7, 2, 3)),
    ("max pool 3x3 s2 (+ quantize)", 1, "glue", 112 * 112 * 64 * F + 56 * 56 * 64 * (F + 1 / 8)),
    ("binary C2", 4, "binary", "C2"), ("binary C4", 1, "binary", "C4"), ("binary C6", 3, "binary", "C6"),
    ("binary C7", 1, "binary", "C7"), ("binary C9", 3, "binary", "C9"), ("binary C10", 1, "binary", "C10"),
    ("binary C12", 3, "binary", "C12"),
    # Each binary layer's epilogue reads its float residual and writes its
    # float output (the next layer's bits besides): two float tensors.
    ("binary epilogues 56x56x64", 4, "glue", 2 * 56 * 56 * 64 * F),
    ("binary epilogues 28x28x128", 4, "glue", 2 * 28 * 28 * 128 * F),
    ("binary epilogues 14x14x256", 4, "glue", 2 * 14 * 14 * 256 * F),
    ("binary epilogues 7x7x512", 4, "glue", 2 * 7 * 7 * 512 * F),
    ("avg pools 2x2 s2", 1, "glue", (56 * 56 * 64 + 28 * 28 * 64 + 28 * 28 * 128 + 14 * 14 * 128 + 14 * 14 * 256
                                     + 7 * 7 * 256) * F),
    ("shortcut S1 1x1", 1, "float", (28, 28, 64, 128, 1, 1, 0)),
    ("shortcut S2 1x1", 1, "float", (14, 14, 128, 256, 1, 1, 0)),
    ("shortcut S3 1x1", 1, "float", (7, 7, 256, 512, 1, 1, 0)),
    ("quantize after shortcuts", 1, "glue", (28 * 28 * 128 + 14 * 14 * 256 + 7 * 7 * 512) * (F + 1 / 8)),
    ("head: batchnorm, ReLU, global pool, dense", 1, "glue", 3 * 7 * 7 * 512 * F + 512 * 1000 * F),
]
BANDWIDTH_GBS = {"cortex-a53": 2.2, "cortex-a72": 5.5, "cortex-a76": 5.5}
CLOCK_GHZ = {"cortex-a53": 1.2, "cortex-a72": 1.5, "cortex-a76": 2.4}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def compile_asm(src, flags, out_dir):
    out = os.path.join(out_dir, os.path.basename(src) + ".s")
    run([CXX] + FLAGS + flags + ["-I" + ROOT, "-S", "-o", out, os.path.join(ROOT, src)])
    return out


def functions(asm_path):
    """Demangled function name -> its lines."""
    lines = open(asm_path).read().splitlines()
    mangled = [l[:-1] for l in lines if re.match(r"^_Z\w+:$", l)]
    demangled = dict(zip(mangled, run(["c++filt"], input="\n".join(mangled)).splitlines()))
    funcs, current = {}, None
    for l in lines:
        m = re.match(r"^(_Z\w+):$", l)
        if m:
            current = demangled[m.group(1)]
            funcs[current] = []
        elif current is not None:
            funcs[current].append(l)
            if l.strip().startswith(".size"):
                current = None
    return funcs


def is_instruction(line):
    """An instruction line of the assembly (not a label or a directive)."""
    return line.startswith("\t") and not line.strip().startswith(".")


def back_branches(body):
    """The loops of a function's lines: (label line, branch line) for each
    branch to a label above it."""
    labels, loops = {}, []
    for i, l in enumerate(body):
        m = re.match(r"^(\.L\w+):", l)
        if m:
            labels[m.group(1)] = i
        m = re.match(r"^\s+(b|b\.?(?:eq|ne|[lg][te]|[hl][is]|cc|cs|mi|pl|vs|vc)|cbn?z|tbn?z)\s+.*?(\.L\w+)\s*$", l)
        if m and m.group(2) in labels and labels[m.group(2)] < i:
            loops.append((labels[m.group(2)], i))
    return loops


def loop_levels(body, loops_expected):
    """The function's instructions grouped by how many loops enclose them
    (a loop: a label and a later branch back to it). Blocks after the first
    `ret` are out-of-line (bnn's byte-lane flush every 31 steps) and left out.
    Returns one instruction list per level, outermost (once per call) first,
    and a counter of mnemonics in the innermost level."""
    end = next(i for i, l in enumerate(body) if l.strip() == "ret")
    body = body[:end + 1]
    loops = back_branches(body)
    levels = [[] for _ in range(loops_expected + 1)]
    for i, l in enumerate(body):
        if not is_instruction(l):
            continue
        depth = sum(1 for a, b in loops if a < i <= b)
        if depth > loops_expected:
            sys.exit(f"{depth} nested loops around '{l.strip()}', expected {loops_expected}: the code changed shape")
        levels[depth].append(l.strip())
    def count(mnemonic):
        return sum(1 for ins in levels[-1] if ins.split()[0].startswith(mnemonic))  # smlal and smlal2
    return levels, count


def mca_cycles(instructions, cpu):
    """Steady-state cycles of one pass over `instructions` (llvm-mca runs the
    block 1000 times back to back and reports the total)."""
    with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
        f.write("\n".join(instructions) + "\n")
        path = f.name
    try:
        out = run([MCA, "-mtriple=aarch64-linux-gnu", "-mcpu=" + cpu, "-iterations=1000", path])
    finally:
        os.unlink(path)
    iterations = int(re.search(r"Iterations:\s+(\d+)", out).group(1))
    cycles = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1))
    return cycles / iterations


def trip_counts(kernel, layer, wbits, abits):
    """Microkernel calls for the layer, and each loop level's trip count per
    enclosing iteration (outermost first)."""
    _, h, w, c, oc, k, s, p = layer
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    tiles = oh * math.ceil(ow / kernel["px"]) if kernel.get("row_tiles") else math.ceil(oh * ow / kernel["px"])
    calls = tiles * math.ceil(oc / kernel["oc"])
    if kernel["binary"]:
        trips = dict(wbits=wbits, abits=abits, taps=k * k, words=math.ceil(c / 64))
        return calls, [trips[loop] for loop in kernel.get("loops", BINARY_LOOPS)]
    return calls, [math.ceil(k * k * c / kernel["depth"])]


def runs(kernel, wbits, abits):
    """Whether this (bitserial) kernel function runs layers of these widths."""
    return (wbits, abits) in kernel.get("precisions", PRECISIONS)


def layer_cycles(kernel, level_cycles, layer, wbits, abits):
    """calls x (level 0 + n1 x (level 1 + n2 x (... + nk x inner loop)))."""
    calls, trips = trip_counts(kernel, layer, wbits, abits)
    per_call = level_cycles[-1]
    for level, trip in zip(reversed(level_cycles[:-1]), reversed(trips)):
        per_call = level + trip * per_call
    return calls * per_call


def hottest_loop(body, key):
    """The innermost loop (a label and the branch back to it, no loop inside)
    holding the most `key` instructions: the inner step of a kernel whose
    other loops the compiler shaped freely."""
    best = None
    for start, end in back_branches(body):
        if any(re.match(r"^\.L\w+:", x) for x in body[start + 1:end]):
            continue  # a label inside: not innermost
        inner = [x.strip() for x in body[start + 1:end + 1] if is_instruction(x)]
        n = sum(1 for ins in inner if ins.split()[0] == key)
        if best is None or n > best[0]:
            best = (n, inner)
    return best[1] if best else []


def float_layer_cycles(step_cycles, shape):
    """Inner steps of the float kernel over a layer: per 16-channel chunk and
    pixel block, in_c steps per tap row and column inside the image (rows
    of the window in the padding are skipped; columns counted as inside). A
    pointwise layer's blocks run on across row ends, as the kernel's are."""
    h, w, c, oc, k, s, p = shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    k0 = FLOAT_KERNEL
    chunks = math.ceil(oc / k0["oc"])
    if k == 1 and s == 1 and p == 0:
        return math.ceil(oh * ow / k0["px"]) * chunks * c * step_cycles
    tap_rows = sum(1 for oy in range(oh) for kh in range(k) if 0 <= oy * s - p + kh < h)
    return tap_rows * math.ceil(ow / k0["px"]) * chunks * k * c * step_cycles


def int8_stem_cycles(step_cycles, kernel, shape):
    """Inner steps of the int8 kernel over the stem: every tap of every
    window (its band is padded), input channels in groups of the kernel's."""
    h, w, c, oc, k, s, p = shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    tiles = oh * math.ceil(ow / kernel["px"]) * math.ceil(oc / kernel["oc"])
    return tiles * k * k * math.ceil(c / kernel["group"]) * step_cycles


def int8_stem_estimate(per_cpu):
    """Per core: the faster shipped int8 kernel on the stem, and its ms."""
    shape = next(what for name, _, _, what in NETWORK if name == STEM)
    out = {}
    for cpu, _ in CPUS:
        r = per_cpu[cpu]
        ms, name = min((int8_stem_cycles(r[k["name"]]["cycles"], k, shape) / (CLOCK_GHZ[cpu] * 1e9) * 1e3, k["name"])
                       for k in INT8_STEM_KERNELS if k["name"] in r)
        out[cpu] = dict(kernel=name, ms=ms)
    return out


def network_estimate(per_cpu, bandwidth):
    """Per core: each part of Bi-Real-18 in milliseconds at the core's clock."""
    out = {}
    for cpu, _ in CPUS:
        r = per_cpu[cpu]
        binaries = [k for k in KERNELS if k["binary"]]
        clock = CLOCK_GHZ[cpu] * 1e9
        parts = []
        for name, count, kind, what in NETWORK:
            if kind == "binary":
                layer = next(l for l in LAYERS if l[0] == what)
                cycles = min(layer_cycles(k, r[k["name"]]["level_cycles"], layer, 1, 1) for k in binaries
                             if runs(k, 1, 1))
                ms = count * cycles / clock * 1e3
            elif kind == "float":
                ms = count * float_layer_cycles(r[FLOAT_KERNEL["name"]]["cycles"], what) / clock * 1e3
            else:
                ms = count * what / (bandwidth[cpu] * 1e9) * 1e3
            parts.append(dict(part=name, count=count, kind=kind, ms=ms))
        out[cpu] = parts
    return out


def network_markdown(network, bandwidth, int8_stem):
    out = ["", "### Whole network: Bi-Real-18 at 224x224, 1 thread (estimated)", "",
           "Convolutions: llvm-mca inner-loop cycles x trip counts (a lower bound). Glue: bytes moved / bandwidth "
           "(an upper bound while tensors fit L2). Clocks: " +
           ", ".join(f"{label} {CLOCK_GHZ[cpu]} GHz" for cpu, label in CPUS) + "; bandwidth: " +
           ", ".join(f"{label} {bandwidth[cpu]} GB/s" for cpu, label in CPUS) + ".", "",
           "| part | layers | kind | " + " | ".join(label + " ms" for _, label in CPUS) + " |",
           "| --- | ---: | --- | " + " | ".join("---:" for _ in CPUS) + " |"]
    for i, (name, count, kind, _) in enumerate(NETWORK):
        out.append(f"| {name} | {count} | {kind} | " +
                   " | ".join(f"{network[cpu][i]['ms']:.2f}" for cpu, _ in CPUS) + " |")
    for kind in ("float", "binary", "glue"):
        out.append(f"| **all {kind}** | | | " +
                   " | ".join(f"{sum(p['ms'] for p in network[cpu] if p['kind'] == kind):.2f}" for cpu, _ in CPUS) + " |")
    out.append("| **total** | | | " + " | ".join(f"**{sum(p['ms'] for p in network[cpu]):.1f}**" for cpu, _ in CPUS) + " |")
    out.append("| stem C1 in int8 (`--int8-stem`), instead | 1 | int8 | " +
               " | ".join(f"{int8_stem[cpu]['ms']:.2f} ({int8_stem[cpu]['kernel'].split(' ')[0]})" for cpu, _ in CPUS) + " |")
    with_int8 = []
    for cpu, _ in CPUS:
        float_stem = next(p["ms"] for p in network[cpu] if p["part"] == STEM)
        with_int8.append(sum(p["ms"] for p in network[cpu]) - float_stem + int8_stem[cpu]["ms"])
    out.append("| **total with the int8 stem** | | | " + " | ".join(f"**{ms:.1f}**" for ms in with_int8) + " |")
    return "\n".join(out) + "\n"


def estimate(show_loops):
    per_cpu = {}
    with tempfile.TemporaryDirectory() as tmp:
        funcs = {}
        sources = {(k["src"], tuple(k["flags"])) for k in KERNELS + INT8_STEM_KERNELS} | {(FLOAT_KERNEL["src"], ())}
        for src, flags in sorted(sources):
            funcs.update(functions(compile_asm(src, list(flags), tmp)))
        for cpu, _ in CPUS:
            results = {}
            for kernel in KERNELS:
                if kernel.get("needs") == "dotprod" and cpu != "cortex-a76":
                    continue  # ARMv8.2 dot product: Pi 5 only
                name = next((f for f in funcs if kernel["fn"] in f), None)
                if name is None:
                    sys.exit(f"pi_estimate: no function matching '{kernel['fn']}' in {kernel['src']}'s assembly "
                             "(inlined or renamed?)")
                levels, count = loop_levels(funcs[name], len(kernel.get("loops", BINARY_LOOPS)) if kernel["binary"] else 1)
                for mnemonic, want in [(kernel["key"], kernel["per_iter"])] + list(kernel["also"].items()):
                    if count(mnemonic) != want:
                        sys.exit(f"{kernel['name']} on {cpu}: {count(mnemonic)} {mnemonic} in the inner loop, expected "
                                 f"{want}: the code changed shape (unrolled, or a widening step moved inside)")
                level_cycles = [mca_cycles(level, cpu) if level else 0.0 for level in levels]
                macs = kernel["oc"] * kernel["px"] * kernel["depth"]
                results[kernel["name"]] = dict(cycles=level_cycles[-1], macs_per_cycle=macs / level_cycles[-1],
                                               level_cycles=level_cycles,
                                               level_instructions=[len(level) for level in levels])
                if show_loops:
                    print(f"--- {kernel['name']} on {cpu}: instructions per loop level (outermost first): "
                          f"{[len(level) for level in levels]}, cycles {[round(c, 2) for c in level_cycles]}\n"
                          + "\n".join(levels[-1]), file=sys.stderr)
            # One-step kernels (the float and int8 stems): their hottest loop.
            for k in [FLOAT_KERNEL] + INT8_STEM_KERNELS:
                if k.get("needs") == "dotprod" and cpu != "cortex-a76":
                    continue
                name = next((f for f in funcs if k["fn"] in f), None)
                if name is None:
                    sys.exit(f"pi_estimate: no function matching '{k['fn']}' in {k['src']}'s assembly "
                             "(inlined or renamed?)")
                loop = hottest_loop(funcs[name], k["key"])
                if sum(1 for ins in loop if ins.split()[0] == k["key"]) != k["per_iter"]:
                    sys.exit(f"{k['name']} on {cpu}: its hottest loop is not one step of {k['per_iter']} {k['key']}: "
                             "the code changed shape")
                cycles = mca_cycles(loop, cpu)
                results[k["name"]] = dict(cycles=cycles, macs_per_cycle=k["oc"] * k["px"] * k.get("group", 1) / cycles,
                                          level_cycles=[cycles], level_instructions=[len(loop)])
                if show_loops:
                    print(f"--- {k['name']} on {cpu}: {cycles:.2f} cycles\n" + "\n".join(loop), file=sys.stderr)
            per_cpu[cpu] = results
    return per_cpu


def layer_table(per_cpu):
    rows = []
    for cpu, _ in CPUS:
        r = per_cpu[cpu]
        binaries = [k for k in KERNELS if k["binary"]]
        int8s = [k for k in KERNELS if not k["binary"] and k["name"].startswith("int8") and k["name"] in r]
        int16 = next(k for k in KERNELS if k["name"].startswith("int16"))
        for layer in LAYERS:
            def cycles(k, wb=0, ab=0):
                return layer_cycles(k, r[k["name"]]["level_cycles"], layer, wb, ab)
            c16 = cycles(int16)
            c8, k8 = min((cycles(k), k["name"]) for k in int8s)
            for wb, ab in PRECISIONS:
                cb, kb = min((cycles(k, wb, ab), k["name"]) for k in binaries if runs(k, wb, ab))
                rows.append(dict(cpu=cpu, layer=layer[0], precision=f"W{wb}A{ab}", bnn_kernel=kb, bnn_cycles=cb,
                                 int16_cycles=c16, int8_kernel=k8, int8_cycles=c8,
                                 vs_int16=c16 / cb, vs_int8=c8 / cb))
    return rows


def markdown(per_cpu, rows):
    out = ["### Microkernels (llvm-mca, cycles per inner-loop iteration)", "",
           "| kernel | MACs per iteration | " + " | ".join(f"{label} cycles | MACs/cycle" for _, label in CPUS) + " |",
           "| --- | ---: | " + " | ".join("---: | ---:" for _ in CPUS) + " |"]
    for k in KERNELS:
        macs = k["oc"] * k["px"] * k["depth"]
        cells = []
        for cpu, _ in CPUS:
            r = per_cpu[cpu].get(k["name"])
            cells.append(f"{r['cycles']:.2f} | {r['macs_per_cycle']:.0f}" if r else "- | -")
        unit = "binary" if k["binary"] else ("int16" if "16" in k["name"] else "int8")
        out.append(f"| {k['name']} | {macs} {unit} | " + " | ".join(cells) + " |")
    k = FLOAT_KERNEL  # the whole-network estimate's stem and shortcuts
    cells = [f"{per_cpu[cpu][k['name']]['cycles']:.2f} | {per_cpu[cpu][k['name']]['macs_per_cycle']:.1f}"
             for cpu, _ in CPUS]
    out.append(f"| {k['name']} | {k['oc'] * k['px']} fp32 | " + " | ".join(cells) + " |")
    for k in INT8_STEM_KERNELS:  # the int8 stem's
        cells = [f"{per_cpu[cpu][k['name']]['cycles']:.2f} | {per_cpu[cpu][k['name']]['macs_per_cycle']:.1f}"
                 if k["name"] in per_cpu[cpu] else "- | -" for cpu, _ in CPUS]
        out.append(f"| {k['name']} | {k['oc'] * k['px'] * k['group']} int8 | " + " | ".join(cells) + " |")
    out += ["", "### Where a call's cycles go (llvm-mca, cycles per pass of each loop level)", "",
            "bnn: per call, per weight plane, per plane pair, per tap, per 64-channel word; "
            "integer kernels: per call, per depth step.", "",
            "| kernel | core | per call | levels inside, outermost first |", "| --- | --- | ---: | --- |"]
    for k in KERNELS:
        for cpu, label in CPUS:
            r = per_cpu[cpu].get(k["name"])
            if r:
                inner = ", ".join(f"{c:.1f}" for c in r["level_cycles"][1:])
                out.append(f"| {k['name']} | {label} | {r['level_cycles'][0]:.1f} | {inner} |")
    out += ["", "### Per layer: estimated speedup of bnn over the integer baselines", "",
            "Each cell: int16 cycles / bnn cycles, then int8 cycles / bnn cycles (the faster int8 kernel on that "
            "core); bnn runs the fastest of its microkernels on each layer.", ""]
    header = "| layer | precision | " + " | ".join(label for _, label in CPUS) + " |"
    out += [header, "| --- | --- | " + " | ".join("---:" for _ in CPUS) + " |"]
    for layer in LAYERS:
        for wb, ab in PRECISIONS:
            cells = []
            for cpu, _ in CPUS:
                r = next(x for x in rows if x["cpu"] == cpu and x["layer"] == layer[0] and x["precision"] == f"W{wb}A{ab}")
                cells.append(f"{r['vs_int16']:.1f}x / {r['vs_int8']:.1f}x")
            out.append(f"| {layer[0]} | W{wb}A{ab} | " + " | ".join(cells) + " |")
    out += ["", "### Range over C2-C12", "", "| core | precision | vs int16 | vs int8 |", "| --- | --- | ---: | ---: |"]
    for cpu, label in CPUS:
        for wb, ab in PRECISIONS:
            sel = [x for x in rows if x["cpu"] == cpu and x["precision"] == f"W{wb}A{ab}"]
            lo16, hi16 = min(x["vs_int16"] for x in sel), max(x["vs_int16"] for x in sel)
            lo8, hi8 = min(x["vs_int8"] for x in sel), max(x["vs_int8"] for x in sel)
            out.append(f"| {label} | W{wb}A{ab} | {lo16:.1f}x - {hi16:.1f}x | {lo8:.1f}x - {hi8:.1f}x |")
    return "\n".join(out) + "\n"


def svg(rows, path):
    """One panel per core; per layer, a bar per precision against int16 and a
    thin dark bar against int8, on a log2 axis."""
    colours = {"W1A1": "#1f77b4", "W1A2": "#ff7f0e", "W2A2": "#2ca02c"}
    panel_w, panel_h, left, top = 760, 230, 60, 76
    width, height = left + panel_w + 20, top + len(CPUS) * (panel_h + 50)
    top_value = max(max(r["vs_int16"], r["vs_int8"]) for r in rows)
    ymax = 2 ** math.ceil(math.log2(max(2.0, top_value)))
    ymin = 2 ** math.floor(math.log2(min(0.5, min(min(r["vs_int16"], r["vs_int8"]) for r in rows))))
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
         f'font-size="11">', '<rect width="100%" height="100%" fill="white"/>',
         f'<text x="{left}" y="20" font-size="14">ResNet-18 convolutions on Raspberry Pi cores, estimated '
         '(llvm-mca, inner loops only): bnn vs integer NEON</text>',
         f'<text x="{left}" y="38">wide bars: vs int16 (SMLAL); thin dark bars: vs int8 (SMULL/SADALP, or SDOT on '
         'A76). Log scale.</text>']
    x = left
    for p, c in colours.items():
        s.append(f'<rect x="{x}" y="46" width="10" height="10" fill="{c}"/><text x="{x + 14}" y="55">{p}</text>')
        x += 60
    for i, (cpu, label) in enumerate(CPUS):
        y0 = top + i * (panel_h + 50)
        def ypos(v):
            return y0 + panel_h - (math.log2(v) - math.log2(ymin)) / (math.log2(ymax) - math.log2(ymin)) * panel_h
        s.append(f'<text x="{left}" y="{y0 - 6}" font-size="12" font-weight="bold">{label}</text>')
        v = ymin
        while v <= ymax:
            y = ypos(v)
            s.append(f'<line x1="{left}" x2="{left + panel_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#000" if v == 1 else "#ddd"}"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{v:g}x</text>')
            v *= 2
        group = panel_w / len(LAYERS)
        for j, layer in enumerate(LAYERS):
            gx = left + j * group + 8
            s.append(f'<text x="{gx + 22}" y="{y0 + panel_h + 14}" text-anchor="middle">{layer[0]}</text>')
            for q, p in enumerate(colours):
                r = next(x for x in rows if x["cpu"] == cpu and x["layer"] == layer[0] and x["precision"] == p)
                bx = gx + q * 16
                for value, w, dx, fill in ((r["vs_int16"], 13, 0, colours[p]), (r["vs_int8"], 4, 4.5, "#333")):
                    y, y1 = ypos(max(value, ymin)), ypos(1)
                    s.append(f'<rect x="{bx + dx:.1f}" y="{min(y, y1):.1f}" width="{w}" height="{abs(y - y1):.1f}" '
                             f'fill="{fill}"><title>{layer[0]} {p}: {value:.2f}x</title></rect>')
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--markdown", help="write the tables here (default: stdout)")
    ap.add_argument("--json", help="write every figure as JSON here")
    ap.add_argument("--svg", help="draw the per-layer speedup chart here")
    ap.add_argument("--show-loops", action="store_true", help="print each inner loop given to llvm-mca (stderr)")
    ap.add_argument("--bandwidth", action="append", default=[], metavar="CPU=GB/s",
                    help="memory bandwidth for the whole-network glue estimate, e.g. cortex-a72=5.5 "
                         f"(defaults: {', '.join(f'{c}={v}' for c, v in BANDWIDTH_GBS.items())})")
    args = ap.parse_args()
    bandwidth = dict(BANDWIDTH_GBS)
    for item in args.bandwidth:
        cpu, _, value = item.partition("=")
        try:
            if cpu not in bandwidth or float(value) <= 0:
                raise ValueError
        except ValueError:
            sys.exit(f"pi_estimate: --bandwidth {item}: expected CPU=GB/s with CPU one of {', '.join(bandwidth)}")
        bandwidth[cpu] = float(value)
    for tool in (CXX, MCA, "c++filt"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"pi_estimate: {tool} not found (apt-get install g++-aarch64-linux-gnu llvm-14 binutils)")
    per_cpu = estimate(args.show_loops)
    rows = layer_table(per_cpu)
    network = network_estimate(per_cpu, bandwidth)
    int8_stem = int8_stem_estimate(per_cpu)
    text = markdown(per_cpu, rows) + network_markdown(network, bandwidth, int8_stem)
    if args.markdown:
        open(args.markdown, "w").write(text)
    else:
        sys.stdout.write(text)
    if args.json:
        json.dump(dict(microkernels=per_cpu, layers=rows, network=network, int8_stem=int8_stem), open(args.json, "w"), indent=1)
    if args.svg:
        svg(rows, args.svg)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The tools a Raspberry Pi user runs, cross-built and run under qemu-user:
# bnn-classify on the bundled examples (same labels and probabilities as the
# x86 build, within float rounding), bnn-run --info (NEON kernels, not the
# portable ones), bnn-bench --model, bnn-tune with a 5-second budget, and an
# --int8-stem model (the x86 build's outputs to the bit);
# with a GStreamer sysroot (.ci/arm_gst_sysroot.sh), the ARM bnnclassify
# element in Debian's ARM gst-launch-1.0.
# Usage: arm_apps_test.sh QEMU SYSROOT CROSS_BUILD_DIR X86_BUILD_DIR SOURCE_DIR NEON_ISA [GST_SYSROOT]
set -u
qemu=$1
sysroot=$2
arm=$3
x86=$4
source_dir=$5
isa=$6
gst_sysroot=${7:+$(realpath "$7")}
source "$source_dir/tests/cli/check.sh"
run() { "$qemu" -L "$sysroot" "$@"; }
model=$x86/models/fashion_bnn.bnn

"$x86/bin/bnn-classify" --json --top 3 "$source_dir/examples/images" > "$work/x86.json"
check "bnn-classify on the examples" 0 "" -- sh -c "'$qemu' -L '$sysroot' '$arm/bin/bnn-classify' --json --top 3 '$source_dir/examples/images' > '$work/arm.json'"
check "the same labels and probabilities as x86 (within 1e-5)" 0 "identical labels" -- /usr/bin/python3 -c "
import json, sys
a = [json.loads(l) for l in open('$work/x86.json')]
b = [json.loads(l) for l in open('$work/arm.json')]
assert len(a) == len(b) == 11, (len(a), len(b))
worst = 0.0
for x, y in zip(a, b):
    assert x['file'] == y['file']
    assert [t['label'] for t in x['top']] == [t['label'] for t in y['top']], (x, y)
    worst = max([worst] + [abs(s['probability'] - t['probability']) for s, t in zip(x['top'], y['top'])])
assert worst < 1e-5, worst
print(f'identical labels, largest probability difference {worst:.2g}')
"
check "the sneaker photo is a sneaker" 0 "Sneaker" -- run "$arm/bin/bnn-classify" "$source_dir/examples/images/sneaker_photo.jpg"
check "bnn-run --info: NEON kernels run the model" 0 "(bgemm_ukernel|bconv_direct)_[0-9x]+c1__$isa" -- run "$arm/bin/bnn-run" --info "$model"
check "bnn-run --info: no portable bitserial kernel" 1 "" -- sh -c "'$qemu' -L '$sysroot' '$arm/bin/bnn-run' --info '$model' | grep -E 'BitserialConv2D.*__portable'"
check "bnn-bench --model" 0 "median [0-9.]+, p90" -- run "$arm/bin/bnn-bench" --model "$model"
check "bnn-tune --budget-seconds 5" 0 "wrote" -- run "$arm/bin/bnn-tune" "$model" -o "$work/tuned.bnn" --budget-seconds 5
check "the tuned model names NEON schedules" 0 "__$isa \((bgemm_ukernel|bconv_direct)" -- run "$arm/bin/bnn-run" --info "$work/tuned.bnn"
# --int8-stem: converted on x86, the stem on this ISA's int8 kernel (sdot
# under qemu-aarch64, which reports the dot product; smlal on ARMv7) gives the
# x86 build's outputs: its integer sums are exact, so on AArch64, whose float
# layers fuse multiply-adds as x86's do, to the bit; on ARMv7 (separate
# multiply and add in the float layers) within 1e-5 of the largest output.
"$x86/bin/bnn-convert" "$source_dir/models/fashion/fashion_bnn.onnx" -o "$work/int8.bnn" \
  $(cat "$source_dir/models/fashion/bnn-convert.args") --int8-stem > /dev/null
/usr/bin/python3 -c "import numpy as n; n.random.seed(1); n.save('$work/x.npy', n.random.rand(4, 1, 28, 28).astype(n.float32))"
"$x86/bin/bnn-run" --model "$work/int8.bnn" --input "$work/x.npy" --output "$work/y_x86.npy"
check "--int8-stem: the stem runs on a NEON int8 kernel" 0 "Int8Conv2D .*__$isa" -- run "$arm/bin/bnn-run" --info "$work/int8.bnn"
tolerance=1e-5
[ "$isa" = neon64 ] && tolerance=0
check "--int8-stem: the same outputs as x86 (within $tolerance of the largest)" 0 "agree" -- sh -c "'$qemu' -L '$sysroot' '$arm/bin/bnn-run' \
  --model '$work/int8.bnn' --input '$work/x.npy' --output '$work/y_arm.npy' && /usr/bin/python3 -c \"
import numpy as n
a, b = n.load('$work/y_x86.npy'), n.load('$work/y_arm.npy')
assert a.shape == b.shape == (4, 10), (a.shape, b.shape)
assert (abs(a - b) <= $tolerance * abs(a).max()).all(), abs(a - b).max()
print('agree')
\""
if [ -n "$gst_sysroot" ]; then
  # Only the plugins the pipelines use, loaded in-process (qemu-user cannot
  # spawn GStreamer's ARM plugin scanner).
  multiarch=$(basename "$sysroot")
  libs=$gst_sysroot/usr/lib/$multiarch
  mkdir -p "$work/plugins"
  for p in coreelements videotestsrc rawparse; do ln -sf "$libs/gstreamer-1.0/libgst$p.so" "$work/plugins/"; done
  ln -sf "$(realpath "$arm/lib/gstreamer-1.0/libgstbnnclassify.so")" "$work/plugins/"
  gst() {  # gst TOOL ARGS...: an ARM GStreamer tool from the sysroot
    local tool=$1
    shift
    GST_REGISTRY_FORK=no GST_PLUGIN_SYSTEM_PATH= GST_PLUGIN_PATH="$work/plugins" GST_REGISTRY="$work/registry.bin" \
      LD_LIBRARY_PATH="$libs:$gst_sysroot/lib/$multiarch" "$qemu" -L "$sysroot" "$gst_sysroot/usr/bin/$tool" "$@"
  }
  check "ARM gst-inspect-1.0 bnnclassify" 0 "Classifies video frames" -- gst gst-inspect-1.0 bnnclassify
  messages() {
    gst gst-launch-1.0 -m videotestsrc num-buffers=30 ! video/x-raw,format=NV12,width=320,height=240 ! \
      bnnclassify model="$model" ! fakesink | grep -c 'element.*bnnclassify.*label='
  }
  check "ARM pipeline: 30 NV12 frames, 30 messages" 0 "^30$" -- messages
  if command -v ffmpeg >/dev/null; then
    ffmpeg -v error -i "$source_dir/examples/images/sneaker_photo.jpg" -vf scale=320:240 -pix_fmt nv12 -f rawvideo \
      "$work/sneaker.nv12"
    check "ARM pipeline: the sneaker photo is a sneaker" 0 "label=\(string\)Sneaker" -- gst gst-launch-1.0 -m \
      filesrc location="$work/sneaker.nv12" ! rawvideoparse format=nv12 width=320 height=240 framerate=1/1 ! \
      bnnclassify model="$model" ! fakesink
  else
    echo "skip ARM pipeline on the sneaker photo: no ffmpeg (apt-get install ffmpeg)"
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bnnclassify element under gst-launch-1.0: a message per frame (NV12 and
# RGB test sources), every Nth frame with interval, the meta on each buffer,
# buffers passed on byte for byte, a real photo (as a raw NV12 stream)
# labelled a sneaker, and clear errors for a missing or bad model.
# Usage: bnnclassify_test.sh PLUGIN_DIR MODEL.bnn SOURCE_DIR
set -u
export GST_PLUGIN_PATH=$1
model=$2
source_dir=$3
source "$source_dir/tests/cli/check.sh"
export GST_REGISTRY=$work/registry.bin  # a private plugin registry, nothing cached from other runs

messages() {  # messages N: exactly N bnnclassify element messages
  local n
  n=$(grep -c 'from element "bnnclassify0" (element): bnnclassify,' <<<"$(cat)")
  [ "$n" -eq "$1" ] || { echo "$n messages, expected $1"; return 1; }
}

for format in NV12 RGB; do
  gst-launch-1.0 -m videotestsrc num-buffers=60 ! video/x-raw,format=$format,width=320,height=240 ! \
    bnnclassify model="$model" ! fakesink >"$work/$format.log" 2>&1
  check "$format: the pipeline runs" 0 "" -- test "$(grep -c 'Execution ended' "$work/$format.log")" -eq 1
  check "$format: one message per frame" 0 "" -- sh -c "grep -c 'bnnclassify, frame=' '$work/$format.log' | grep -qx 60"
  check "$format: messages carry label, score and latency" 0 "label=\(string\).*score=\(double\)0\.[0-9]+.*latency-ms" -- \
    grep -m1 'bnnclassify, frame=(guint64)59' "$work/$format.log"
done
gst-launch-1.0 -m videotestsrc num-buffers=60 ! video/x-raw,format=I420,width=64,height=48 ! \
  bnnclassify model="$model" interval=5 top-k=3 ! fakesink >"$work/interval.log" 2>&1
check "interval=5: every fifth frame" 0 "" -- sh -c "grep -c 'bnnclassify, frame=' '$work/interval.log' | grep -qx 12"
check "top-k=3: three labels" 0 'top=\(string\)"[^,]+,[^,]+,[^,]+"' -- grep -m1 'frame=(guint64)55' "$work/interval.log"
check "each classified buffer carries the meta" 0 "meta: GstBnnClassificationMeta" -- \
  gst-launch-1.0 -v videotestsrc num-buffers=2 ! video/x-raw,format=YUY2,width=97,height=61 ! \
  bnnclassify model="$model" ! fakesink silent=false

# Buffers pass unchanged: the same stream with and without the element.
caps="video/x-raw,format=NV12,width=160,height=120"
gst-launch-1.0 -q videotestsrc num-buffers=10 pattern=ball ! $caps ! filesink location="$work/plain.raw" >/dev/null 2>&1
gst-launch-1.0 -q videotestsrc num-buffers=10 pattern=ball ! $caps ! bnnclassify model="$model" ! \
  filesink location="$work/through.raw" >/dev/null 2>&1
check "buffers pass through byte for byte" 0 "" -- cmp "$work/plain.raw" "$work/through.raw"

# A real picture: the sneaker photo as a raw NV12 stream (ffmpeg), through rawvideoparse.
if command -v ffmpeg >/dev/null && gst-inspect-1.0 rawvideoparse >/dev/null 2>&1; then
  ffmpeg -v error -i "$source_dir/examples/images/sneaker_photo.jpg" -vf scale=320:240 -pix_fmt nv12 -f rawvideo \
    "$work/sneaker.nv12"
  check "the sneaker photo is a sneaker" 0 "label=\(string\)Sneaker" -- \
    gst-launch-1.0 -m filesrc location="$work/sneaker.nv12" ! \
    rawvideoparse format=nv12 width=320 height=240 framerate=1/1 ! bnnclassify model="$model" ! fakesink
fi

check "no model property: the bundled model runs" 0 "Execution ended" -- \
  gst-launch-1.0 videotestsrc num-buffers=3 ! video/x-raw,format=NV12,width=64,height=48 ! bnnclassify ! fakesink
check "print=true: a line per result on standard output" 0 "^frame 2: [^ ].* [01]\.[0-9]{4}.* ms\)" -- \
  gst-launch-1.0 -q videotestsrc num-buffers=3 ! video/x-raw,format=NV12,width=64,height=48 ! bnnclassify print=true top-k=2 ! fakesink
check "the plugin states its licence" 0 "License +Apache-2.0" -- gst-inspect-1.0 bnnclassify
check "a missing model is an error" 255 "cannot open" -- \
  gst-launch-1.0 videotestsrc num-buffers=2 ! bnnclassify model=/nonexistent.bnn ! fakesink
echo "not a model" >"$work/bad.bnn"
check "a bad model is an error" 255 "bnnclassify: .*bad.bnn" -- \
  gst-launch-1.0 videotestsrc num-buffers=2 ! bnnclassify model="$work/bad.bnn" ! fakesink
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

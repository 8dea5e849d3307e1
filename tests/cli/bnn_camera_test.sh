#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bnn-camera as a user runs it: ffmpeg's test source and generated frames on
# standard input in several formats, every Nth frame, rotation and region, a
# padded stride, the sneaker photo as NV12; a cut-off stream, a missing camera
# and bad usage get clear errors.
# Usage: bnn_camera_test.sh BNN_CAMERA SOURCE_DIR
set -u
camera=$1
source_dir=$2
source "$(dirname "$0")/check.sh"

lines() {  # lines N COMMAND...: the command succeeds and prints exactly N frame lines
  local n=$1
  shift
  local out status got
  out=$("$@" 2>/dev/null)
  status=$?
  [ "$status" -eq 0 ] || { echo "exit status $status"; return 1; }
  got=$(grep -c '^frame [0-9]*: ' <<<"$out")
  [ "$got" -eq "$n" ] || { echo "$got frame lines, expected $n"; return 1; }
}

check "--help" 0 "--format" -- "$camera" --help
check "no format" 2 "--format is required" -- "$camera" --size 32x24
check "bad size" 2 "WIDTHxHEIGHT" -- "$camera" --format NV12 --size 32
check "unknown format: the valid names listed" 2 "'MJPEG' is not one of: GRAY8 .* NV12" -- "$camera" --format MJPEG --size 32x24
check "bad rotation" 2 "--rotate" -- "$camera" --format NV12 --size 32x24 --rotate 45

if command -v ffmpeg >/dev/null; then
  ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=30 -frames 20 -pix_fmt nv12 -f rawvideo "$work/testsrc.nv12"
  check "ffmpeg's test source, NV12: a line per frame" 0 "" -- lines 20 sh -c "'$camera' --format NV12 --size 320x240 < '$work/testsrc.nv12'"
  check "lines carry label, latency and fps" 0 "^frame 19: .+ [0-9.]+% \(convert [0-9.]+ ms, network [0-9.]+ ms, [0-9.]+ fps\)" -- \
    sh -c "'$camera' --format NV12 --size 320x240 < '$work/testsrc.nv12'"
  for name in nv12 Nv12; do
    check "--format $name (any case)" 0 "" -- lines 3 sh -c "'$camera' --format=$name --size=320x240 --frames 3 < '$work/testsrc.nv12'"
  done
  ffmpeg -v error -f lavfi -i testsrc=size=64x48:rate=30 -frames 2 -pix_fmt yuyv422 -f rawvideo "$work/testsrc.yuyv"
  for name in YUY2 yuyv422 YUYV; do
    check "--format $name (GStreamer's, ffmpeg's and our name)" 0 "" -- lines 2 sh -c "'$camera' --format $name --size 64x48 < '$work/testsrc.yuyv'"
  done
  check "--every 5" 0 "" -- lines 4 sh -c "'$camera' --format NV12 --size 320x240 --every 5 < '$work/testsrc.nv12'"
  check "--frames 3" 0 "" -- lines 3 sh -c "'$camera' --format NV12 --size 320x240 --frames 3 < '$work/testsrc.nv12'"
  check "--rotate 90 --roi" 0 "" -- lines 20 sh -c "'$camera' --format NV12 --size 320x240 --rotate 90 --roi 40,0,240,240 --matrix bt709 < '$work/testsrc.nv12'"
  ffmpeg -v error -i "$source_dir/examples/images/sneaker_photo.jpg" -vf scale=320:240 -pix_fmt yuyv422 -f rawvideo "$work/sneaker.yuyv"
  check "the sneaker photo as YUYV is a sneaker" 0 "^frame 0: Sneaker" -- sh -c "'$camera' --format YUYV --size 320x240 < '$work/sneaker.yuyv'"
  check "a region outside the frame" 1 "region of interest" -- \
    sh -c "'$camera' --format NV12 --size 320x240 --roi 300,0,40,40 < '$work/testsrc.nv12'"
fi

# Generated frames in other formats: 5 frames each of random bytes.
for spec in GRAY8:1 RGB888:3 BGRX8888:4 I420:1.5 YUYV:2; do
  format=${spec%%:*}
  head -c $((5 * 4 * 97 * 61 + 5 * 4 * 200)) /dev/urandom > "$work/random.raw"
  size=$(/usr/bin/python3 -c "
import math; w,h=97,61; f='$format'
print({'GRAY8':w*h,'RGB888':3*w*h,'BGRX8888':4*w*h,'I420':w*h+2*math.ceil(w/2)*math.ceil(h/2),'YUYV':4*math.ceil(w/2)*h}[f])")
  head -c $((5 * size)) "$work/random.raw" > "$work/frames.raw"
  check "$format 97x61: five generated frames" 0 "" -- lines 5 sh -c "'$camera' --format $format --size 97x61 < '$work/frames.raw'"
done
# A padded stride: 30-pixel grey rows stored 32 bytes apart.
head -c $((3 * 32 * 20)) /dev/urandom > "$work/strided.raw"
check "--stride 32 for 30-pixel rows" 0 "3 frames" -- sh -c "'$camera' --format GRAY8 --size 30x20 --stride 32 < '$work/strided.raw'"
check "a stride shorter than a row" 1 "stride of 32 bytes is shorter than a row" -- sh -c "'$camera' --format RGB888 --size 30x20 --stride 32 < '$work/strided.raw'"
# Sizes at the limits: refused naming the field and the limit, never std::bad_alloc.
check "a 1 GiB stride" 1 "needs more than 1073741824 bytes \(kMaxFrameBytes\)" -- sh -c \
  "'$camera' --format GRAY8 --size 64x64 --stride 1073741824 < /dev/null"
check "a 16384x16384 frame" 1 "more than 67108864 pixels \(kMaxImagePixels\)" -- sh -c \
  "'$camera' --format RGB888 --size 16384x16384 < /dev/null"

head -c 1000 /dev/zero > "$work/short.raw"
check "a stream that ends inside a frame" 1 "ended inside frame 0 \(1000 of 1152 bytes\)" -- \
  sh -c "'$camera' --format NV12 --size 32x24 < '$work/short.raw'"
check "an empty stream" 0 "0 frames" -- sh -c "'$camera' --format NV12 --size 32x24 < /dev/null"
check "a missing camera" 1 "/dev/video-none: cannot open the camera" -- \
  "$camera" --format NV12 --size 320x240 --device /dev/video-none
check "a model that is not one" 1 "bnn-camera: " -- sh -c "'$camera' --format NV12 --size 32x24 --model '$work/short.raw' < /dev/null"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

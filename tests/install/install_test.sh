#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The library as an embedder gets it: `cmake --install` into a fresh prefix,
# the installed headers free of FlatBuffers and OpenMP, and examples/c built
# against the installed package four ways (CMake and pkg-config, shared and
# static), each classifying a camera frame (the bundled sneaker photo as NV12,
# made by ffmpeg) as a sneaker.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
source_dir=$2
source "$source_dir/tests/cli/check.sh"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name libbnn.a | head -1)")
for f in include/bnn/bnn.h include/bnn/engine.h include/bnn/image.h include/bnn/classifier.h; do
  check "installed $f" 0 "" -- test -f "$prefix/$f"
done
check "installed libbnn.so" 0 "" -- test -f "$libdir/libbnn.so"
check "installed bnn.pc" 0 "" -- test -f "$libdir/pkgconfig/bnn.pc"
check "installed bnnConfig.cmake" 0 "" -- test -f "$libdir/cmake/bnn/bnnConfig.cmake"
# Every header the public ones pull in, from the installed tree: none is FlatBuffers' (nor OpenMP's, which the engine does not use).
printf '#include <bnn/bnn.h>\n#include <bnn/classifier.h>\n' >"$work/all.cc"
check "the C++ headers compile from the prefix alone" 0 "" -- \
  sh -c "c++ -std=c++17 -fsyntax-only -H -I'$prefix/include' '$work/all.cc' 2>'$work/headers.txt'"
check "the headers include no FlatBuffers or OpenMP header" 1 "" -- grep -E "flatbuffers|omp\.h" "$work/headers.txt"
echo '#include <bnn/bnn.h>
int main(void) { return bnn_version()[0] == 0; }' > "$work/c99.c"
check "bnn.h is C99" 0 "" -- cc -std=c99 -Wall -Wextra -Werror -pedantic -c -I"$prefix/include" "$work/c99.c" -o "$work/c99.o"

# A frame from a camera-like source: the sneaker photo at 320x240, NV12.
ffmpeg -v error -i "$source_dir/examples/images/sneaker_photo.jpg" -vf scale=320:240 -pix_fmt nv12 -f rawvideo \
  "$work/frame.nv12" || { echo "ffmpeg failed"; exit 1; }
model=$prefix/share/bnn/models/fashion_mnist.bnn
example=$source_dir/examples/c

cmake -S "$example" -B "$work/cmake-shared" -DCMAKE_PREFIX_PATH="$prefix" >"$work/c1.log" 2>&1 &&
  cmake --build "$work/cmake-shared" >>"$work/c1.log" 2>&1 || cat "$work/c1.log"
check "CMake, shared: classifies the frame" 0 "^Sneaker" -- \
  env LD_LIBRARY_PATH="$libdir" "$work/cmake-shared/classify_frame" "$model" "$work/frame.nv12" NV12 320 240
cmake -S "$example" -B "$work/cmake-static" -DCMAKE_PREFIX_PATH="$prefix" -DBNN_STATIC=ON >"$work/c2.log" 2>&1 &&
  cmake --build "$work/cmake-static" >>"$work/c2.log" 2>&1 || cat "$work/c2.log"
check "CMake, static: classifies the frame" 0 "^Sneaker" -- \
  "$work/cmake-static/classify_frame" "$model" "$work/frame.nv12" NV12 320 240
check "CMake, static: no libbnn.so needed" 1 "" -- sh -c "ldd '$work/cmake-static/classify_frame' | grep libbnn"

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc "$example/classify_frame.c" $(pkg-config --cflags --libs bnn) -o "$work/pc-shared" 2>"$work/p1.log" || cat "$work/p1.log"
check "pkg-config, shared: classifies the frame" 0 "^Sneaker" -- \
  env LD_LIBRARY_PATH="$libdir" "$work/pc-shared" "$model" "$work/frame.nv12" NV12 320 240
cc "$example/classify_frame.c" $(pkg-config --cflags --libs bnn-static) -o "$work/pc-static" 2>"$work/p2.log" || cat "$work/p2.log"
check "pkg-config bnn-static: classifies the frame" 0 "^Sneaker" -- \
  "$work/pc-static" "$model" "$work/frame.nv12" NV12 320 240
check "pkg-config bnn-static: no libbnn.so is linked" 1 "" -- sh -c "objdump -p '$work/pc-static' | grep -q 'NEEDED.*libbnn'"
check "a frame of the wrong size is refused" 1 "needs" -- \
  "$work/pc-static" "$model" "$work/frame.nv12" NV12 320 241
# The Python package, where the build made one: installed where Debian's
# /usr/bin/python3 looks, for the default prefix (/usr/local) and the packages' (/usr), and importable.
extension=$(find "$prefix" -name "_bnn.cpython-*.so" | head -1)
if [ -n "$extension" ]; then
  site=$(dirname "$(dirname "$extension")")
  relative=${site#"$prefix"/}
  check "the Python package goes where /usr/bin/python3 looks under /usr/local and /usr ($relative)" 0 "" -- \
    /usr/bin/python3 -c "import sys; sys.exit(not {'/usr/local/$relative', '/usr/$relative'} <= set(sys.path))"
  check "the installed Python package imports and runs" 0 "^\(10,\)$" -- env -u PYTHONPATH sh -c \
    "cd / && PYTHONPATH='$site' /usr/bin/python3 -c 'import bnn, numpy as np; print(bnn.Model(\"$build/models/fashion_bnn.bnn\").run(np.zeros((1, 28, 28), np.float32)).shape)'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

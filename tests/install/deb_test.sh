#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages (cpack) of a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr: their names, architecture, dependencies (no
# Python but python3-bnn's, no oneDNN) and contents; then the packaged tools, unpacked into a
# scratch root, classify the sneaker photo (under qemu for an ARM build).
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR DEB_ARCH [QEMU SYSROOT]
set -u
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
arch=$3
qemu=${4:-}
sysroot=${5:-}
source "$source_dir/tests/cli/check.sh"

(cd "$build" && cpack -B "$work/debs" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; echo "0 passed, 1 failed"; exit 1; }
deb() { ls "$work/debs/$1"_*_"$arch".deb 2>/dev/null | head -1; }
for p in libbnn0 libbnn-dev bnn-tools; do
  check "$p is built for $arch" 0 "" -- test -n "$(deb $p)"
done
check "libbnn0 holds the shared library" 0 "usr/lib/.*libbnn\.so\.0\.1\.0" -- dpkg-deb -c "$(deb libbnn0)"
check "libbnn-dev holds bnn.h" 0 "usr/include/bnn/bnn\.h" -- dpkg-deb -c "$(deb libbnn-dev)"
check "libbnn-dev holds libbnn.a, bnn.pc and the CMake package" 0 "" -- sh -c \
  "dpkg-deb -c '$(deb libbnn-dev)' | grep -q 'libbnn\.a' && dpkg-deb -c '$(deb libbnn-dev)' | grep -q 'pkgconfig/bnn\.pc' && dpkg-deb -c '$(deb libbnn-dev)' | grep -q 'cmake/bnn/bnnConfig\.cmake'"
check "bnn-tools holds bnn-classify and the bundled model" 0 "" -- sh -c \
  "dpkg-deb -c '$(deb bnn-tools)' | grep -q 'usr/bin/bnn-classify' && dpkg-deb -c '$(deb bnn-tools)' | grep -q 'share/bnn/models/fashion_mnist\.bnn'"
check "bnn-tools depends on no Python or oneDNN" 1 "" -- sh -c "dpkg-deb -f '$(deb bnn-tools)' Depends | grep -Ei 'python|dnnl'"
check "bnn-tools needs no ONNX or protobuf (bnn-convert is bnn-converter's)" 1 "" -- sh -c \
  "dpkg-deb -f '$(deb bnn-tools)' Depends | grep -Ei 'onnx|protobuf' || dpkg-deb -c '$(deb bnn-tools)' | grep -q 'bin/bnn-convert'"
if grep -q "^BNN_BUILD_CONVERTER:BOOL=ON" "$build/CMakeCache.txt"; then
  check "bnn-converter holds bnn-convert and depends on ONNX and protobuf" 0 "" -- sh -c \
    "dpkg-deb -c '$(deb bnn-converter)' | grep -q 'usr/bin/bnn-convert' && dpkg-deb -f '$(deb bnn-converter)' Depends | grep -q 'libonnx1.*libprotobuf32'"
fi
for d in "$work"/debs/*_"$arch".deb; do
  p=$(dpkg-deb -f "$d" Package)
  check "$p carries the licence and third-party notices" 0 "" -- sh -c \
    "dpkg-deb -c '$d' | grep -q 'usr/share/doc/$p/LICENSE' && dpkg-deb -c '$d' | grep -q 'usr/share/doc/$p/THIRD_PARTY_NOTICES.md'"
done
check "libbnn0's architecture is $arch" 0 "^$arch$" -- dpkg-deb -f "$(deb libbnn0)" Architecture
# The element must be packaged whenever the build looked for GStreamer and
# found it: natively, or (ARM) in a GStreamer sysroot, .ci/arm_gst_sysroot.sh.
if grep -q "^GST_FOUND:INTERNAL=1" "$build/CMakeCache.txt" || grep -q "^BNN_GST_SYSROOT:PATH=." "$build/CMakeCache.txt"; then
  check "gstreamer1.0-bnn is built for $arch" 0 "" -- test -n "$(deb gstreamer1.0-bnn)"
  # Debian's GStreamer looks in /usr/lib/<multiarch>/gstreamer-1.0 only.
  check "gstreamer1.0-bnn holds the element where GStreamer looks" 0 "usr/lib/[a-z0-9_]+-linux-gnu[a-z]*/gstreamer-1.0/libgstbnnclassify\.so" -- \
    dpkg-deb -c "$(deb gstreamer1.0-bnn)"
  # Each GStreamer library the element links is provided by a package it depends on.
  dpkg-deb -x "$(deb gstreamer1.0-bnn)" "$work/gst"
  element=$(find "$work/gst" -name libgstbnnclassify.so | head -1)
  depends=$(dpkg-deb -f "$(deb gstreamer1.0-bnn)" Depends)
  for lib in $(objdump -p "$element" | awk '/NEEDED/ && /libg(st|lib|object)/ { print $2 }'); do
    case $lib in
      libgstreamer-1.0*|libgstbase-1.0*) want=libgstreamer1.0-0 ;;
      libgstvideo-1.0*) want=libgstreamer-plugins-base1.0-0 ;;
      libglib-2.0*|libgobject-2.0*) want=libglib2.0-0 ;;
      *) want="a package for $lib" ;;
    esac
    check "gstreamer1.0-bnn depends on $want (the element needs $lib)" 0 "" -- grep -qF "$want" <<<"$depends"
  done
  if [ -z "$qemu" ]; then  # the installed tree's element, found and run with no model path (the bundled one)
    plugin_dir=$(dirname "$element")
    check "gst-inspect-1.0 finds the packaged element (Apache-2.0)" 0 "License +Apache-2.0" -- \
      env GST_PLUGIN_PATH="$plugin_dir" GST_REGISTRY="$work/registry.bin" gst-inspect-1.0 bnnclassify
    check "the packaged element runs with no model property" 0 "^frame 1: " -- \
      env GST_PLUGIN_PATH="$plugin_dir" GST_REGISTRY="$work/registry.bin" gst-launch-1.0 -q videotestsrc num-buffers=2 ! \
      video/x-raw,format=NV12,width=64,height=48 ! bnnclassify print=true ! fakesink
  fi
fi

# The Python package, where this build made one: in Debian's dist-packages,
# depending on the CPython it was built for, importable from the unpacked tree.
if grep -q "^BNN_PYTHON_VERSION_MINOR:INTERNAL=" "$build/CMakeCache.txt" && \
   grep -q "^BNN_BUILD_CONVERTER:BOOL=ON" "$build/CMakeCache.txt"; then
  check "python3-bnn is built for $arch" 0 "" -- test -n "$(deb python3-bnn)"
  check "python3-bnn holds the package in /usr/lib/python3.X/dist-packages" 0 "" -- sh -c \
    "dpkg-deb -c '$(deb python3-bnn)' | grep -q 'usr/lib/python3.[0-9]*/dist-packages/bnn/__init__\.py' && dpkg-deb -c '$(deb python3-bnn)' | grep -q 'usr/lib/python3.[0-9]*/dist-packages/bnn/_bnn\.cpython-[0-9]*-.*\.so'"
  check "python3-bnn depends on its CPython, numpy, ONNX and protobuf" 0 "" -- sh -c \
    "dpkg-deb -f '$(deb python3-bnn)' Depends | grep -q 'python3 (>= 3\.[0-9]*), python3 (<< 3\.[0-9]*), python3-numpy, libonnx1, libprotobuf32'"
  if [ -z "$qemu" ]; then
    dpkg-deb -x "$(deb python3-bnn)" "$work/py"
    # On a CI machine (root, disposable): installed for real with dpkg, imported with no PYTHONPATH, removed.
    if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && ! dpkg -s python3-bnn >/dev/null 2>&1; then
      check "dpkg installs python3-bnn (its dependencies present)" 0 "" -- dpkg -i "$(deb python3-bnn)"
      check "/usr/bin/python3 -c 'import bnn' after installing the package" 0 "^bnn [0-9]+\.[0-9]+\.[0-9]+$" -- \
        env -u PYTHONPATH sh -c "cd / && /usr/bin/python3 -c 'import bnn; print(\"bnn\", bnn.__version__)'"
      check "dpkg removes python3-bnn" 0 "" -- dpkg -r python3-bnn
    fi
    check "the packaged Python package imports and classifies" 0 "^Sneaker$" -- env -u PYTHONPATH sh -c \
      "cd / && PYTHONPATH=\$(echo '$work'/py/usr/lib/python3.*/dist-packages) /usr/bin/python3 -c 'import bnn; print(bnn.Model(\"$build/models/fashion_bnn.bnn\").classify(\"$source_dir/examples/images/sneaker_photo.jpg\")[0][0])'"
  fi
fi

root=$work/root
for p in libbnn0 bnn-tools; do dpkg-deb -x "$(deb $p)" "$root"; done
classify=$root/usr/bin/bnn-classify
if [ -n "$qemu" ]; then
  check "the packaged bnn-classify runs (qemu)" 0 "Sneaker" -- "$qemu" -L "$sysroot" "$classify" \
    --model "$root/usr/share/bnn/models/fashion_mnist.bnn" "$source_dir/examples/images/sneaker_photo.jpg"
else
  check "the packaged bnn-classify runs" 0 "Sneaker" -- "$classify" \
    --model "$root/usr/share/bnn/models/fashion_mnist.bnn" "$source_dir/examples/images/sneaker_photo.jpg"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the tools do to the files they write and to special files they read
# (docs/reliability.md, "Files"): an output replaces a regular file atomically
# (symlinks followed, mode kept, nothing left behind, the old file intact on
# any failure), never a device or FIFO; a FIFO given as input is refused at
# once instead of blocking.
# Usage: file_safety_test.sh BNN_RUN BNN_TUNE BUILD_DEMO_MODEL [BNN_CONVERT BNN_CLASSIFY ONNX]
set -u -o pipefail
bnn_run=$1
bnn_tune=$2
build_demo=$3
bnn_convert=${4:-}
bnn_classify=${5:-}
onnx=${6:-}
source "$(dirname "$0")/check.sh"

"$build_demo" "$work/demo.bnn" "$work/in.npy" >/dev/null || { echo "FAIL: build-demo-model"; exit 1; }
run() { "$bnn_run" --model "$work/demo.bnn" --input "$work/in.npy" "$@"; }
# No temporary (".NAME.XXXXXX") is left in DIR.
no_temporaries() { ! ls -A "$1" | grep -q '^\.'; }
# Succeeds when COMMAND succeeds and its output holds none of BYTES.
without_bytes() {  # without_bytes BYTES COMMAND...
  local bytes=$1 out
  shift
  out=$("$@" 2>&1) || return 2
  ! grep -q "[$bytes]" <<<"$out"
}

# Outputs: regular files, symlinks, modes.
check "a new output" 0 "" -- run --output "$work/out.npy"
check "a new output gets 0666 less the umask" 0 "^644$" -- bash -c "umask 022 && rm -f '$work/m.npy' && \
  '$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' --output '$work/m.npy' && stat -c %a '$work/m.npy'"
echo old > "$work/private.npy"; chmod 600 "$work/private.npy"
check "a replaced file keeps its mode" 0 "^600$" -- bash -c "'$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' \
  --output '$work/private.npy' && stat -c %a '$work/private.npy'"
check "and holds the new output" 0 "" -- cmp "$work/out.npy" "$work/private.npy"
mkdir "$work/real"; echo old > "$work/real/target.npy"; ln -s real/target.npy "$work/link.npy"
check "a symlink is written through" 0 "" -- run --output "$work/link.npy"
check "the link stays a link" 0 "" -- test -L "$work/link.npy"
check "its target holds the output" 0 "" -- cmp "$work/out.npy" "$work/real/target.npy"
check "no temporary beside the target" 0 "" -- no_temporaries "$work/real"
ln -s real/absent.npy "$work/dangling.npy"
check "a dangling symlink creates its target" 0 "" -- bash -c "'$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' \
  --output '$work/dangling.npy' && cmp '$work/out.npy' '$work/real/absent.npy'"
echo mine > "$work/planted.npy.partial"; ln -s "$work/victim" "$work/x.npy.partial"; echo victim > "$work/victim"
check "files named like old temporaries are left alone" 0 "" -- bash -c "'$bnn_run' --model '$work/demo.bnn' \
  --input '$work/in.npy' --output '$work/planted.npy' && grep -qx mine '$work/planted.npy.partial' && \
  '$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' --output '$work/x.npy' && grep -qx victim '$work/victim'"
check "standard output with -" 0 "^NUMPY" -- bash -c "'$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' --output - \
  | head -c 6 | tail -c 5"

# Special files are refused, never replaced.
check "a device is refused" 1 "not a regular file.*refusing" -- run --output /dev/null
check "/dev/full is refused (exit 1, not 0)" 1 "not a regular file" -- run --output /dev/full
check "the device is still a device" 0 "" -- test -c /dev/null
mkfifo "$work/fifo"
check "a FIFO output is refused" 1 "not a regular file" -- timeout 10 "$bnn_run" --model "$work/demo.bnn" \
  --input "$work/in.npy" --output "$work/fifo"
check "a directory output is refused" 1 "a directory" -- run --output "$work/real"

# A file the user may not write is not replaced, though its directory is
# writable (as root: checked as the user nobody).
shared=$(mktemp -d)
chmod 777 "$shared"
cp "$work/demo.bnn" "$work/in.npy" "$shared/" && chmod 644 "$shared/demo.bnn" "$shared/in.npy"
echo old > "$shared/read_only.npy"
chmod 444 "$shared/read_only.npy"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if "${as_user[@]}" test -x "$bnn_run"; then
  check "a read-only file is not replaced" 1 "refusing to replace a file you may not write" -- "${as_user[@]}" \
    "$bnn_run" --model "$shared/demo.bnn" --input "$shared/in.npy" --output "$shared/read_only.npy"
  check "it keeps its contents" 0 "^old$" -- cat "$shared/read_only.npy"
else
  echo "skip a read-only file is not replaced ($bnn_run is not executable as nobody)"
fi
rm -rf "$shared"

# Standard output that cannot be written is an error, not exit 0.
check "a report to /dev/full" 1 "cannot write standard output" -- bash -c "'$bnn_run' --info '$work/demo.bnn' > /dev/full"

# Write failures: exit 1 with the reason, the old file intact, no temporary.
echo old > "$work/big.npy"
# The output of 40 images passes a 1 KiB file-size limit.
{ printf '\x93NUMPY\x01\x00\x76\x00'; printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 3, 32, 32), }";
  head -c $((40 * 3 * 32 * 32 * 4)) /dev/zero; } > "$work/batch.npy"
check "a file-size limit is a write error" 1 "cannot write \(File too large\)" -- bash -c "ulimit -f 1 && \
  '$bnn_run' --model '$work/demo.bnn' --input '$work/batch.npy' --output '$work/big.npy'"
check "the old file is intact" 0 "^old$" -- cat "$work/big.npy"
check "no temporary is left" 0 "" -- no_temporaries "$work"

# Special files as inputs: refused at once (timeout would give 124).
check "a FIFO model is refused" 1 "not a regular file \(a FIFO\)" -- timeout 10 "$bnn_run" --model "$work/fifo" \
  --input "$work/in.npy" --output "$work/o.npy"
check "a FIFO input is refused" 1 "not a regular file \(a FIFO\)" -- timeout 10 "$bnn_run" --model "$work/demo.bnn" \
  --input "$work/fifo" --output "$work/o.npy"
check "--info on a FIFO is refused" 1 "not a regular file" -- timeout 10 "$bnn_run" --info "$work/fifo"
check "a device input is refused" 1 "not a regular file \(a character device\)" -- timeout 10 "$bnn_run" \
  --model "$work/demo.bnn" --input /dev/zero --output "$work/o.npy"

# A 3 GB file that is no .npy (sparse: no disk used) is refused from its first
# bytes at once (it was read whole first: 26 s and 3.1 GB; the timeout catches that).
truncate -s 3G "$work/huge.npy"
check "a 3 GB non-.npy input is refused from its header" 1 "not a \.npy file" -- \
  timeout 10 "$bnn_run" --model "$work/demo.bnn" --input "$work/huge.npy" --output "$work/o.npy"
rm -f "$work/huge.npy"

# bnn-tune: its model output, and a FIFO model.
check "bnn-tune on a FIFO model" 1 "not a regular file" -- timeout 10 "$bnn_tune" "$work/fifo" -o "$work/t.bnn"
check "bnn-tune to a device" 1 "not a regular file" -- "$bnn_tune" "$work/demo.bnn" -o /dev/null --budget-seconds 1
check "bnn-tune to standard output" 0 "" -- bash -c "'$bnn_tune' '$work/demo.bnn' -o - --budget-seconds 1 2>/dev/null \
  > '$work/tuned.bnn' && '$bnn_run' --info '$work/tuned.bnn' >/dev/null"

if [ -n "$bnn_convert" ]; then
  echo old > "$work/converted.bnn"; chmod 640 "$work/converted.bnn"
  check "bnn-convert keeps the mode" 0 "^640$" -- bash -c "'$bnn_convert' '$onnx' -o '$work/converted.bnn' 2>/dev/null && \
    stat -c %a '$work/converted.bnn'"
  check "bnn-convert to a device" 1 "not a regular file" -- "$bnn_convert" "$onnx" -o /dev/null
  check "bnn-convert from a FIFO" 1 "not a regular file" -- timeout 10 "$bnn_convert" "$work/fifo" -o "$work/c.bnn"
  check "bnn-convert --labels from a FIFO" 1 "not a regular file" -- timeout 10 "$bnn_convert" "$onnx" \
    -o "$work/c.bnn" --labels "$work/fifo"
  check "bnn-convert to standard output" 0 "" -- bash -c "'$bnn_convert' '$onnx' -o - 2>/dev/null > '$work/c.bnn' && \
    cmp '$work/c.bnn' '$work/converted.bnn'"

  # A non-finite output: exit 1 saying so, and the dumps still written (they
  # show where the NaN starts). A float model of two layers: average pool, dense.
  if /usr/bin/python3 - "$work/float.onnx" <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]), helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Gemm", ["f", "w"], ["y"], transB=1)]
w = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
graph = helper.make_graph(nodes, "float", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [w])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
  then
    "$bnn_convert" "$work/float.onnx" -o "$work/float.bnn" 2>/dev/null
    { printf '\x93NUMPY\x01\x00\x76\x00'; printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 4, 4), }";
      printf '\x00\x00\xc0\x7f'; head -c $((47 * 4)) /dev/zero; } > "$work/nan.npy"
    check "a NaN output is an error" 1 "not finite .* the input holds a non-finite value at element 0 .*dumps in" -- \
      "$bnn_run" --model "$work/float.bnn" --input "$work/nan.npy" --output "$work/nan_out.npy" --dump-dir "$work/nan_dumps"
    check "the dumps are written" 0 "^2$" -- bash -c "ls '$work/nan_dumps' | wc -l"
    check "the output is not" 1 "" -- test -e "$work/nan_out.npy"
  else
    echo "skip a NaN output is an error (no python3-onnx)"
  fi
fi
if [ -n "$bnn_classify" ]; then
  mkfifo "$work/picture.png"
  check "bnn-classify on a FIFO" 1 "not a regular file \(a FIFO\)" -- timeout 10 "$bnn_classify" "$work/picture.png"

  # Output hygiene: labels and a description with a newline and terminal
  # escapes, a file name that is not UTF-8.
  mapfile -t convert_args < "$(dirname "$onnx")/bnn-convert.args"
  { for i in 0 1 2 3 4 5 6 7 8; do printf 'class %d\n' "$i"; done; printf 'evil\033]0;owned\007\r\n'; } > "$work/labels.txt"
  # The escape sequence is in one label; a label line cannot hold a newline, the description can.
  check "a model with hostile labels converts" 0 "" -- "$bnn_convert" "$onnx" -o "$work/hostile.bnn" \
    --labels "$work/labels.txt" --description $'two\nlines \033[31mred' "${convert_args[@]}"
  check "--info escapes the description and labels" 0 'two\\x0alines \\x1b\[31mred' -- "$bnn_run" --info "$work/hostile.bnn"
  check "--info prints no ESC" 0 "" -- without_bytes $'\033' "$bnn_run" --info "$work/hostile.bnn"
  cp "$(dirname "$onnx")/../../examples/images/bag.png" "$work/$(printf 'bag\377.png')"
  check "text output escapes a label and a file name" 0 'bag\\xff\.png: ' -- \
    "$bnn_classify" --model "$work/hostile.bnn" --top 10 "$work/$(printf 'bag\377.png')"
  check "text output holds no ESC or BEL" 0 "" -- without_bytes $'\033\007' "$bnn_classify" --model "$work/hostile.bnn" \
    --top 10 "$work/$(printf 'bag\377.png')"
  check "JSON output parses, and gives back the file name's bytes" 0 "^ok$" -- bash -c "set -o pipefail; '$bnn_classify' --json \
    --model '$work/hostile.bnn' --top 10 '$work/'\$'bag\\377.png' | /usr/bin/python3 -c 'import json, os, sys
d = json.loads(sys.stdin.read())
assert os.fsencode(d[\"file\"]).endswith(b\"bag\\xff.png\"), d[\"file\"]
assert any(\"\\x1b\" in t[\"label\"] for t in d[\"top\"])  # the label itself, escaped by JSON
print(\"ok\")'"
fi
check "no temporary anywhere" 0 "" -- no_temporaries "$work"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

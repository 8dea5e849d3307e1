#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bnn-run as a user runs it: help, info, a run with dumps and timing, and the
# errors a user meets (missing or damaged model, wrong or broken input).
# Usage: bnn_run_test.sh BNN_RUN BUILD_DEMO_MODEL [BUNDLED_MODEL]
set -u
bnn_run=$1
build_demo=$2
long_names_model=${3:-}  # the bundled model's layer names are up to 49 characters
source "$(dirname "$0")/check.sh"

# A float32 .npy of zeros with the given shape tuple text and element count.
write_npy() {  # write_npy PATH "(1, 3, 4, 4)" COUNT
  local header="{'descr': '<f4', 'fortran_order': False, 'shape': $2, }"
  while [ $(( (10 + ${#header} + 1) % 64 )) -ne 0 ]; do header+=" "; done
  header+=$'\n'
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( ${#header} % 256 )))\\x$(printf %02x $(( ${#header} / 256 )))";
    printf '%s' "$header"; head -c $(( $3 * 4 )) /dev/zero; } > "$1"
}

"$build_demo" "$work/demo.bnn" "$work/in.npy" >/dev/null || { echo "FAIL: build-demo-model"; exit 1; }

check "help" 0 "--dump-dir" -- "$bnn_run" --help
check "help lists --no-verify" 0 "--no-verify" -- "$bnn_run" --help
check "no arguments is a usage error" 2 "required" -- "$bnn_run"
check "unknown flag" 2 "unknown option '--bogus'" -- "$bnn_run" --bogus
check "a misspelt flag names the right one" 2 "did you mean --repeat" -- "$bnn_run" --repaet 3
check "--version" 0 "^bnn-run [0-9]+\.[0-9]+\.[0-9]+$" -- "$bnn_run" --version
check "a typo in BNN_ISA is an error naming the valid values" 1 "BNN_ISA names 'avx512', which is not one of: portable, avx2" -- env BNN_ISA=avx512 "$bnn_run" --info "$work/demo.bnn"
# The wrong kind of file as a model: named, with what to do, never its raw bytes.
printf '\x08\x07\x12\x07pytorch\x1a\x041.13' > "$work/net.onnx"
check "an ONNX file as the model says to convert it" 1 "an ONNX model: convert it first: bnn-convert" -- "$bnn_run" --info "$work/net.onnx"
printf 'PK\x03\x04\x00\x00\x00\x00\x00\x00pytorch_model' > "$work/net.pt"
check "a checkpoint as the model says to convert it with --arch" 1 "a zip archive, as torch.save .*--arch" -- "$bnn_run" --info "$work/net.pt"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR' > "$work/photo.png"
check "a picture as the model says so" 1 "a picture, not a model" -- "$bnn_run" --info "$work/photo.png"
printf 'abcd\x1b[31\x01\x02rest of the file' > "$work/junk.bin"
check "an unknown file: its bytes escaped, not printed raw" 1 "bytes 4 to 7 are '\\\\x1b\[31'" -- "$bnn_run" --info "$work/junk.bin"
check "bad thread count" 2 "--threads needs a whole number" -- "$bnn_run" --threads 0 --model a --input b --output c
check "info shows the graph" 0 "BitserialConv2D +W1A1" -- "$bnn_run" --info "$work/demo.bnn"
check "info shows W2A2 and the schedule" 0 "W2A2 .*(bgemm_ukernel|bconv_direct|bitserial_conv)_[0-9x]+c1__[a-z0-9]+ \(default\)" -- "$bnn_run" --info "$work/demo.bnn"
check "info --json is one JSON object with every layer" 0 "^11 layers, input \[3, 32, 32\] first kind Conv2D$" -- bash -c \
  '"$1" --info "$2" --json | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d[\"layers\"]), \"layers, input\", d[\"input\"][\"shape_chw\"], \"first kind\", d[\"layers\"][0][\"kind\"])"' \
  _ "$bnn_run" "$work/demo.bnn"
check "--json alone is a usage error" 2 "--json goes with --info" -- "$bnn_run" --json --model a --input b --output c
# Every row's columns start where the header's do, however long the names.
check "info columns line up" 0 "^aligned [0-9]+ rows$" -- bash -c '"$1" --info "$2" | /usr/bin/python3 -c "$3"' _ \
  "$bnn_run" "${long_names_model:-$work/demo.bnn}" '
import re, sys
lines = [l.rstrip("\n") for l in sys.stdin]
header = next(l for l in lines if re.match(r"\s+#\s+layer", l))
rows = [l for l in lines if re.match(r"\s+\d+\s", l)]
starts = [header.index(c) for c in ("layer", "kind", "bits", "MACs", "kernel")]
bad = [r for r in rows if any(len(r) <= s or r[s - 1] != " " or r[s] == " " for s in starts)]
print(f"aligned {len(rows)} rows" if rows and not bad else bad)'
check "run with dumps and timing" 0 "median [0-9.]+ ms, p90" -- \
  "$bnn_run" --model "$work/demo.bnn" --input "$work/in.npy" --output "$work/out.npy" --dump-dir "$work/dump" --repeat 3
check "every layer dumped" 0 "^11$" -- bash -c "ls '$work/dump' | wc -l"
check "two threads give the same bytes" 0 "" -- bash -c \
  "'$bnn_run' --model '$work/demo.bnn' --input '$work/in.npy' --output '$work/out2.npy' --threads 2 && cmp '$work/out.npy' '$work/out2.npy'"
write_npy "$work/batch.npy" "(3, 3, 32, 32)" $((3 * 3 * 32 * 32))
check "a batch of three" 0 "" -- "$bnn_run" --model "$work/demo.bnn" --input "$work/batch.npy" --output "$work/batch_out.npy"
check "batch output is 3 x 10" 0 "'shape': \(3, 10\)" -- bash -c "head -c 128 '$work/batch_out.npy' | tr -d '\\000'"

check "missing model" 1 "cannot open" -- "$bnn_run" --model "$work/none.bnn" --input "$work/in.npy" --output "$work/o.npy"
head -c 700 "$work/demo.bnn" > "$work/truncated.bnn"
check "truncated model" 1 "damaged or truncated" -- "$bnn_run" --info "$work/truncated.bnn"
echo "hello" > "$work/text.npy"
check "input that is not .npy" 1 "not a .npy file" -- "$bnn_run" --model "$work/demo.bnn" --input "$work/text.npy" --output "$work/o.npy"
write_npy "$work/small.npy" "(1, 3, 4, 4)" 48
check "input of the wrong shape" 1 "does not match the model input" -- \
  "$bnn_run" --model "$work/demo.bnn" --input "$work/small.npy" --output "$work/o.npy"
write_npy "$work/short.npy" "(1, 3, 32, 32)" 100
check "input shorter than its header says" 1 "header promises 12288 bytes" -- \
  "$bnn_run" --model "$work/demo.bnn" --input "$work/short.npy" --output "$work/o.npy"
write_npy "$work/huge.npy" "(100000, 100000, 100000)" 1
check "huge claimed shape is refused before allocating" 1 "too large" -- \
  "$bnn_run" --model "$work/demo.bnn" --input "$work/huge.npy" --output "$work/o.npy"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

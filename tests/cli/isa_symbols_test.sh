#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every symbol an ISA-flagged object file exports must live in that ISA's
# namespace (bnn::avx2::, bnn::neon64::, ...). A shared inline function or
# template emitted there could be the copy the linker keeps for every caller,
# and crash a CPU without the ISA (ruy's reason for per-ISA symbols).
# Usage: isa_symbols_test.sh NM OBJECT_DIR
set -u
nm_tool=$1
dir=$2
checked=0
failed=0
for folder in x86_avx2:avx2 x86_avx512f:avx512f x86_avx512vpopcnt:avx512vpopcnt x86_avx512vnni:avx512vnni arm_neon64:neon64 arm_neon64dot:neon64dot arm_neon32:neon32; do
  sub=${folder%%:*}
  ns=${folder##*:}
  [ -d "$dir/$sub" ] || continue
  for object in "$dir/$sub"/*.o; do
    # DW.ref.__gxx_personality_v0 is a pointer to the C++ unwinder's
    # personality routine that some builds (the sanitizers') emit beside
    # unwind tables; "typeinfo [name] for <function type>" is what clang's
    # -fsanitize=function emits for the types of called function pointers.
    # Both data, not ISA code.
    stray=$("$nm_tool" -C --defined-only --extern-only "$object" | awk '{ $1 = ""; $2 = ""; sub(/^  /, ""); print }' |
            grep -v "^bnn::$ns::" | grep -vx "DW.ref.__gxx_personality_v0" |
            grep -vE "^typeinfo (name )?for [^(]*\(.*\)( noexcept)?$" || true)
    checked=$((checked + 1))
    if [ -n "$stray" ]; then
      echo "FAIL $object exports symbols outside bnn::$ns::"
      echo "$stray" | head -10
      failed=$((failed + 1))
    else
      echo "ok   $object"
    fi
  done
done
[ "$checked" -gt 0 ] || { echo "FAIL: no ISA object files found under $dir"; exit 1; }
echo "$((checked - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]

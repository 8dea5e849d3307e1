#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libbnn.so exports exactly the installed API: every C function bnn.h
# declares, the C++ names of engine.h, image.h and classifier.h, and nothing
# of the engine's internals (cmake/libbnn.map).
# Usage: exports_test.sh LIBBNN_SO SOURCE_DIR
set -u
lib=$1
headers=$2/engine/include/bnn
source "$2/tests/cli/check.sh"

exported=$(nm -D --defined-only "$lib" | awk '{ print $3 }')
declared_c=$(grep -ohE 'BNN_API [^(]*\bbnn_[a-z0-9_]+\(' "$headers/bnn.h" | grep -oE 'bnn_[a-z0-9_]+\($' | tr -d '(' | sort -u)
exported_c=$(grep -E '^bnn_' <<<"$exported" | sort -u)
check "every C function of bnn.h is exported" 0 "" -- test -z "$(comm -23 <(echo "$declared_c") <(echo "$exported_c"))"
check "no C symbol beyond bnn.h's is exported" 0 "" -- test -z "$(comm -13 <(echo "$declared_c") <(echo "$exported_c"))"

# The C++ symbols: the first name under bnn:: must be one the installed headers declare.
cpp_names=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3- | grep -v '^bnn_' |
            sed -E 's/^(typeinfo name for|typeinfo for|vtable for) //' | grep -oE '^bnn::[A-Za-z_0-9]+' | sort -u)
internal=""
for name in $cpp_names; do
  grep -qE "(class|struct) ${name#bnn::}\b|\b${name#bnn::}\(" "$headers/engine.h" "$headers/image.h" "$headers/classifier.h" ||
    internal+="$name "
done
check "every exported C++ name is declared in an installed header" 0 "" -- test -z "$internal"
check "the C++ API is exported (Model, Session, Classifier, Error's typeinfo)" 0 "" -- sh -c \
  "nm -D --defined-only -C '$lib' | grep -q 'bnn::Model::load_file' && nm -D --defined-only -C '$lib' | grep -q 'bnn::Session::run' &&
   nm -D --defined-only -C '$lib' | grep -q 'bnn::Classifier::top_k' && nm -D --defined-only -C '$lib' | grep -q 'typeinfo for bnn::Error'"
check "no symbol outside bnn_ and bnn:: is exported" 0 "" -- test -z "$(nm -D --defined-only -C "$lib" | cut -d' ' -f3- |
  grep -vE '^(bnn_|bnn::|typeinfo for bnn::|typeinfo name for bnn::|vtable for bnn::)')"
[ -n "$internal" ] && echo "internal names exported: $internal"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

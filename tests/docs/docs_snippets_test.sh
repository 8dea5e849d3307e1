#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every command the README and docs/ show, run as a reader runs it: each
# ```python and ```sh block of README.md and docs/*.md in order, in one work
# directory that looks like the repository root (build/bin is this build's
# tools, build/python its Python package, build/models its bundled model; the
# source folders are linked), with the files the text names made
# beforehand. Skipped, each with its reason: package installs and full builds
# (the README's two set-up commands are what CI runs), a camera, the full
# training run, and a script that rewrites the source tree.
# Usage: docs_snippets_test.sh BIN_DIR SOURCE_DIR BUNDLED_MODEL
set -u
bin=$1
source_dir=$2
bundled_model=$3
source "$source_dir/tests/cli/check.sh"

# Why a line is not run, or nothing when it is.
skip_reason() {
  case "$1" in
    *apt-get*|*apt\ install*) echo "installs packages" ;;
    cmake\ *|ctest\ *|\(cd\ *|cpack*) echo "a full build" ;;
    *libcamerasrc*|*/dev/video*) echo "needs a camera" ;;
    *train_fashion.py*) echo "the full training run" ;;
    *make_examples.py*) echo "rewrites examples/ in the source tree" ;;
  esac
}

cd "$work" || exit 1
mkdir -p build
ln -s "$bin" build/bin
ln -s "$(dirname "$bundled_model")" build/models
[ -n "${PYTHONPATH:-}" ] && ln -s "${PYTHONPATH%%:*}" build/python  # the package, as build/python
for d in apps docs examples models train tests; do ln -s "$source_dir/$d" "$d"; done
# The files the text names.
seq 0 9 | sed 's/^/class /' > labels.txt
/usr/bin/python3 -c "import numpy as np; np.save('images.npy', np.random.rand(2, 1, 28, 28).astype(np.float32))"
cp "$source_dir/examples/images/sneaker.png" picture.png
cp "$source_dir/examples/images/sneaker.png" a.png
cp "$source_dir/examples/images/sneaker_photo.jpg" my_photo.jpg
mkdir photos && cp "$source_dir"/examples/images/*.png photos/
cp "$bundled_model" net.bnn
cp "$bundled_model" M.bnn
# A ReActNet-18 checkpoint as its training code saves it, and DoReFa weights as safetensors.
/usr/bin/python3 - "$source_dir/tests/parity" <<'PY' || { echo "FAIL: making the checkpoints"; exit 1; }
import sys
sys.argv[1:] = [sys.argv[1]]
sys.path.insert(0, sys.argv[1])
import torch
import checkpoints
import models as suite
torch.manual_seed(0)
reactnet = checkpoints.randomize(checkpoints.ARCHS["reactnet18"]([16, 24, 40, 72], 10), seed=1)
torch.save({"epoch": 1, "state_dict": reactnet.state_dict()}, "checkpoint.pth.tar")
dorefa = suite.randomize(checkpoints.ARCHS["dorefa18-w2a2"]([16, 24, 40, 72], 10), seed=1)
checkpoints.save_safetensors("weights.safetensors", dorefa.state_dict())
PY

blocks=0
commands=0
for doc in "$source_dir/README.md" "$source_dir"/docs/*.md; do
  name=${doc#"$source_dir"/}
  python_so_far=""
  # Fences the runner knows: code to run (sh, python) or to read (c, cpp, text).
  unknown=$(grep -nE '^```[a-z]' "$doc" | grep -vE '```(sh|python|c|cpp|text)$')
  check "$name: every code block's language is known" 0 "" -- test -z "$unknown"
  # Each block as one record: its language, then its lines (a shell line's continuations joined).
  while IFS= read -r -d $'\x1e' block; do
    language=${block%%$'\n'*}
    body=${block#*$'\n'}
    blocks=$((blocks + 1))
    if [ "$language" = python ]; then
      # A document's Python blocks build on each other ("with the model above"): each runs after the earlier ones.
      python_so_far+="$body"$'\n'
      check "$name: a Python block runs after the ones before it" 0 "" -- \
        timeout 600 /usr/bin/python3 -c "$python_so_far" < /dev/null
      commands=$((commands + 1))
      continue
    fi
    while IFS= read -r line; do
      line=${line%%  #*}
      [ -z "${line// /}" ] && continue
      # A line of several commands (the README's set-up lines) runs the ones not skipped, in order.
      part_list=${line// && /$'\n'}
      to_run=""
      while IFS= read -r part; do
        reason=$(skip_reason "$part")
        if [ -n "$reason" ]; then echo "skip $name: $part ($reason)"; else to_run+="${to_run:+ && }$part"; fi
      done <<<"$part_list"
      [ -z "$to_run" ] && continue
      check "$name: $to_run" 0 "" -- timeout 600 bash -c "exec < /dev/null; $to_run"
      commands=$((commands + 1))
    done <<<"$body"
  done < <(awk '
    /^```(sh|python)$/ { lang = substr($0, 4); body = ""; inside = 1; next }
    inside && /^```/ { printf "%s\n%s\x1e", lang, body; inside = 0; next }
    inside && lang == "sh" && sub(/\\$/, "") { body = body $0; next }
    inside { body = body $0 "\n" }
  ' "$doc")
done
echo "$blocks blocks, $commands commands run"
check "the docs' commands ran" 0 "" -- test "$commands" -ge 20
check "the README's run wrote its output" 0 "" -- test -s logits.npy
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

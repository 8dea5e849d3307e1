#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's "Convert your PyTorch model" section run as a reader runs it:
# its Python block as it stands, then its shell block (build/bin replaced by
# this build's tools) on the files the text names.
# Usage: readme_convert_test.sh BIN_DIR SOURCE_DIR
set -u
bin=$1
source_dir=$2
source "$source_dir/tests/cli/check.sh"
readme=$source_dir/README.md
section=$(awk '/^## Convert your PyTorch model/ { f = 1; next } f && /^## / { exit } f' "$readme")
python_block=$(awk '/^```python/ { f = 1; next } f && /^```/ { exit } f' <<<"$section")
shell_block=$(awk '/^```sh/ { f = 1; next } f && /^```/ { exit } f' <<<"$section")
check "the section has a Python and a shell block" 0 "" -- test -n "$python_block" -a -n "$shell_block"

cd "$work" || exit 1
check "the Python block runs as it stands" 0 "" -- /usr/bin/python3 -c "$python_block"
# The files the text around the shell block names.
seq 0 9 | sed 's/^/class /' > labels.txt
/usr/bin/python3 -c "import numpy as np; np.save('images.npy', np.random.rand(2, 1, 28, 28).astype(np.float32))"
cp "$source_dir/examples/images/sneaker.png" picture.png
while IFS= read -r line; do
  [ -z "$line" ] && continue
  command=${line//build\/bin\//$bin/}
  command=${command%%#*}
  check "README: ${line%%#*}" 0 "" -- bash -c "$command"
done <<<"$shell_block"
check "the run wrote its output" 0 "" -- test -s logits.npy
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

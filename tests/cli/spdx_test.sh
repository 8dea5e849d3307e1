#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source, build and test script of the tree states its licence, and the
# licence files the packages ship exist.
# Usage: spdx_test.sh SOURCE_DIR
set -u
cd "$1" || exit 1
missing=$(find . \( -path ./build -o -path './build-*' -o -path ./.git -o -path ./tests/fuzz/corpus -o -path ./models \) -prune -o \
  -type f \( -name '*.cc' -o -name '*.h' -o -name '*.inc' -o -name '*.fbs' -o -name '*.py' -o -name '*.sh' -o -name '*.cmake' \
  -o -name '*.in' -o -name CMakeLists.txt \) -print | xargs grep -L "SPDX-License-Identifier: Apache-2.0")
if [ -n "$missing" ]; then echo "files without an SPDX line:"; echo "$missing"; echo "0 passed, 1 failed"; exit 1; fi
[ -s LICENSE ] && grep -q "Apache License" LICENSE && [ -s THIRD_PARTY_NOTICES.md ] || { echo "LICENSE or THIRD_PARTY_NOTICES.md missing"; exit 1; }
echo "1 passed, 0 failed"

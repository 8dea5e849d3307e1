# SPDX-License-Identifier: Apache-2.0
# Sourced by CI stages that run several "N passed, N failed" scripts:
# add_counts LOG adds LOG's last such line to $passed and $failed (a log
# without one counts as one failure: the script never reached its end).
passed=0
failed=0
add_counts() {
  local line
  line=$(grep -E "^[0-9]+ passed, [0-9]+ failed$" "$1" | tail -1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
  fi
}

// SPDX-License-Identifier: Apache-2.0
// A grouped bar chart of per-layer speedups, as SVG: one group per layer, one
// bar per precision, one panel per baseline, on a log2 axis (so 0.5x and 2x
// are the same distance from 1x). bnn-bench --plot writes it from measured
// times; docs/performance.md shows it.
#pragma once

#include <string>
#include <vector>

namespace bnn::bench {

struct SpeedupBar {
  std::string layer;      // "C2"
  std::string precision;  // "W1A1"
  std::string baseline;   // "oneDNN int8"
  double speedup = 0;     // baseline time / our time
};

// Throws std::runtime_error when the file cannot be written.
void write_speedup_svg(const std::string& path, const std::string& title, const std::vector<SpeedupBar>& bars);

}  // namespace bnn::bench

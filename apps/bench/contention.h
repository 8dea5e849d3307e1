// SPDX-License-Identifier: Apache-2.0
// The engine on a busy machine: a model's latency at 1 and 2 threads while
// idle, with another process spinning on a core, and with three engine
// processes sharing the cores (a Pi running a camera pipeline beside us).
#pragma once

#include <string>
#include <vector>

namespace bnn::bench {

struct ContentionRow {
  std::string load;             // what else runs
  double ms_1 = 0, ms_2 = 0;    // median latency at 1 and 2 threads (mean of the processes' medians)
};

// `runs` timed runs per measurement (after two warm-up runs). Forks the
// spinning and the sharing processes itself; call it with no session alive.
std::vector<ContentionRow> contention_study(const std::string& model_path, int runs);

}  // namespace bnn::bench

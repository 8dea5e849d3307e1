// SPDX-License-Identifier: Apache-2.0
// Shared by the model fuzzers: run a model that loaded, if it is small.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bnn/engine.h"

namespace bnn::fuzz {

// Runs once on zeros when the model is cheap (a fuzzed but valid model can ask
// for a huge convolution, which would only slow the fuzzer down).
inline void run_if_small(const std::shared_ptr<const Model>& model) {
  int64_t macs = 0;
  for (const LayerInfo& l : model->layers()) macs += l.macs;
  if (macs > 20'000'000 || model->arena_bytes() > (int64_t{64} << 20)) return;
  Session session(model);
  std::vector<float> input(model->input().element_count(), 0.0f), output(model->output().element_count());
  try {
    session.run(input.data(), output.data());
  } catch (const Error& e) {
    // The one documented failure of a run: a non-finite output (a fuzzed
    // float constant of 1e38 overflows). Anything else is a finding.
    if (std::string(e.what()).find("not finite") == std::string::npos) throw;
  }
}

}  // namespace bnn::fuzz

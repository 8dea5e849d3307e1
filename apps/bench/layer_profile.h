// SPDX-License-Identifier: Apache-2.0
// Per-layer time of a whole model inside the network: what bnn-bench --model
// reports and what bnn-tune's network check compares.
#pragma once

#include <vector>

#include "bnn/engine.h"

namespace bnn::bench {

// Runs `session` `runs` times on `input` and returns each layer's mean
// milliseconds: the gap between its layer callback and the previous one.
std::vector<double> layer_profile_ms(Session& session, const float* input, float* output, int runs);

}  // namespace bnn::bench

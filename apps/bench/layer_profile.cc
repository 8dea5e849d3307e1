// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/layer_profile.h"

#include <chrono>

namespace bnn::bench {

std::vector<double> layer_profile_ms(Session& session, const float* input, float* output, int runs) {
  std::vector<double> ms(session.model().layers().size(), 0.0);
  using clock = std::chrono::steady_clock;
  clock::time_point last;
  const Session::LayerObserver observe = [&](int layer, const TensorView&) {
    const clock::time_point now = clock::now();
    ms[layer] += std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
  };
  for (int r = 0; r < runs; ++r) {
    last = clock::now();
    session.run(input, output, observe);
  }
  for (double& v : ms) v /= runs;
  return ms;
}

}  // namespace bnn::bench

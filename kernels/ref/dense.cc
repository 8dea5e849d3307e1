// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/dense.h"

#include <cmath>

namespace bnn {

void dense_ref(const float* x, int in_features, const float* weights, int out_features,
               const FloatTransform& transform, float* out, void* scratch) {
  float* acc = static_cast<float*>(scratch);
  for (int o = 0; o < out_features; ++o) {
    const float* w = weights + static_cast<int64_t>(o) * in_features;
    float sum = 0.0f;
    for (int i = 0; i < in_features; ++i) sum += x[i] * w[i];
    acc[o] = sum;
  }
  transform_to_float(acc, out_features, transform, nullptr, out);
}

void softmax_ref(const float* x, int n, float* out) {
  float max_x = x[0];
  for (int i = 1; i < n; ++i) max_x = x[i] > max_x ? x[i] : max_x;
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    out[i] = std::exp(x[i] - max_x);
    sum += out[i];
  }
  for (int i = 0; i < n; ++i) out[i] = out[i] / sum;
}

void log_softmax_ref(const float* x, int n, float* out) {
  float max_x = x[0];
  for (int i = 1; i < n; ++i) max_x = x[i] > max_x ? x[i] : max_x;
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += std::exp(x[i] - max_x);
  const float log_sum = std::log(sum);
  for (int i = 0; i < n; ++i) out[i] = (x[i] - max_x) - log_sum;
}

}  // namespace bnn

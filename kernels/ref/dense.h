// SPDX-License-Identifier: Apache-2.0
// Reference dense (fully connected) layer and softmax.
#pragma once

#include <cstdint>

#include "kernels/output_transform.h"

namespace bnn {

// out[o] = transform(sum_i x[i] * w[o][i]), summed in ascending i from 0.
// `scratch`: out_features floats.
void dense_ref(const float* x, int in_features, const float* weights, int out_features,
               const FloatTransform& transform, float* out, void* scratch);

// out = exp(x - max x) / sum exp(x - max x), summed in ascending order.
void softmax_ref(const float* x, int n, float* out);

// out = x - max x - log(sum exp(x - max x)): PyTorch's log_softmax, summed in ascending order.
void log_softmax_ref(const float* x, int n, float* out);

}  // namespace bnn

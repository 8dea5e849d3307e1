// SPDX-License-Identifier: Apache-2.0
// Reference per-channel float layers over [rows][channels] data.
#pragma once

#include <cstdint>

#include "kernels/output_transform.h"

namespace bnn {

// y = x * scale[c] + bias[c] (folded inference batchnorm).
void batchnorm_ref(const float* x, int64_t rows, int channels, const float* scale, const float* bias, float* y);

// y = act(a + b).
void add_ref(const float* a, const float* b, int64_t rows, int channels, const ActivationParams& act, float* y);

// y = act(x).
void activation_ref(const float* x, int64_t rows, int channels, const ActivationParams& act, float* y);

// Channel concatenation: each output row is zeros_before zeros, then row r of
// every input (inputs[i] has channels[i] per row), then zeros_after zeros.
void concat_channels_ref(const float* const* inputs, const int* channels, int count, int64_t rows, int zeros_before,
                         int zeros_after, float* y);

}  // namespace bnn

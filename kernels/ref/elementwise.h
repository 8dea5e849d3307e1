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

}  // namespace bnn

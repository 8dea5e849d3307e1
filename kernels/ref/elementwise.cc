#include "kernels/ref/elementwise.h"

namespace bnn {

void batchnorm_ref(const float* x, int64_t rows, int channels, const float* scale, const float* bias, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < channels; ++c) {
      const int64_t i = r * channels + c;
      y[i] = x[i] * scale[c] + bias[c];
    }
  }
}

void add_ref(const float* a, const float* b, int64_t rows, int channels, const ActivationParams& act, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < channels; ++c) {
      const int64_t i = r * channels + c;
      y[i] = apply_activation(a[i] + b[i], c, act);
    }
  }
}

void activation_ref(const float* x, int64_t rows, int channels, const ActivationParams& act, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < channels; ++c) {
      const int64_t i = r * channels + c;
      y[i] = apply_activation(x[i], c, act);
    }
  }
}

}  // namespace bnn

// SPDX-License-Identifier: Apache-2.0
// The one shape convention of layers that take windows: activations are
// [H, W, C] images, and a bitserial layer also reads a vector [C] (after
// global pooling or a dense layer) as the 1x1 image [1, 1, C] and may write
// its 1x1 output as a vector [O] (a binarized fully connected layer). The
// bytes are the same either way (NHWC, one pixel).
#pragma once

#include <cstdint>

namespace bnn {

struct ImageDims {
  int64_t h = 0, w = 0, c = 0;
};

// [H, W, C] or [C]; anything else gives zeros.
template <typename Shape>
ImageDims image_dims(const Shape& shape) {
  if (shape.size() == 1) return {1, 1, static_cast<int64_t>(shape[0])};
  if (shape.size() == 3) return {static_cast<int64_t>(shape[0]), static_cast<int64_t>(shape[1]), static_cast<int64_t>(shape[2])};
  return {};
}

}  // namespace bnn

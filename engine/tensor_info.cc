// SPDX-License-Identifier: Apache-2.0
#include <vector>

#include "bnn/engine.h"
#include "engine/layout.h"
#include "kernels/bitpack.h"

namespace bnn {

int64_t TensorInfo::element_count() const { return product(shape); }

std::vector<int> TensorInfo::shape_chw() const {
  if (shape.size() != 3) return shape;
  return {shape[2], shape[0], shape[1]};
}

std::vector<float> TensorView::values_chw() const {
  const int64_t count = info->element_count();
  const int channels = info->shape.back();
  const int64_t rows = count / channels;
  std::vector<float> hwc(count);
  switch (info->type) {
    case ElementType::kFloat32: std::copy_n(static_cast<const float*>(data), count, hwc.begin()); break;
    case ElementType::kInt32: std::copy_n(static_cast<const int32_t*>(data), count, hwc.begin()); break;
    case ElementType::kInt8: std::copy_n(static_cast<const int8_t*>(data), count, hwc.begin()); break;
    case ElementType::kPacked: {
      std::vector<uint8_t> codes(count);
      unpack_codes(static_cast<const uint64_t*>(data), rows, channels, info->bits, codes.data());
      const Encoding e = info->bipolar ? Encoding::kBipolar : Encoding::kUnipolar;
      for (int64_t i = 0; i < count; ++i) hwc[i] = static_cast<float>(code_value(codes[i], info->bits, e));
      break;
    }
  }
  std::vector<float> chw(count);
  hwc_to_chw(hwc.data(), info->shape, chw.data());
  return chw;
}

}  // namespace bnn

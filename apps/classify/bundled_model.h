// SPDX-License-Identifier: Apache-2.0
// The model built into bnn-classify: models/fashion/fashion_bnn.onnx,
// converted by the build's own bnn-convert (so it always matches the schema
// this build reads) and linked in as read-only bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bnn {

struct BundledModel {
  const uint8_t* data = nullptr;  // nullptr when this build has none
  size_t size = 0;
};

BundledModel bundled_model();

}  // namespace bnn

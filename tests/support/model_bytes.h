// SPDX-License-Identifier: Apache-2.0
// Packing a model without validation, for tests that break models on purpose.
#pragma once

#include <cstdint>
#include <vector>

#include "model_format/schema.h"

namespace bnn::test {

inline std::vector<uint8_t> pack_unchecked(const fb::ModelT& model) {
  flatbuffers::FlatBufferBuilder fbb;
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, &model));
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

}  // namespace bnn::test

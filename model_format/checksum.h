// SPDX-License-Identifier: Apache-2.0
// The checksum of a model's constant data: catches a flipped or truncated
// weight byte that the structural and semantic checks cannot see (the weights
// of a valid model can take any value). An integrity check against accidents,
// not a signature against tampering.
#pragma once

#include <cstdint>

#include "model_format/schema.h"

namespace bnn {

// Over every Model.buffers entry in order: its index, its length and its bytes,
// mixed 8 bytes at a time (a 64-bit multiply-xorshift hash). Never 0.
uint64_t constants_checksum(const fb::Model& model);
uint64_t constants_checksum(const fb::ModelT& model);

}  // namespace bnn

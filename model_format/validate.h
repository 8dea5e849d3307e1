// SPDX-License-Identifier: Apache-2.0
// Model validation: what must hold before the engine touches a model.
//
// Two steps. The structural step checks the file identifier, runs the
// FlatBuffers verifier (every offset stays inside the buffer) and checks the
// schema version. The semantic step checks meaning the verifier cannot see:
// every index in range, enums in range, tensor sizes computed in 64 bits and
// equal to their buffers, layers in an order where each input exists before it
// is read, nothing written twice, and each layer's shape rules. After it
// passes, the engine reads the model without further checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model_format/limits.h"
#include "model_format/schema.h"

namespace bnn {

// Both steps. Returns "" when the model is valid, otherwise one message that
// names the tensor or layer and the rule it breaks.
std::string validate_model_bytes(const uint8_t* data, size_t size);

// The semantic step alone, for a buffer that passed the structural one.
std::string validate_model(const fb::Model& model);

// The limits a file is checked against live in model_format/limits.h.
using namespace limits;

// Bytes of a tensor's data in its layout (PACKED: planes of 64-bit words), or
// -1 if its shape or type is invalid. Computed in 64 bits without overflow.
int64_t tensor_byte_size(const fb::Tensor& tensor);

}  // namespace bnn

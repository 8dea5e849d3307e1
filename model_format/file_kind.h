// SPDX-License-Identifier: Apache-2.0
// What kind of file a user gave where a .bnn model was expected, recognised
// from its first bytes, and what to do with it: a message, never its raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bnn {

// "an ONNX model: convert it first (bnn-convert FILE -o model.bnn)", ...; or
// "" when the bytes look like nothing this knows.
std::string describe_non_model_file(const uint8_t* data, size_t size);

// A zip archive (what torch.save and torch.jit.save write).
bool is_zip(const uint8_t* data, size_t size);
// A safetensors file.
bool is_safetensors(const uint8_t* data, size_t size);
// A checkpoint of weights without a graph: either of the two.
bool is_weight_file(const uint8_t* data, size_t size);

}  // namespace bnn

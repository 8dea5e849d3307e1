// SPDX-License-Identifier: Apache-2.0
// Shared by the two WeightFile readers (safetensors.cc, torch_checkpoint.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "converter/checkpoint/weight_file.h"

namespace bnn::convert {

std::unique_ptr<WeightFile> make_torch_checkpoint(std::vector<uint8_t> bytes, const std::string& origin);
std::unique_ptr<WeightFile> make_safetensors(std::vector<uint8_t> bytes, const std::string& origin);

// count elements of a float type, element i at p + element_offset(i) * bytes, to double.
void decode_elements(const uint8_t* p, const DType& type, int64_t count, std::vector<double>& out,
                     const std::function<int64_t(int64_t)>& element_offset);

// Removes `prefix` from every name if every name has it (DataParallel's "module.").
std::vector<std::string> strip_common_prefix(std::vector<std::string> names, const std::string& prefix);

}  // namespace bnn::convert

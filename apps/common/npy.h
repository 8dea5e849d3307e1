// SPDX-License-Identifier: Apache-2.0
// NumPy .npy files of float32 (the format PyTorch users save with np.save).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bnn {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

// Reads a little-endian float32, C-order .npy (versions 1 to 3). Every size in
// the header is checked against the file's length before anything is
// allocated. Throws std::runtime_error naming the file and the problem.
NpyArray read_npy(const std::string& path);

// The same on bytes already in memory; `name` labels errors.
NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& name);

// Writes a version 1 .npy of float32 in C order, safely (model_format/output_file.h).
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace bnn

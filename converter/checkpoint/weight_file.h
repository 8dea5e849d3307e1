// SPDX-License-Identifier: Apache-2.0
// A file of named weight tensors: a torch.save checkpoint or a safetensors
// file, read without Python and without running any code. Architecture
// presets (arch_presets.cc) ask for the tensors they need by name; only those
// are read, checked and converted to double (float32, float16 and bfloat16
// are exact in double).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "converter/ir.h"

namespace bnn::convert {

class WeightFile {
 public:
  virtual ~WeightFile() = default;
  // Every tensor name, in file order, with a prefix such as DataParallel's
  // "module." already removed.
  virtual const std::vector<std::string>& names() const = 0;
  // The tensor's shape; false if the name is absent or its value is not a
  // readable tensor (read() then says why).
  virtual bool shape(const std::string& name, std::vector<int64_t>* shape) const = 0;
  // Reads one tensor. Throws ConvertError naming the file, the tensor and the
  // problem (not a float type, a view outside its storage, ...).
  virtual Constant read(const std::string& name) const = 0;
  // Things read but ignored (globals of unneeded entries...), for warnings.
  virtual std::vector<std::string> notes() const { return {}; }
};

// Reads `path` as a torch.save zip checkpoint or a safetensors file (by its
// first bytes). The whole file is read into memory (at most
// limits::kMaxCheckpointBytes). Throws ConvertError.
std::unique_ptr<WeightFile> open_weight_file(const std::string& path);

// Whether `path` holds weights without a graph (a torch.save checkpoint or
// safetensors file, by its first bytes), for a front end given it as an ONNX
// model: true, or the checkpoint reader's own ConvertError when it refuses
// the file outright (a TorchScript archive, ...); false for anything else.
bool is_weight_file_path(const std::string& path);

// The same from bytes in memory (tests, fuzzing); `origin` names them.
std::unique_ptr<WeightFile> parse_weight_file(std::vector<uint8_t> bytes, const std::string& origin);

// Element types both formats use; `bytes` 0 for an unknown name.
struct DType {
  std::string name;  // "float32", "float16", "bfloat16", "int64", ...
  int bytes = 0;
  bool is_float = false;
};

// IEEE half and bfloat16 bits to double (exact).
double half_to_double(uint16_t bits);
double bfloat16_to_double(uint16_t bits);

}  // namespace bnn::convert

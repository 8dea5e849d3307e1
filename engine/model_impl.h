// SPDX-License-Identifier: Apache-2.0
// What a loaded model holds: tensor records, constants in aligned storage,
// the bound ops in execution order, and the memory plan every Session uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bnn/engine.h"
#include "engine/aligned_buffer.h"
#include "engine/op.h"
#include "model_format/schema.h"

namespace bnn {

struct Model::Impl {
  std::vector<TensorInfo> tensor_infos;
  std::vector<TensorRecord> tensors;
  AlignedBuffer constants;
  std::vector<std::unique_ptr<Op>> ops;
  std::vector<LayerInfo> layers;
  int input = -1;
  int output = -1;
  int64_t arena_bytes = 0;
  size_t scratch_bytes = 0;  // per thread

  std::vector<std::string> labels;
  std::vector<std::string> warnings;  // Model::warnings()
  Preprocessing preprocessing;
  std::string description, producer;
  uint32_t schema_version = 0;
  uint64_t constants_checksum = 0;  // as stored in the file
};

// Binds a validated model: tensor records, constants, ops (kernels chosen,
// schedules followed), fusions and the memory plan. Model::load_* and
// LayerTrial share it.
std::unique_ptr<Model::Impl> bind_model(const fb::Model& m);

}  // namespace bnn

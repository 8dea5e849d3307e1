// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes as a model file. Loading must refuse them with
// bnn::Error or accept them; a model that loads (and is small enough to run
// quickly) is run once on zeros. The checksum check is off, so the fuzzer
// reaches the semantic checks and the engine instead of stopping at the hash.
#include <cstdint>
#include <vector>

#include "bnn/engine.h"
#include "fuzz_run.h"
#include "model_format/checksum.h"
#include "model_format/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bnn::LoadOptions options;
  options.verify_checksum = false;
  std::shared_ptr<const bnn::Model> model;
  try {
    model = bnn::Model::load_buffer(data, size, options);
  } catch (const bnn::Error&) {
    return 0;
  }
  // A model that loads: its constants are backed by the file (each tensor
  // padded to 64 bytes at most), and the checksum code handles it too.
  if (model->constant_bytes() > int64_t{4} * static_cast<int64_t>(size) + 4096) __builtin_trap();
  (void)bnn::constants_checksum(*bnn::fb::GetModel(data));
  bnn::fuzz::run_if_small(model);
  return 0;
}

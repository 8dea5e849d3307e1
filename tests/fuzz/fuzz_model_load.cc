// libFuzzer: arbitrary bytes as a model file. Loading must refuse them with
// bnn::Error or accept them; a model that loads (and is small enough to run
// quickly) is run once on zeros. The checksum check is off, so the fuzzer
// reaches the semantic checks and the engine instead of stopping at the hash.
#include <cstdint>
#include <vector>

#include "bnn/engine.h"
#include "fuzz_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bnn::LoadOptions options;
  options.verify_checksum = false;
  try {
    bnn::fuzz::run_if_small(bnn::Model::load_buffer(data, size, options));
  } catch (const bnn::Error&) {
  }
  return 0;
}

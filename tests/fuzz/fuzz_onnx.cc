// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes as an ONNX file, imported and converted. The
// converter must refuse them with ConvertError or write a model that loads:
// any other exception, or a written model that fails to load, is a finding
// (it escapes as an uncaught exception, which libFuzzer reports).
#include <cstdint>
#include <string>

#include "bnn/engine.h"
#include "converter/convert.h"
#include "converter/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> model;
  try {
    bnn::convert::ConvertReport report;
    model = bnn::convert::convert_graph(
        bnn::convert::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx"), {},
        &report);
  } catch (const bnn::convert::ConvertError&) {
    return 0;  // refused, with a message: fine
  }
  bnn::Model::load_buffer(model.data(), model.size());  // what the converter writes must load
  return 0;
}

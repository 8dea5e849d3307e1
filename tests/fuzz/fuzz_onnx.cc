// libFuzzer: arbitrary bytes as an ONNX file, imported and converted. The
// converter must refuse them with an error (as bnn-convert reports any
// std::exception) or write a model that loads.
#include <cstdint>
#include <exception>
#include <string>

#include "bnn/engine.h"
#include "converter/convert.h"
#include "converter/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    bnn::convert::ConvertReport report;
    const std::vector<uint8_t> model = bnn::convert::convert_graph(
        bnn::convert::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx"), {},
        &report);
    bnn::Model::load_buffer(model.data(), model.size());  // what the converter writes must load
  } catch (const std::exception&) {
  }
  return 0;
}

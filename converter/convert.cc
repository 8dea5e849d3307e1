// SPDX-License-Identifier: Apache-2.0
#include "converter/convert.h"

#include <stdexcept>

#include "converter/lowering.h"
#include "converter/onnx_import.h"
#include "converter/simplify.h"

namespace bnn::convert {

std::vector<uint8_t> convert_graph(Graph graph, const ConvertOptions& options, ConvertReport* report) {
  if (options.input_chw.size() == 3) {  // --input: the size shape inference starts from
    graph.input_shape = {1, options.input_chw[0], options.input_chw[1], options.input_chw[2]};
  }
  simplify(graph);
  try {
    return Lowering(graph, options, report).run();
  } catch (const std::invalid_argument& e) {
    throw ConvertError(e.what());  // the builder refused a layer (e.g. a window larger than its input)
  }
}

std::vector<uint8_t> convert_onnx_file(const std::string& path, const ConvertOptions& options, ConvertReport* report) {
  return convert_graph(import_onnx(path), options, report);
}

}  // namespace bnn::convert

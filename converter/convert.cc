// SPDX-License-Identifier: Apache-2.0
#include "converter/convert.h"

#include <stdexcept>
#include <string>

#include "converter/lowering.h"
#include "converter/onnx_import.h"
#include "converter/simplify.h"

namespace bnn::convert {

std::vector<uint8_t> convert_graph(Graph graph, const ConvertOptions& options, ConvertReport* report) {
  if (options.input_chw.size() == 3) {  // --input: the size shape inference starts from
    // Only where the model leaves a size open: a fixed one it contradicts
    // would otherwise surface as a confusing error deep in the graph.
    if (graph.input_shape.size() == 4) {
      static const char* const kAxis[] = {"channels", "height", "width"};
      for (int i = 0; i < 3; ++i) {
        const int64_t fixed = graph.input_shape[i + 1];
        if (fixed > 0 && fixed != options.input_chw[i]) {
          throw ConvertError("--input " + std::to_string(options.input_chw[0]) + "x" + std::to_string(options.input_chw[1]) +
                             "x" + std::to_string(options.input_chw[2]) + " contradicts the model's fixed input (" +
                             kAxis[i] + " " + std::to_string(fixed) + "): drop --input, or export the model with that "
                             "axis dynamic (torch.onnx.export(..., dynamic_axes=...))");
        }
      }
    }
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

// SPDX-License-Identifier: Apache-2.0
// bnn-convert WEIGHTS --arch NAME: a state dict to a model, through the
// preset's graph and the same passes as an ONNX file.
#include "converter/checkpoint/arch_presets.h"
#include "converter/convert.h"

namespace bnn::convert {

std::vector<uint8_t> convert_weights_file(const std::string& path, const std::string& arch, ConvertOptions options,
                                          ConvertReport* report, std::pair<int, int> bits) {
  const ArchPreset* preset = find_arch_preset(arch);
  if (!preset) throw ConvertError("--arch " + arch + ": no such preset (bnn-convert --list-archs lists them)");
  const auto weights = open_weight_file(path);
  for (const std::string& note : weights->notes()) report->warnings.push_back(path + ": " + note);
  if (options.input_chw.empty()) options.input_chw = preset->input_chw;
  if (options.input_info.mean.empty() && options.input_info.std.empty() &&
      options.input_chw[0] == static_cast<int>(preset->mean.size())) {
    options.input_info.mean = preset->mean;
    options.input_info.std = preset->stddev;
  }
  if (options.description.empty()) options.description = preset->description + " (from " + path + ")";
  Graph graph = graph_from_weights(*weights, *preset, options.input_chw, bits, options.center_weights);
  if (!preset->recipe.empty()) report->warnings.push_back("--arch " + arch + ": " + preset->recipe);
  try {
    return convert_graph(std::move(graph), options, report);
  } catch (const ConvertError& e) {
    // A window that does not fit is what a wrong input size gives: say what the network needs.
    if (preset->input_note.empty() || std::string(e.what()).find("does not fit") == std::string::npos) throw;
    throw ConvertError(std::string(e.what()) + " (" + preset->input_note + ")");
  }
}

}  // namespace bnn::convert

// SPDX-License-Identifier: Apache-2.0
// bnn-convert: a PyTorch model (an ONNX export, or a checkpoint / safetensors
// file with an architecture preset) to a bnn model file.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/common/cli.h"
#include "apps/common/preprocessing_flags.h"
#include "apps/convert/int8_stem_input.h"
#include "converter/checkpoint/arch_presets.h"
#include "converter/checkpoint/weight_file.h"
#include "converter/convert.h"
#include "model_format/builder.h"
#include "model_format/limits.h"
#include "model_format/output_file.h"
#include "model_format/printable_text.h"

namespace {

using bnn::cli::parse_count;
using bnn::cli::usage_error;

const char kUsage[] =
    "usage: bnn-convert MODEL.onnx -o MODEL.bnn [options]\n"
    "       bnn-convert WEIGHTS.pt|WEIGHTS.safetensors --arch NAME -o MODEL.bnn [options]\n"
    "       bnn-convert --inspect WEIGHTS.pt|WEIGHTS.safetensors\n"
    "       bnn-convert --list-archs\n"
    "\n"
    "Converts a binarized or low-bit model exported by torch.onnx.export (opsets 11-17)\n"
    "into a bnn model. Binarizers (Sign, where(x >= 0, 1, -1), straight-through\n"
    "forms, RSign), DoReFa/PACT k-bit quantizers, binarized and k-bit weights\n"
    "(folded or computed in the graph), batchnorm, PReLU/RPReLU/hardtanh and the rest\n"
    "of a ResNet are recognized; anything else is refused, naming the ONNX node.\n"
    "\n"
    "  -o, --output M.bnn     the model to write (required; '-' for standard output)\n"
    "  --arch NAME            read a torch.save checkpoint (state dict; nested under\n"
    "                         'state_dict' or 'model' and DataParallel's 'module.' are\n"
    "                         fine) or a safetensors file with this architecture's\n"
    "                         layout; no Python and none of the file's code is run\n"
    "  --bits WxA             weight x activation bits, for --arch presets that take\n"
    "                         several (dorefa18: 1x2, 2x2, 1x1 or 4x4)\n"
    "  --center-weights       xnor18 in torchvision's layout: the weights were centred\n"
    "                         (binary-networks-pytorch's XNORWeightBinarizer(center_weights=True),\n"
    "                         as its README recipe); the file cannot say\n"
    "  --list-archs           the architectures, their sources, expected keys and shapes\n"
    "  --inspect WEIGHTS      list the tensors of a torch.save checkpoint or safetensors\n"
    "                         file (names, shapes), read without running any of its code\n"
    "  --labels FILE          class names, one per line, in output order\n"
    "  --input CxHxW          the input size, when the ONNX input has none fixed\n"
    "\n"
    "How a picture becomes the input (stored in the model; bnn-classify follows it):\n"
    "  --color rgb|bgr|grey   the input's channels (default rgb)\n"
    "  --resize MODE          direct (default): stretch the picture to H x W;\n"
    "                         short-side[:F]: the centred H:W region, F of the shorter\n"
    "                         side (default 1; 0.875 is torchvision's Resize 256 + CenterCrop 224);\n"
    "                         fit: the whole picture, aspect kept, padded with its border colour\n"
    "  --invert               the model was trained on a dark background: invert pictures\n"
    "                         whose border is lighter than mid-grey\n"
    "  --mean R,G,B           per-channel mean, applied as (x / 255 - mean) / std\n"
    "  --std R,G,B            per-channel std\n"
    "  --description TEXT     stored in the model, shown by bnn-run --info\n"
    "\n"
    "Speed at a small cost in accuracy (opt-in; docs/numerics.md):\n"
    "  --int8-stem            run the first convolution in 8-bit integers: weights int8\n"
    "                         per output channel, the input uint8 per tensor over its\n"
    "                         range, from --calibration, else from --mean/--std\n"
    "  --calibration X.npy|DIR  example inputs for --int8-stem's input range: an .npy\n"
    "                         of C x H x W or N x C x H x W floats, or a directory of\n"
    "                         pictures read through the model's preprocessing\n"
    "  -h, --help             this text (--version: the engine's version)\n"
    "\n"
    "Exit status: 0 on success, 1 when the model cannot be converted, 2 on bad usage.\n";

std::vector<int> parse_chw(const std::string& text) {
  std::vector<int> dims;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, 'x')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 1 || v > 65536) usage_error("--input needs CxHxW, e.g. 3x224x224");
    dims.push_back(static_cast<int>(v));
  }
  if (dims.size() != 3) usage_error("--input needs CxHxW, e.g. 3x224x224");
  return dims;
}

}  // namespace

int main(int argc, char** argv) {
  bnn::cli::set_program("bnn-convert");
  std::string input, output, labels_path, inspect, arch;
  bool list_archs = false, int8_stem = false;
  std::string calibration;
  std::pair<int, int> bits = {0, 0};
  bnn::convert::ConvertOptions options;
  bnn::cli::Parser(kUsage)
      .option("-o|--output", [&](const char* v) { output = v; })
      .option("--arch", [&](const char* v) { arch = v; })
      .option("--bits", [&](const char* v) {
        const std::string b = v;
        if (b.size() != 3 || b[1] != 'x' || b[0] < '1' || b[0] > '4' || b[2] < '1' || b[2] > '4') {
          usage_error("--bits needs WxA, e.g. 1x2 (1 to 4 bits each)");
        }
        bits = {b[0] - '0', b[2] - '0'};
      })
      .flag("--center-weights", [&] { options.center_weights = true; })
      .flag("--list-archs", [&] { list_archs = true; })
      .option("--inspect", [&](const char* v) { inspect = v; })
      .option("--labels", [&](const char* v) { labels_path = v; })
      .option("--mean", [&](const char* v) { options.input_info.mean = bnn::cli::parse_floats("--mean", v); })
      .option("--std", [&](const char* v) { options.input_info.std = bnn::cli::parse_floats("--std", v); })
      .option("--color", [&](const char* v) {
        switch (bnn::cli::parse_color(v)) {
          case bnn::Preprocessing::Color::kRGB: options.input_info.color = bnn::fb::ColorOrder::RGB; break;
          case bnn::Preprocessing::Color::kBGR: options.input_info.color = bnn::fb::ColorOrder::BGR; break;
          case bnn::Preprocessing::Color::kGray: options.input_info.color = bnn::fb::ColorOrder::GRAY; break;
        }
      })
      .option("--resize", [&](const char* v) {
        switch (bnn::cli::parse_resize(v, &options.input_info.crop_fraction)) {
          case bnn::Preprocessing::Resize::kDirect: options.input_info.resize = bnn::fb::ResizeMode::DIRECT; break;
          case bnn::Preprocessing::Resize::kFit: options.input_info.resize = bnn::fb::ResizeMode::FIT; break;
          case bnn::Preprocessing::Resize::kShortSideCrop:
            options.input_info.resize = bnn::fb::ResizeMode::SHORT_SIDE_CROP;
            break;
        }
      })
      .flag("--invert", [&] { options.input_info.invert = true; })
      .option("--input", [&](const char* v) { options.input_chw = parse_chw(v); })
      .option("--description", [&](const char* v) { options.description = v; })
      .flag("--int8-stem", [&] { int8_stem = true; })
      .option("--calibration", [&](const char* v) { calibration = v; })
      .positional([&](const char* v) {
        if (!input.empty()) usage_error("more than one input model given");
        input = v;
      })
      .parse(argc, argv);
  if (list_archs) {
    for (const bnn::convert::ArchPreset& p : bnn::convert::arch_presets()) {
      std::printf("%s: %s\n  layout of: %s\n", p.name.c_str(), p.description.c_str(), p.source.c_str());
      if (!p.recipe.empty()) std::printf("  assumes: %s\n", p.recipe.c_str());
      if (!p.input_note.empty()) std::printf("  input: %s\n", p.input_note.c_str());
      std::string bits_text;
      for (const auto& [w, a] : p.bits) bits_text += (bits_text.empty() ? "" : ", ") + std::to_string(w) + "x" + std::to_string(a);
      std::printf("  --bits %s\n", bits_text.c_str());
      std::string norm;
      for (size_t i = 0; i < p.mean.size(); ++i) {
        norm += (i ? "," : "") + std::to_string(p.mean[i]).substr(0, 5);
      }
      norm += " / ";
      for (size_t i = 0; i < p.stddev.size(); ++i) norm += (i ? "," : "") + std::to_string(p.stddev[i]).substr(0, 5);
      std::printf("  default --mean / --std %s\n", norm.c_str());
      std::printf("  default input %dx%dx%d; expected keys for the ImageNet model (widths and classes are read from the file):\n",
                  p.input_chw[0], p.input_chw[1], p.input_chw[2]);
      for (const auto& [key, shape] : bnn::convert::expected_keys(p, {})) {
        std::string dims;
        for (size_t i = 0; i < shape.size(); ++i) dims += (i ? "x" : "") + std::to_string(shape[i]);
        std::printf("    %s %s\n", key.c_str(), dims.empty() ? "scalar" : dims.c_str());
      }
    }
    return 0;
  }
  if (!inspect.empty()) {
    try {
      const auto weights = bnn::convert::open_weight_file(inspect);
      for (const std::string& name : weights->names()) {
        std::vector<int64_t> shape;
        std::string dims = "(not a readable tensor)";
        if (weights->shape(name, &shape)) {
          dims.clear();
          for (size_t i = 0; i < shape.size(); ++i) dims += (i ? "x" : "") + std::to_string(shape[i]);
          if (shape.empty()) dims = "scalar";
        }
        std::printf("%s %s\n", bnn::printable(name).c_str(), dims.c_str());
      }
      for (const std::string& note : weights->notes()) {
        std::fprintf(stderr, "bnn-convert: note: %s\n", bnn::printable(note).c_str());
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bnn-convert: error: %s\n", bnn::cli::describe(e).c_str());
      return 1;
    }
    return 0;
  }
  if (input.empty() || output.empty()) usage_error("an input model and -o OUTPUT are required");
  if (!calibration.empty() && !int8_stem) usage_error("--calibration goes with --int8-stem (it sets the int8 input range)");
  if (bits.first && arch.empty()) usage_error("--bits goes with --arch (an ONNX graph holds its own bit widths)");
  if (options.center_weights && arch != "xnor18") {
    usage_error("--center-weights goes with --arch xnor18 (torchvision's layout; an ONNX graph holds its own weights)");
  }
  if (arch.empty()) {  // a checkpoint given without its architecture
    bool holds_weights = false;
    try {
      holds_weights = bnn::convert::is_weight_file_path(input);
    } catch (const std::exception& e) {  // the checkpoint reader's own verdict (e.g. TorchScript)
      std::fprintf(stderr, "bnn-convert: error: %s\n", bnn::cli::describe(e).c_str());
      return 1;
    }
    if (holds_weights) {
      usage_error(input + " holds weights, not an ONNX graph: give its architecture with --arch NAME (see --list-archs)");
    }
  }
  try {
    if (!labels_path.empty()) options.labels = bnn::cli::read_labels(labels_path);
    bnn::convert::ConvertReport report;
    std::vector<uint8_t> model = arch.empty() ? bnn::convert::convert_onnx_file(input, options, &report)
                                              : bnn::convert::convert_weights_file(input, arch, options, &report, bits);
    if (int8_stem) {
      std::string summary;
      model = bnn::int8_stem_with_input_range(model, calibration, &summary);
      std::fprintf(stderr, "bnn-convert: %s\n", summary.c_str());
    }
    bnn::write_file(output, model);
    for (const std::string& w : report.warnings) {
      std::fprintf(stderr, "bnn-convert: warning: %s\n", bnn::printable(w).c_str());
    }
    std::fprintf(stderr, "bnn-convert: wrote %s (%zu bytes): %d bitserial conv, %d quantize, %d float layers\n",
                 bnn::printable(output).c_str(), model.size(), report.bitserial_layers, report.quantize_layers, report.float_layers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-convert: error: %s\n", bnn::cli::describe(e).c_str());
    return 1;
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// Architecture presets: how the state dict of a public binarized-ResNet
// training codebase maps onto a graph (docs/checkpoint-layouts.md has the
// layouts and their sources). Channel widths and the class count are read
// from the file, so the same preset takes the published ImageNet model and a
// narrow one trained on small pictures; the block structure is the preset's.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "converter/checkpoint/graph_writer.h"
#include "converter/checkpoint/weight_file.h"
#include "converter/ir.h"

namespace bnn::convert {

// What varies between models of one architecture.
struct ArchDims {
  int in_channels = 3;
  std::vector<int> widths = {64, 128, 256, 512};  // per stage
  int classes = 1000;
  // torchvision's ResNet names (conv1, layerS.I.conv1, downsample.0, fc)
  // rather than the parity suite's (stem.0, layers.N), and which modules carry
  // binary-networks-pytorch's `activation_post_process.alpha`.
  bool torchvision = false;
  std::vector<std::string> scaled;
  bool center_weights = false;  // from ConvertOptions: the file cannot say
  // ReActNet-A: the stem's and each of the 13 blocks' output channels.
  std::vector<int> block_channels = {32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
};

struct ArchPreset {
  std::string name;         // --arch NAME
  std::string description;  // one line for --list-archs
  std::string source;       // the public code whose layout it reads
  std::string recipe;       // what the file cannot say and the preset assumes
  std::vector<int> input_chw = {3, 224, 224};
  std::string input_note = {};  // what the network needs of the input size, said when a conversion fails
  std::vector<std::pair<int, int>> bits = {{1, 1}};  // the weight x activation bits it takes; the first is the default
  std::vector<float> mean = {0.485f, 0.456f, 0.406f};
  std::vector<float> stddev = {0.229f, 0.224f, 0.225f};
};

const std::vector<ArchPreset>& arch_presets();
const ArchPreset* find_arch_preset(const std::string& name);

// The keys and shapes `preset` expects for `dims`, in state-dict order.
KeyShapes expected_keys(const ArchPreset& preset, const ArchDims& dims);

// The graph of `preset` over the tensors of `weights`, for an input of
// `input_chw`. First the file's keys and shapes are checked against the
// preset's: a missing, extra or misshapen key stops it, naming the key, the
// expected and the found shape. Throws ConvertError.
// `bits` is one of preset.bits ({0, 0} for the default).
// `center_weights`: binary-networks-pytorch's centred XNOR weights (xnor18, torchvision layout).
Graph graph_from_weights(const WeightFile& weights, const ArchPreset& preset, const std::vector<int>& input_chw,
                         std::pair<int, int> bits = {0, 0}, bool center_weights = false);

}  // namespace bnn::convert

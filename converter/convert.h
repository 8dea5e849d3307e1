// SPDX-License-Identifier: Apache-2.0
// ONNX (from torch.onnx.export) to a bnn model: import, simplify, lower.
//
// Lowering walks the simplified graph in order and pattern-matches what
// binarized and low-bit ResNets are made of:
// - a quantizer chain on a float tensor (batchnorm or a learned shift, then
//   Sign / where(x >= 0, 1, -1) / DoReFa's round(clip(x) * n) / n) becomes a
//   Quantize layer whose thresholds reproduce PyTorch's float32 arithmetic;
// - a Conv on a quantized tensor becomes a bitserial convolution, its weights
//   read as binary or k-bit codes with a per-channel scale; what follows it is
//   fused: a quantizer chain into integer thresholds (packed output), or
//   batchnorm/affine and an activation into its float output transform;
// - the rest of a ResNet maps one to one: float Conv (with its batchnorm and
//   activation fused), Add (with its activation), MaxPool (also on packed
//   bits), AveragePool, GlobalAveragePool, Flatten, Gemm/MatMul, Softmax.
// Anything else stops the conversion with the node, its op type and why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/ir.h"
#include "model_format/schema.h"

namespace bnn::convert {

struct ConvertOptions {
  std::vector<std::string> labels;
  fb::InputInfoT input_info;     // preprocessing metadata: colour, resize, inversion, mean/std
  std::vector<int> input_chw;    // needed when the ONNX input has no fixed C, H, W
  std::string description;
  // Checkpoints of binary-networks-pytorch's XNOR recipe: the weights were
  // centred (XNORWeightBinarizer(center_weights=True)); the file cannot say.
  bool center_weights = false;
};

struct ConvertReport {
  std::vector<std::string> warnings;
  int bitserial_layers = 0;
  int quantize_layers = 0;
  int float_layers = 0;
};

// The model file for a graph (already imported). Throws ConvertError.
std::vector<uint8_t> convert_graph(Graph graph, const ConvertOptions& options, ConvertReport* report);

// import_onnx + convert_graph.
std::vector<uint8_t> convert_onnx_file(const std::string& path, const ConvertOptions& options, ConvertReport* report);

// A torch.save checkpoint or safetensors file read with an architecture
// preset (converter/checkpoint/arch_presets.h), then convert_graph. The
// preset supplies the input size and mean/std when the options leave them out.
std::vector<uint8_t> convert_weights_file(const std::string& path, const std::string& arch, ConvertOptions options,
                                          ConvertReport* report, std::pair<int, int> bits = {0, 0});

}  // namespace bnn::convert

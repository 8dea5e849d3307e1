// SPDX-License-Identifier: Apache-2.0
// Builds the converter's graph (ir.h) from a state dict, one ONNX operator at
// a time, as torch.onnx.export would have written the same forward pass: the
// architecture presets describe a network with it, and the usual simplify +
// lowering passes do the rest. So a checkpoint and an ONNX export of the same
// model convert through the same code (identical packed bits and thresholds).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "converter/checkpoint/weight_file.h"
#include "converter/ir.h"

namespace bnn::convert {

// State-dict keys with their shapes, in the order a network reads them.
using KeyShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// A network is written once, as a function over a GraphWriter: run without a
// file, the writer records the keys (and shapes) the network reads, which is
// what a checkpoint must hold; run with one, it reads them and builds the graph.
// Node names start with the state-dict module they belong to
// ("layer1.0.conv1/Conv_12"), so conversion errors name the user's keys.
class GraphWriter {
 public:
  // `weights` null: record the keys only (every tensor reads as its shape with no values).
  GraphWriter(const WeightFile* weights, std::vector<int64_t> input_nchw);

  // A tensor of the state dict, of this shape, as a graph constant.
  std::string weight(const std::string& key, const std::vector<int64_t>& shape);
  // One stored in another shape (Bi-Real stores conv weights flat), used as `shape`.
  std::string weight(const std::string& key, const std::vector<int64_t>& stored, const std::vector<int64_t>& shape);
  // The tensor's values, for a preset that computes on them in C++.
  Constant read(const std::string& key, const std::vector<int64_t>& shape);
  // A key the state dict holds that the forward pass does not read.
  void unused(const std::string& key, const std::vector<int64_t>& shape);
  const KeyShapes& keys() const { return keys_; }
  // An anonymous constant.
  std::string constant(std::vector<int64_t> shape, std::vector<double> values);
  std::string scalar(double value) { return constant({}, {value}); }
  // One operator; returns its output's name.
  std::string op(const std::string& type, std::vector<std::string> inputs, std::map<std::string, Attribute> attributes = {});

  // ---- the pieces ResNets are made of, as PyTorch exports them
  std::string conv(const std::string& x, const std::string& w, int kernel, int stride, int pad, const std::string& bias = "");
  // nn.BatchNorm2d(channels) (its num_batches_tracked is recorded too).
  std::string batchnorm(const std::string& x, const std::string& prefix, int64_t channels, double epsilon = 1e-5);
  // A float conv (weights `w_key` of shape OIHW `w_shape`, square, no bias)
  // and the batchnorm after it, fused as torch.onnx.export fuses them in eval
  // mode: s = gamma / sqrt(var + eps), W' = W * s, b' = (0 - mean) * s + beta,
  // each op in float32, so the constants equal those of an ONNX export.
  std::string conv_bn(const std::string& x, const std::string& w_key, const std::vector<int64_t>& w_shape, int stride,
                      int pad, const std::string& bn_prefix, double epsilon = 1e-5);
  std::string sign(const std::string& x);  // where(x >= 0, 1, -1): the engine's binarizer
  // mean|W| over each output channel, times sign(W), written as Bi-Real-Net's
  // and ReActNet's HardBinaryConv computes it: three nested means, over axes
  // 3, 2 then 1 (float32 rounds after each, so the nesting is kept).
  std::string binarized_weight(const std::string& w);
  // The nested-mean scale alone, shape (C, 1, 1, 1).
  std::string mean_abs_scale(const std::string& w);
  std::string add(const std::string& a, const std::string& b) { return op("Add", {a, b}); }
  // x + bias, a (1, C, 1, 1) parameter reshaped to (C, 1, 1) (ReActNet's LearnableBias).
  std::string learnable_bias(const std::string& x, const std::string& key, int64_t channels);
  // nn.PReLU(C) on an N x C x H x W tensor.
  std::string prelu(const std::string& x, const std::string& key, int64_t channels);
  std::string reshape(const std::string& x, std::vector<int64_t> shape);
  std::string avg_pool(const std::string& x, int kernel, int stride, bool ceil_mode = false);
  std::string max_pool(const std::string& x, int kernel, int stride, int pad);
  // nn.Linear(in, out): [flatten +] Gemm(x, W^T) + b.
  std::string dense(const std::string& x, const std::string& prefix, int64_t in, int64_t out, bool flatten = true);

  static Attribute ints(std::vector<int64_t> v);
  static Attribute integer(int64_t v);
  static Attribute real(double v);

  const std::string& input() const { return graph_.input; }
  Graph finish(const std::string& output);

 private:
  std::string fresh(const std::string& hint);
  void record(const std::string& key, const std::vector<int64_t>& shape);
  void record_batchnorm(const std::string& prefix, int64_t channels);
  const WeightFile* weights_;
  Graph graph_;
  KeyShapes keys_;
  std::string scope_;  // the state-dict module last read: names the nodes after it
  int counter_ = 0;
};

}  // namespace bnn::convert

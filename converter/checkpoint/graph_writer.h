// Builds the converter's graph (ir.h) from a state dict, one ONNX operator at
// a time, as torch.onnx.export would have written the same forward pass: the
// architecture presets describe a network with it, and the usual simplify +
// lowering passes do the rest. So a checkpoint and an ONNX export of the same
// model convert through the same code (identical packed bits and thresholds).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "converter/checkpoint/weight_file.h"
#include "converter/ir.h"

namespace bnn::convert {

class GraphWriter {
 public:
  GraphWriter(const WeightFile& weights, std::vector<int64_t> input_nchw);

  // A tensor of the state dict as a graph constant; its shape must already
  // have been checked against the preset's expected keys.
  std::string weight(const std::string& key);
  // The same, reshaped (Bi-Real stores conv weights flat).
  std::string weight(const std::string& key, const std::vector<int64_t>& shape);
  // An anonymous constant.
  std::string constant(std::vector<int64_t> shape, std::vector<double> values);
  std::string scalar(double value) { return constant({}, {value}); }
  // One operator; returns its output's name.
  std::string op(const std::string& type, std::vector<std::string> inputs, std::map<std::string, Attribute> attributes = {});

  // ---- the pieces ResNets are made of, as PyTorch exports them
  std::string conv(const std::string& x, const std::string& w, int kernel, int stride, int pad, const std::string& bias = "");
  std::string batchnorm(const std::string& x, const std::string& prefix, double epsilon = 1e-5);
  // A float conv (weights `w_key`, no bias) and the batchnorm after it, fused
  // as torch.onnx.export fuses them in eval mode: s = gamma / sqrt(var + eps),
  // W' = W * s, b' = (0 - mean) * s + beta, each op in float32, so the
  // constants equal those of an ONNX export of the same model.
  std::string conv_bn(const std::string& x, const std::string& w_key, int kernel, int stride, int pad,
                      const std::string& bn_prefix, double epsilon = 1e-5);
  std::string sign(const std::string& x);  // where(x >= 0, 1, -1): the engine's binarizer
  // mean|W| over each output channel, times sign(W), written as Bi-Real-Net's
  // and ReActNet's HardBinaryConv computes it: three nested means, over axes
  // 3, 2 then 1 (float32 rounds after each, so the nesting is kept).
  std::string binarized_weight(const std::string& w);
  // The nested-mean scale alone, shape (C, 1, 1, 1).
  std::string mean_abs_scale(const std::string& w);
  std::string add(const std::string& a, const std::string& b) { return op("Add", {a, b}); }
  // x + bias, a (1, C, 1, 1) parameter reshaped to (C, 1, 1) (ReActNet's LearnableBias).
  std::string learnable_bias(const std::string& x, const std::string& key);
  // nn.PReLU(C) on an N x C x H x W tensor.
  std::string prelu(const std::string& x, const std::string& key);
  std::string reshape(const std::string& x, std::vector<int64_t> shape);
  std::string avg_pool(const std::string& x, int kernel, int stride, bool ceil_mode = false);
  std::string max_pool(const std::string& x, int kernel, int stride, int pad);
  std::string dense(const std::string& x, const std::string& prefix, bool flatten = true);  // [flatten +] Gemm(x, W^T) + b

  static Attribute ints(std::vector<int64_t> v);
  static Attribute integer(int64_t v);
  static Attribute real(double v);

  const std::string& input() const { return graph_.input; }
  Graph finish(const std::string& output);

 private:
  std::string fresh(const std::string& hint);
  const WeightFile& weights_;
  Graph graph_;
  int counter_ = 0;
};

}  // namespace bnn::convert

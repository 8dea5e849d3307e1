// SPDX-License-Identifier: Apache-2.0
// The lowering of a simplified ONNX graph onto the model builder: one class
// walking the graph in order, its pattern matchers split by what they lower
// (lowering.cc: dispatch, quantizers, transforms; lower_conv.cc: convolutions
// and padding; lower_dense.cc: flatten and fully connected layers, binarized
// too; lower_tensor_ops.cc: pooling, add, mean, concat, slice). Private to
// converter/; convert.h is the interface.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "converter/chain.h"
#include "converter/convert.h"
#include "converter/ir.h"
#include "converter/value_range.h"
#include "model_format/builder.h"

namespace bnn::convert {

// An ONNX value as the model holds it.
struct Value {
  int tensor = -1;
  bool packed = false;
  double scale = 1;            // packed: real value = scale * code value
  bool flattened_chw = false;  // a [H, W, C] tensor that ONNX flattened in C, H, W order
  int onnx_rank = 4;           // the rank ONNX gives it (NCHW 4, N x features 2): decides broadcasting
  ValueRange range;            // float: what is known of its values (decides what Sign gives at 0)
  // A Pad node waiting for its Conv: pads (top, left, bottom, right) and value.
  std::vector<int64_t> pending_pads;
  double pending_pad_value = 0;
};

inline Value float_value(int tensor) {
  Value v;
  v.tensor = tensor;
  return v;
}

// Converts one graph: construct, then run() once.
class Lowering {
 public:
  Lowering(const Graph& g, const ConvertOptions& options, ConvertReport* report)
      : g_(g), options_(options), report_(report) {}

  std::vector<uint8_t> run();

 private:
  void warn(const std::string& message) { report_->warnings.push_back(message); }

  const Value& value(const std::string& name, const std::string& where) const;

  // Per-channel parameters are built for this many channels: bounded, so a
  // tiny file cannot ask for gigabytes of them (fuzz_onnx found 2^28 - 1).
  int channels(const Value& v) const;

  static std::string name_of(const Node& n) { return n.name.empty() ? n.outputs[0] : n.name; }

  const Constant& constant(const Node& n, size_t input, const std::string& role) const;

  void add_input();

  // Marks nodes as lowered.
  void take(const std::set<size_t>& nodes) { done_.insert(nodes.begin(), nodes.end()); }

  // The first non-constant input of a node.
  std::string data_input(const Node& n) const;

  void lower(size_t i);

  // What to write instead of an op the lowering has no pattern for.
  std::string hint_for(const Node& n) const;

  void emit(const Node& n, const Value& v) {
    values_[n.outputs[0]] = v;
    done_.insert(static_cast<size_t>(&n - g_.nodes.data()));
  }

  void emit_quantize(const Node& n, const Value& in, QuantizerChain q);

  void emit_transform(const Node& n, const Value& in, const TransformChain& t);

  static ActivationSpec activation_of(const TransformChain& t);

  // Window attributes; `extra_pads` come from a Pad node folded into a Conv.
  WindowSpec window_of(const Node& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& extra_pads);

  void lower_pad(const Node& n, const Value& in);

  void lower_conv(size_t i);

  // A bitserial layer on a packed input: a Conv (weights OIHW), or a
  // Gemm/MatMul whose packed input is a vector (a 1x1 image) or a flattened
  // image (a window over the whole image). Weights become codes with a
  // per-channel scale; what follows is fused: a quantizer chain into integer
  // thresholds (packed output), or batchnorm/affine and an activation into the
  // float output transform. `rank` is the ONNX rank of the output (4 or 2),
  // which decides how constants broadcast against it.
  void emit_bitserial(size_t i, const Value& in, const Constant& w, const std::vector<float>& conv_bias, bool has_bias,
                      const WindowSpec& window, int groups, PadValue pad_value, int rank, bool vector_output);

  // y = (acc * scale + bias) * t.scale + t.bias, then t's activation.
  static void fuse(FloatTransformSpec* spec, const std::vector<float>& scale, const std::vector<float>& bias,
                   const TransformChain& t);

  void lower_pool(const Node& n, const Value& in);

  void lower_add(size_t i);

  // Global average pooling written as a mean over H and W: x.mean((2, 3)),
  // x.mean(3).mean(2), x.mean(2).mean(2) (DoReFa's nets), with or without keepdim.
  void lower_reduce_mean(size_t i, const Value& in);

  // A channel Concat of float tensors (ReActNet-A's downsampling blocks).
  void lower_concat(size_t i);

  // x[:, :, ::s, ::t]: subsampling (the CIFAR ResNet "option A" shortcut) is a
  // max pool with a 1x1 window, exact on floats and on packed bits.
  void lower_slice(const Node& n, const Value& in);

  // Flatten(axis 1), a Reshape to [N, features], or a Squeeze of the 1x1
  // spatial dims after global pooling: N x C x H x W becomes N x (C*H*W).
  void lower_flatten(const Node& n, const Value& in);

  // A binarized fully connected layer (BinaryNet's BinarizeLinear, a binary
  // classifier head) is a bitserial layer with one output pixel: a 1x1 window
  // on a vector, or a window over the whole image when ONNX flattened one
  // (its C, H, W feature order is the weights' I, H, W order).
  void lower_binary_dense(size_t i, const Value& in, const Constant& w, bool trans_b, double alpha);

  // Packed codes back to floats, exactly (an identity bitserial layer).
  Value dequantize(const std::string& name, const Value& in);
  static bool more_levels_than_4_bits(const Constant& oihw);

  // A flattened image keeps ONNX's C, H, W order, which the engine's tensor
  // does not have: only a Dense (which permutes its weights) or an activation
  // that treats every element alike may follow.
  void lower_flattened(size_t i, const Value& in);

  void lower_dense(size_t i, const Value& in);

  const Graph& g_;
  const ConvertOptions& options_;
  ConvertReport* report_;
  ModelBuilder b_;
  std::map<std::string, Value> values_;
  std::set<size_t> done_;
  int sign_ops_ = 0;
};

}  // namespace bnn::convert

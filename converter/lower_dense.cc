// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "converter/chain.h"
#include "converter/constant_eval.h"
#include "converter/lowering.h"
#include "converter/value_range.h"
#include "converter/weights.h"
#include "model_format/limits.h"

namespace bnn::convert {

// Flatten(axis 1), a Reshape to [N, features], or a Squeeze of the 1x1
// spatial dims after global pooling: N x C x H x W becomes N x (C*H*W).
void Lowering::lower_flatten(const Node& n, const Value& in) {
  const std::vector<int>& shape = b_.shape(in.tensor);
  int64_t count = 1;
  for (int d : shape) count *= d;
  if (n.op == "Flatten" && n.int_attr("axis", 1) != 1) throw ConvertError(n.label() + ": only axis 1 is supported");
  if (n.op == "Reshape") {
    const Constant& target = constant(n, 1, "the shape");
    const bool ok = target.size() == 2 && (target.values[1] == -1 || target.values[1] == double(count)) &&
                    (target.values[0] == -1 || target.values[0] == 1 || target.values[0] == 0);
    if (!ok) throw ConvertError(n.label() + ": only a Reshape to [N, " + std::to_string(count) + "] is supported");
  }
  if (n.op == "Squeeze" && !(shape.size() == 1)) {
    throw ConvertError(n.label() + ": only squeezing the 1x1 output of global pooling is supported");
  }
  Value out = in;
  out.onnx_rank = 2;
  if (shape.size() == 3) out.flattened_chw = true;  // a Dense reads it in C, H, W order
  emit(n, out);
}

// A binarized fully connected layer (BinaryNet's BinarizeLinear, a binary
// classifier head) is a bitserial layer with one output pixel: a 1x1 window
// on a vector, or a window over the whole image when ONNX flattened one
// (its C, H, W feature order is the weights' I, H, W order).
void Lowering::lower_binary_dense(size_t i, const Value& in, const Constant& w, bool trans_b, double alpha) {
  const Node& n = g_.nodes[i];
  const std::vector<int>& shape = b_.shape(in.tensor);
  const int64_t h = shape.size() == 3 ? shape[0] : 1, wd = shape.size() == 3 ? shape[1] : 1, c = shape.back();
  const int64_t out_f = trans_b ? w.shape[0] : w.shape[1], in_f = h * wd * c;
  Constant oihw;
  oihw.shape = {out_f, c, h, wd};
  oihw.values.resize(static_cast<size_t>(out_f * in_f));
  for (int64_t o = 0; o < out_f; ++o) {
    for (int64_t k = 0; k < in_f; ++k) {  // k: ONNX's flattened C, H, W index, which is OIHW's I, H, W
      oihw.values[o * in_f + k] = alpha * (trans_b ? w.values[o * in_f + k] : w.values[k * out_f + o]);
    }
  }
  std::vector<float> bias(static_cast<size_t>(out_f), 0.0f);
  const bool has_bias = n.op == "Gemm" && n.inputs.size() > 2 && !n.inputs[2].empty();
  if (has_bias) {
    auto b = per_channel(constant(n, 2, "the bias"), static_cast<int>(out_f), 2);
    if (!b) throw ConvertError(n.label() + ": the bias must have one value per output");
    const double beta = n.float_attr("beta", 1.0);
    for (int64_t o = 0; o < out_f; ++o) bias[o] = static_cast<float>(beta * (*b)[o]);
  }
  if (more_levels_than_4_bits(oihw)) {
    // An 8-bit classifier on k-bit activations (Jzz24's DoReFa ResNet): read
    // the codes back as floats, exactly, and run a float layer on them.
    constexpr int64_t kMaxDequantizeChannels = 4096;  // its identity weights are C * C bits
    if (c > kMaxDequantizeChannels) {
      throw ConvertError(n.label() + ": weights with more levels than 4 bits hold, on " + std::to_string(c) +
                         " binarized features (more than " + std::to_string(kMaxDequantizeChannels) +
                         " are not read back as floats); quantize the weights to 4 bits or keep the input real");
    }
    return lower_dense(i, dequantize(name_of(n) + ".dequantize", in));
  }
  WindowSpec window;
  window.kernel_h = static_cast<int>(h), window.kernel_w = static_cast<int>(wd);
  emit_bitserial(i, in, oihw, bias, has_bias, window, 1, PadValue::kZero, 2, true);
}

// Whether some output row takes more than 16 distinct values (what 4 bits hold).
bool Lowering::more_levels_than_4_bits(const Constant& oihw) {
  const int64_t rows = oihw.shape.at(0), row = rows ? oihw.size() / rows : 0;
  for (int64_t o = 0; o < rows; ++o) {
    std::set<double> levels;
    for (int64_t k = 0; k < row && levels.size() <= 16; ++k) levels.insert(oihw.values[o * row + k]);
    if (levels.size() > 16) return true;
  }
  return false;
}

// Packed codes back to their values as floats: a 1x1 bitserial layer whose
// weights are the identity (one unipolar bit each), so each output is one
// input's value, an integer times the input's scale: exact.
Value Lowering::dequantize(const std::string& name, const Value& in) {
  const int c = channels(in);
  std::vector<uint8_t> identity(static_cast<size_t>(c) * c, 0);
  for (int o = 0; o < c; ++o) identity[static_cast<size_t>(o) * c + o] = 1;  // OHWI with a 1x1 window: [O][I]
  FloatTransformSpec spec;
  spec.scale.assign(static_cast<size_t>(c), static_cast<float>(in.scale));
  const bool vector = b_.shape(in.tensor).size() == 1;
  Value out = in;
  out.tensor = b_.bitserial_conv2d(name, in.tensor, c, WindowSpec{}, CodeWeights{1, Encoding::kUnipolar, identity}, spec,
                                   1, PadValue::kZero, vector);
  out.packed = false;
  out.scale = 1;
  const int64_t levels = (int64_t{1} << b_.raw().tensors[in.tensor]->bits) - 1;
  out.range = ValueRange::accumulator(spec.scale, {}, levels);
  ++report_->bitserial_layers;
  return out;
}

// A flattened image keeps ONNX's C, H, W order, which the engine's tensor
// does not have: only a Dense (which permutes its weights) or an activation
// that treats every element alike may follow.
void Lowering::lower_flattened(size_t i, const Value& in) {
  const Node& n = g_.nodes[i];
  if (n.op == "Gemm" || n.op == "MatMul") return lower_dense(i, in);
  if (n.op == "Relu" || n.op == "Clip" || n.op == "LeakyRelu") {
    if (auto t = match_transform(g_, i, channels(in), 1, false); t && t->nodes.size() == 1) {
      const bool uniform =
          t->slope.empty() || std::all_of(t->slope.begin(), t->slope.end(), [&](float v) { return v == t->slope[0]; });
      if (uniform) return emit_transform(n, in, *t);
    }
  }
  // A per-feature batchnorm (BatchNorm1d) after flattening a 1x1 image is a per-channel one.
  const std::vector<int> shape = b_.shape(in.tensor);
  if (n.op == "BatchNormalization" && shape.size() == 3 && shape[0] == 1 && shape[1] == 1) {
    if (auto t = match_transform(g_, i, channels(in), 2, true)) return emit_transform(n, in, *t);
  }
  throw ConvertError(n.label() + ": " + shown(n.op) +
                     " after Flatten of an image is not supported (only Gemm/MatMul, "
                     "Relu, Clip, LeakyRelu, or BatchNormalization of a 1x1 image)");
}

void Lowering::lower_dense(size_t i, const Value& in) {
  const Node& n = g_.nodes[i];
  const Constant& w = constant(n, 1, "the weight");
  if (w.shape.size() != 2) throw ConvertError(n.label() + ": the weight must be 2-D");
  const bool gemm = n.op == "Gemm";
  if (gemm && n.int_attr("transA", 0) != 0) throw ConvertError(n.label() + ": transA is not supported");
  const bool trans_b = gemm && n.int_attr("transB", 0) != 0;
  const int64_t out_f = trans_b ? w.shape[0] : w.shape[1], in_f = trans_b ? w.shape[1] : w.shape[0];
  if (out_f < 1 || out_f > limits::kMaxTensorElements) throw ConvertError(n.label() + ": bad output size");
  const std::vector<int> in_shape = b_.shape(in.tensor);
  int64_t in_count = 1;
  for (int d : in_shape) in_count *= d;
  if (in_count != in_f)
    throw ConvertError(n.label() + ": " + std::to_string(in_f) + " input features expected, the input has " +
                       std::to_string(in_count));
  const double alpha = gemm ? n.float_attr("alpha", 1.0) : 1.0;
  if (in.packed) return lower_binary_dense(i, in, w, trans_b, alpha);
  std::vector<float> weights(static_cast<size_t>(out_f * in_f));
  for (int64_t o = 0; o < out_f; ++o) {
    for (int64_t k = 0; k < in_f; ++k) {
      // Our input index k is NHWC; ONNX's flattened index is C, H, W.
      int64_t src = k;
      if (in.flattened_chw) {
        const int64_t h = in_shape[0], wd = in_shape[1], c = in_shape[2];
        const int64_t y = k / (wd * c), x = (k / c) % wd, ch = k % c;
        src = (ch * h + y) * wd + x;
      }
      const double v = trans_b ? w.values[o * in_f + src] : w.values[src * out_f + o];
      weights[o * in_f + k] = static_cast<float>(alpha * v);
    }
  }
  FloatTransformSpec spec;
  std::vector<float> bias(out_f, 0.0f);
  if (gemm && n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto b = per_channel(constant(n, 2, "the bias"), static_cast<int>(out_f), 2);
    if (!b) throw ConvertError(n.label() + ": the bias must have one value per output");
    const double beta = n.float_attr("beta", 1.0);
    for (int64_t o = 0; o < out_f; ++o) bias[o] = static_cast<float>(beta * (*b)[o]);
    spec.bias = bias;
  }
  std::string out_name = n.outputs[0];
  if (auto user = single_consumer(g_, n.outputs[0])) {
    if (auto t = match_transform(g_, *user, static_cast<int>(out_f), 2, true)) {
      fuse(&spec, std::vector<float>(out_f, 1.0f), bias, *t);
      out_name = t->output;
      take(t->nodes);
    }
  }
  Value out;
  out.tensor = b_.dense(name_of(n), in.tensor, static_cast<int>(out_f), weights, spec);
  out.onnx_rank = 2;
  out.range = ValueRange::real().then(spec.activation, static_cast<int>(out_f));
  values_[out_name] = out;
  done_.insert(i);
  ++report_->float_layers;
}

}  // namespace bnn::convert

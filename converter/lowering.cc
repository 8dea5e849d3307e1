// SPDX-License-Identifier: Apache-2.0
#include "converter/lowering.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "converter/chain.h"
#include "converter/constant_eval.h"
#include "converter/value_range.h"
#include "converter/weights.h"
#include "model_format/limits.h"

namespace bnn::convert {

std::vector<uint8_t> Lowering::run() {
  const GraphIndex index(g_);  // the lowering never changes the graph
  add_input();
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    if (!done_.count(i)) lower(i);
  }
  const Value& out = value(g_.output, "the graph output");
  if (out.packed) throw ConvertError("the graph output " + quoted(g_.output) + " is binarized; the model must end in floats");
  b_.set_output(out.tensor);
  if (!options_.labels.empty()) b_.set_labels(options_.labels);
  // The colour metadata follows the input's channel count (the engine reads
  // pictures by it): a 1-channel input is grey whatever the default says; a
  // grey request for a 3-channel input is a contradiction the user must fix.
  fb::InputInfoT input_info = options_.input_info;
  const int input_channels = b_.shape(values_.at(g_.input).tensor).back();
  if (input_channels == 1) input_info.color = fb::ColorOrder::GRAY;
  if (input_channels == 3 && input_info.color == fb::ColorOrder::GRAY) {
    throw ConvertError("--color grey, but the model's input has 3 channels: give --color rgb or bgr");
  }
  b_.set_input_info(input_info);
  b_.set_description(options_.description);
  b_.raw().producer = "bnn-convert (ONNX opset " + std::to_string(g_.opset) + ")";
  if (sign_ops_ > 0) {
    warn(std::to_string(sign_ops_) +
         " Sign op(s) binarize activations: ONNX Sign gives 0 at exactly 0, the engine gives +1 (x >= 0 -> +1); "
         "train with a binarizer whose forward is x >= 0 -> +1 to be exact");
  }
  try {
    return b_.finish();
  } catch (const std::invalid_argument& e) {
    throw ConvertError(e.what());
  }
}

const Value& Lowering::value(const std::string& name, const std::string& where) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw ConvertError(where + ": input " + quoted(name) + " is not an activation the model computes");
  return it->second;
}

// Per-channel parameters are built for this many channels: bounded, so a
// tiny file cannot ask for gigabytes of them (fuzz_onnx found 2^28 - 1).
int Lowering::channels(const Value& v) const {
  const int c = b_.shape(v.tensor).back();
  if (c > limits::kMaxChannels) {
    throw ConvertError("a tensor of " + std::to_string(c) + " channels: more than the limit of " +
                       std::to_string(limits::kMaxChannels) + " (kMaxChannels)");
  }
  return c;
}

const Constant& Lowering::constant(const Node& n, size_t input, const std::string& role) const {
  if (input >= n.inputs.size() || !g_.is_constant(n.inputs[input])) {
    throw ConvertError(n.label() + ": " + role + " must be a constant (an initializer, or computed from them)");
  }
  return g_.constants.at(n.inputs[input]);
}

void Lowering::add_input() {
  std::vector<int> chw = options_.input_chw;
  if (chw.empty()) {
    if (g_.input_shape.size() != 4) throw ConvertError("the input " + quoted(g_.input) + " must be N x C x H x W");
    for (int i = 1; i < 4; ++i) {
      if (g_.input_shape[i] < 1) {
        throw ConvertError("the input " + quoted(g_.input) + " has no fixed C, H, W: give them with --input CxHxW");
      }
      if (g_.input_shape[i] > limits::kMaxTensorElements)
        throw ConvertError("the input " + quoted(g_.input) + " is too large");
      chw.push_back(static_cast<int>(g_.input_shape[i]));
    }
  }
  if (int64_t{chw[0]} * chw[1] * chw[2] > limits::kMaxTensorElements) {
    throw ConvertError("the input " + quoted(g_.input) + " has more than 2^28 elements (limit kMaxTensorElements)");
  }
  Value v;
  v.tensor = b_.input(g_.input, chw[1], chw[2], chw[0]);
  values_[g_.input] = v;
}

// The first non-constant input of a node.
std::string Lowering::data_input(const Node& n) const {
  for (const std::string& in : n.inputs) {
    if (!in.empty() && !g_.is_constant(in)) return in;
  }
  // Every input is a constant, yet constant folding left the node: say why.
  if (can_evaluate(n.op)) {
    throw ConvertError(n.label() +
                       ": its inputs are all constants, but folding them failed (shapes that do not "
                       "broadcast, an out-of-range index or axis, or a result past the folding limit)");
  }
  throw ConvertError(n.label() +
                     ": its inputs are all constants (weight arithmetic), but the converter cannot "
                     "evaluate " +
                     shown(n.op) + " on constants; write the weight math with the ops docs/converter.md lists");
}

void Lowering::lower(size_t i) {
  const Node& n = g_.nodes[i];
  const std::string in_name = data_input(n);
  const Value& in = value(in_name, n.label());
  if (!in.packed) {
    // After Flatten of an image only scalar steps match (rank 2 against C channels: a
    // per-feature constant has C * H * W values), and binarizing commutes with flattening.
    if (auto q = match_quantizer(g_, i, channels(in), in.flattened_chw ? 2 : in.onnx_rank)) {
      return emit_quantize(n, in, *q);
    }
  }
  if (in.flattened_chw) return lower_flattened(i, in);
  const std::string& op = n.op;
  if (op == "Conv") return lower_conv(i);
  if (op == "Pad") return lower_pad(n, in);
  if (op == "MaxPool" || op == "AveragePool") return lower_pool(n, in);
  if (op == "Gemm" || op == "MatMul") return lower_dense(i, in);
  if (op == "Slice") return lower_slice(n, in);
  if (op == "Concat") return lower_concat(i);
  if (in.packed) {
    throw ConvertError(n.label() + ": " + shown(op) +
                       " on binarized input is not supported (Conv, Gemm/MatMul, MaxPool and "
                       "subsampling Slice are); apply it before the binarizer");
  }
  if (op == "Add" && n.inputs.size() == 2 && !g_.is_constant(n.inputs[0]) && !g_.is_constant(n.inputs[1])) {
    return lower_add(i);
  }
  if (op == "GlobalAveragePool") {  // N x C x 1 x 1
    Value out = float_value(b_.global_avg_pool(name_of(n), in.tensor));
    out.range = in.range.averaged();
    return emit(n, out);
  }
  if (op == "ReduceMean") return lower_reduce_mean(i, in);
  if (op == "Flatten" || op == "Reshape" || op == "Squeeze") return lower_flatten(n, in);
  if (op == "Softmax" || op == "LogSoftmax") {
    const int64_t axis = n.int_attr("axis", g_.opset >= 13 ? -1 : 1);
    if (b_.shape(in.tensor).size() != 1 || in.onnx_rank != 2 || (axis != 1 && axis != -1)) {
      throw ConvertError(n.label() + ": " + shown(op) + " is supported over the classes of [N, classes] only (dim=1)");
    }
    Value out = float_value(b_.softmax(name_of(n), in.tensor, op == "LogSoftmax"));
    out.onnx_rank = 2;
    return emit(n, out);
  }
  if (auto t = match_transform(g_, i, channels(in), in.onnx_rank, true)) return emit_transform(n, in, *t);
  throw ConvertError(n.label() + ": not supported" + hint_for(n));
}

// What to write instead of an op the lowering has no pattern for.
std::string Lowering::hint_for(const Node& n) const {
  const std::string& op = n.op;
  if (op == "Sign" || op == "Round") {
    return " here (it does not end a recognized quantizer chain: a binarizer or a k-bit quantizer, k <= 4, with "
           "per-channel steps before it; docs/converter.md lists them)";
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    return " here: an elementwise " + shown(op) +
           " with a constant needs one value per channel ([C, 1, 1] or a scalar), "
           "and between two activations only Add of equal shapes is supported";
  }
  if (op == "Sigmoid" || op == "Tanh" || op == "HardSigmoid" || op == "HardSwish" || op == "Elu" || op == "Selu" ||
      op == "Softplus" || op == "Gelu" || op == "Erf" || op == "Exp" || op == "Log") {
    return ": the engine's float activations are ReLU, PReLU, RPReLU and hardtanh (a clamp); use one of them";
  }
  if (op == "BatchNormalization") return ": batchnorm parameters must be constants, one per channel (model.eval())";
  return " (docs/converter.md lists what converts)";
}

void Lowering::emit_quantize(const Node& n, const Value& in, QuantizerChain q) {
  const int c = channels(in);
  resolve_sign(q, in.range, c, g_.nodes[*q.nodes.rbegin()].label());  // names the Sign
  const FloatThresholds t = float_thresholds(q, c, n.label());
  // A decreasing chain (a negative batchnorm scale) counts thresholds on -x.
  std::vector<float> scale;
  for (float d : t.direction) {
    if (d < 0) {
      scale = t.direction;
      break;
    }
  }
  Value out;
  out.tensor = b_.quantize(name_of(n), in.tensor, q.bits, q.encoding, t.thresholds, scale);
  out.onnx_rank = in.onnx_rank;
  out.flattened_chw = in.flattened_chw;
  out.packed = true;
  out.scale = q.value_scale;
  values_[q.output] = out;
  take(q.nodes);
  if (q.sign_op) ++sign_ops_;
  ++report_->quantize_layers;
}

void Lowering::emit_transform(const Node& n, const Value& in, const TransformChain& t) {
  int x = in.tensor;
  bool identity = true;
  for (size_t c = 0; c < t.scale.size(); ++c) identity = identity && t.scale[c] == 1 && t.bias[c] == 0;
  if (!identity) {
    x = b_.batchnorm(name_of(n), x, std::vector<float>(t.scale.begin(), t.scale.end()),
                     std::vector<float>(t.bias.begin(), t.bias.end()));
  }
  if (t.activation != ActivationKind::kNone) x = b_.activation(name_of(n) + ".act", x, activation_of(t));
  Value out = in;
  out.tensor = x;
  const int c = static_cast<int>(t.scale.size());
  out.range = in.range
                  .then(ChainStep{ChainStep::Kind::kAffine, std::vector<float>(t.scale.begin(), t.scale.end()),
                                  std::vector<float>(t.bias.begin(), t.bias.end())})
                  .then(activation_of(t), c);
  values_[t.output] = out;
  take(t.nodes);
  ++report_->float_layers;
}

ActivationSpec Lowering::activation_of(const TransformChain& t) {
  ActivationSpec a;
  a.kind = t.activation;
  a.slope = t.slope;
  a.shift_in = t.shift_in;
  a.shift_out = t.shift_out;
  a.min_value = t.min_value;
  a.max_value = t.max_value;
  return a;
}

// Window attributes; `extra_pads` come from a Pad node folded into a Conv.
WindowSpec Lowering::window_of(const Node& n, const std::vector<int64_t>& kernel,
                               const std::vector<int64_t>& extra_pads) {
  const std::string auto_pad = n.has("auto_pad") ? n.attributes.at("auto_pad").s : "NOTSET";
  if (auto_pad != "NOTSET" && auto_pad != "VALID")
    throw ConvertError(n.label() + ": auto_pad " + quoted(auto_pad) + " is not supported");
  if (kernel.size() != 2) throw ConvertError(n.label() + ": only 2-D windows are supported");
  const std::vector<int64_t> strides = n.ints_attr("strides", {1, 1});
  const std::vector<int64_t> dilations = n.ints_attr("dilations", {1, 1});
  std::vector<int64_t> pads = n.ints_attr("pads", {0, 0, 0, 0});  // top, left, bottom, right
  if (pads.size() != 4 || strides.size() != 2 || dilations.size() != 2)
    throw ConvertError(n.label() + ": bad window attributes");
  auto in_range = [&](const std::vector<int64_t>& v, int64_t lo) {
    return std::all_of(v.begin(), v.end(), [&](int64_t x) { return x >= lo && x <= (int64_t{1} << 12); });
  };
  // Both parts checked before the sum: int64 attributes of any size must not overflow it.
  const bool pads_in_range = in_range(pads, 0) && in_range(extra_pads, 0);
  if (pads_in_range) {
    for (size_t k = 0; k < extra_pads.size(); ++k) pads[k] += extra_pads[k];
  }
  if (!pads_in_range || !in_range(kernel, 1) || !in_range(strides, 1) || !in_range(dilations, 1) || !in_range(pads, 0)) {
    throw ConvertError(n.label() + ": window attributes out of range (kernel, stride, dilation 1..4096; pads 0..4096)");
  }
  WindowSpec w;
  w.kernel_h = static_cast<int>(kernel[0]), w.kernel_w = static_cast<int>(kernel[1]);
  w.stride_h = static_cast<int>(strides[0]), w.stride_w = static_cast<int>(strides[1]);
  w.pad_top = static_cast<int>(pads[0]), w.pad_left = static_cast<int>(pads[1]);
  w.pad_bottom = static_cast<int>(pads[2]), w.pad_right = static_cast<int>(pads[3]);
  w.dilation_h = static_cast<int>(dilations[0]), w.dilation_w = static_cast<int>(dilations[1]);
  return w;
}

// y = (acc * scale + bias) * t.scale + t.bias, then t's activation.
void Lowering::fuse(FloatTransformSpec* spec, const std::vector<float>& scale, const std::vector<float>& bias,
                    const TransformChain& t) {
  spec->scale.resize(scale.size());
  spec->bias.resize(scale.size());
  for (size_t c = 0; c < scale.size(); ++c) {
    spec->scale[c] = static_cast<float>(scale[c] * t.scale[c]);
    spec->bias[c] = static_cast<float>(bias[c] * t.scale[c] + t.bias[c]);
  }
  spec->activation = activation_of(t);
}

}  // namespace bnn::convert

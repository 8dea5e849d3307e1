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

void Lowering::lower_pad(const Node& n, const Value& in) {
  // A constant Pad in front of a Conv folds into the Conv's padding.
  const std::string mode = n.has("mode") ? n.attributes.at("mode").s : "constant";
  std::vector<int64_t> pads = n.ints_attr("pads");
  if (pads.empty()) {
    for (double v : constant(n, 1, "pads").values) {
      if (!std::isfinite(v) || v < 0 || v > (1 << 12)) throw ConvertError(n.label() + ": pads must be 0 to 4096");
      pads.push_back(static_cast<int64_t>(v));
    }
  }
  for (int64_t p : pads) {
    if (p < 0 || p > (1 << 12)) throw ConvertError(n.label() + ": pads must be 0 to 4096");
  }
  double pad_value = n.float_attr("value", 0);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) pad_value = constant(n, 2, "the pad value").values.at(0);
  // ONNX order: begins of N, C, H, W then ends of N, C, H, W.
  if (pads.size() != 8 || pads[0] || pads[4]) throw ConvertError(n.label() + ": padding the batch is not supported");
  if (pads[1] || pads[5]) {
    // Zero channels around a float tensor: the CIFAR ResNet "option A" shortcut,
    // F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p)).
    if (pads[2] || pads[3] || pads[6] || pads[7] || mode != "constant" || pad_value != 0 || in.packed ||
        in.flattened_chw || in.onnx_rank != 4) {
      throw ConvertError(n.label() +
                         ": padding channels is supported with zeros, on a float tensor, and with no "
                         "spatial padding in the same Pad");
    }
    Value out = float_value(b_.concat(name_of(n), {in.tensor}, static_cast<int>(pads[1]), static_cast<int>(pads[5])));
    out.range = ValueRange::concat({{in.range, channels(in)}}, static_cast<int>(pads[1]), static_cast<int>(pads[5]));
    return emit(n, out);
  }
  auto user = single_consumer(g_, n.outputs[0]);
  const bool pads_nothing = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; });
  const bool feeds_window = user && (g_.nodes[*user].op == "Conv" || g_.nodes[*user].op == "AveragePool");
  if (mode != "constant" || (!pads_nothing && !feeds_window)) {
    throw ConvertError(n.label() +
                       ": only a constant Pad feeding a single Conv or AveragePool is supported (write "
                       "the padding as the conv's padding=, or F.pad(x, ..., value=-1) right before a binary conv)");
  }
  Value v = in;
  if (pads_nothing) return emit(n, v);  // the exporter pads by 0 before a ceil-mode AveragePool
  v.pending_pads = {pads[2], pads[3], pads[6], pads[7]};
  v.pending_pad_value = pad_value;
  emit(n, v);
}

void Lowering::lower_conv(size_t i) {
  const Node& n = g_.nodes[i];
  const Value in = value(n.inputs.at(0), n.label());
  const Constant& w = constant(n, 1, "the weight");
  if (w.shape.size() != 4) throw ConvertError(n.label() + ": only 2-D convolutions are supported");
  const int64_t groups64 = n.int_attr("group", 1);
  const int64_t in_c = b_.shape(in.tensor).back();
  if (groups64 < 1 || groups64 > in_c || w.shape[1] * groups64 != in_c) {
    throw ConvertError(n.label() + ": weights [" + std::to_string(w.shape[0]) + ", " + std::to_string(w.shape[1]) +
                       ", ...] do not fit " + std::to_string(in_c) + " input channels in " + std::to_string(groups64) +
                       " group(s)");
  }
  if (n.has("kernel_shape") && n.ints_attr("kernel_shape") != std::vector<int64_t>{w.shape[2], w.shape[3]}) {
    throw ConvertError(n.label() + ": kernel_shape does not match the weights");
  }
  const int out_c = static_cast<int>(w.shape[0]);
  const int groups = static_cast<int>(groups64);
  std::vector<float> conv_bias(out_c, 0.0f);
  const bool has_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
  if (has_bias) {
    auto bias = per_channel(constant(n, 2, "the bias"), out_c, 1);
    if (!bias) throw ConvertError(n.label() + ": the bias must be " + std::to_string(out_c) + " finite values");
    conv_bias = *bias;
  }
  const WindowSpec window = window_of(n, {w.shape[2], w.shape[3]}, in.pending_pads);
  const auto user = single_consumer(g_, n.outputs[0]);

  if (!in.packed) {
    if (!in.pending_pads.empty() && in.pending_pad_value != 0) {
      throw ConvertError(n.label() + ": a float Conv after a Pad with value " + std::to_string(in.pending_pad_value) +
                         " is not supported");
    }
    FloatTransformSpec spec;
    if (has_bias) spec.bias = conv_bias;
    std::string out_name = n.outputs[0];
    if (user && !match_quantizer(g_, *user, out_c, 4)) {
      if (auto t = match_transform(g_, *user, out_c, 4, true)) {
        fuse(&spec, std::vector<float>(out_c, 1.0f), conv_bias, *t);
        out_name = t->output;
        take(t->nodes);
      }
    }
    Value out;
    out.tensor = b_.conv2d(name_of(n), in.tensor, out_c, window, oihw_to_ohwi(w), spec, groups);
    out.range = ValueRange::real().then(spec.activation, out_c);
    values_[out_name] = out;
    done_.insert(i);
    ++report_->float_layers;
    return;
  }

  PadValue pad_value = PadValue::kZero;
  if (!in.pending_pads.empty() && in.pending_pad_value != 0) {
    if (in.pending_pad_value != -1 * in.scale) {
      throw ConvertError(n.label() + ": padding binarized input with " + std::to_string(in.pending_pad_value) +
                         " is not supported (0 and -1 are)");
    }
    pad_value = PadValue::kMinusOne;
  }
  emit_bitserial(i, in, w, conv_bias, has_bias, window, groups, pad_value, 4, false);
}

// A bitserial layer on a packed input: a Conv (weights OIHW), or a
// Gemm/MatMul whose packed input is a vector (a 1x1 image) or a flattened
// image (a window over the whole image). Weights become codes with a
// per-channel scale; what follows is fused: a quantizer chain into integer
// thresholds (packed output), or batchnorm/affine and an activation into the
// float output transform. `rank` is the ONNX rank of the output (4 or 2),
// which decides how constants broadcast against it.
void Lowering::emit_bitserial(size_t i, const Value& in, const Constant& w, const std::vector<float>& conv_bias,
                              bool has_bias, const WindowSpec& window, int groups, PadValue pad_value, int rank,
                              bool vector_output) {
  const Node& n = g_.nodes[i];
  const int out_c = static_cast<int>(w.shape[0]);
  const auto user = single_consumer(g_, n.outputs[0]);
  const LowBitWeights lw = low_bit_weights(w, n.label());
  if (lw.zeros > 0) {
    warn(n.label() + ": " + std::to_string(lw.zeros) +
         " weight(s) are exactly 0, which one bit cannot hold; they run as +1 (sign(0) is 0 in PyTorch)");
  }
  std::vector<float> acc_scale(out_c);
  for (int c = 0; c < out_c; ++c) acc_scale[c] = static_cast<float>(lw.scale[c] * in.scale);
  const CodeWeights codes{lw.bits, lw.encoding, lw.codes_ohwi};
  const std::string name = name_of(n);
  ++report_->bitserial_layers;
  done_.insert(i);
  // The largest |accumulator|: every tap at its largest weight and activation code.
  const int64_t in_levels = (int64_t{1} << b_.raw().tensors[in.tensor]->bits) - 1;
  const int64_t bound = w.shape[1] * w.shape[2] * w.shape[3] * ((int64_t{1} << lw.bits) - 1) * in_levels;

  if (user) {
    if (auto q = match_quantizer(g_, *user, out_c, rank)) {
      resolve_sign(*q, ValueRange::accumulator(acc_scale, conv_bias, bound), out_c,
                   g_.nodes[*q->nodes.rbegin()].label());
      const IntThresholds t = int_thresholds(*q, acc_scale, conv_bias, bound, n.label());
      Value out;
      out.tensor = b_.bitserial_conv2d(name, in.tensor, out_c, window, codes,
                                       ThresholdSpec{q->bits, q->encoding, t.thresholds, t.direction}, groups,
                                       pad_value, vector_output);
      out.packed = true;
      out.scale = q->value_scale;
      out.onnx_rank = rank;
      values_[q->output] = out;
      take(q->nodes);
      if (q->sign_op) ++sign_ops_;
      return;
    }
  }
  FloatTransformSpec spec;
  spec.scale = acc_scale;
  if (has_bias) spec.bias = conv_bias;
  std::string out_name = n.outputs[0];
  if (user) {
    if (auto t = match_transform(g_, *user, out_c, rank, true)) {
      fuse(&spec, acc_scale, conv_bias, *t);
      out_name = t->output;
      take(t->nodes);
    }
  }
  Value out;
  out.tensor = b_.bitserial_conv2d(name, in.tensor, out_c, window, codes, spec, groups, pad_value, vector_output);
  out.range = ValueRange::accumulator(spec.scale, spec.bias, bound).then(spec.activation, out_c);
  out.onnx_rank = rank;
  values_[out_name] = out;
}

}  // namespace bnn::convert

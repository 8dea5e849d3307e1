#include "converter/convert.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "converter/chain.h"
#include "converter/constant_eval.h"
#include "converter/onnx_import.h"
#include "converter/simplify.h"
#include "converter/value_range.h"
#include "converter/weights.h"
#include "model_format/builder.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

// An ONNX value as the model holds it.
struct Value;
Value float_value(int tensor);

struct Value {
  int tensor = -1;
  bool packed = false;
  double scale = 1;             // packed: real value = scale * code value
  bool flattened_chw = false;   // a [H, W, C] tensor that ONNX flattened in C, H, W order
  int onnx_rank = 4;            // the rank ONNX gives it (NCHW 4, N x features 2): decides broadcasting
  ValueRange range;             // float: what is known of its values (decides what Sign gives at 0)
  // A Pad node waiting for its Conv: pads (top, left, bottom, right) and value.
  std::vector<int64_t> pending_pads;
  double pending_pad_value = 0;
};

Value float_value(int tensor) {
  Value v;
  v.tensor = tensor;
  return v;
}

class Lowering {
 public:
  Lowering(Graph& g, const ConvertOptions& options, ConvertReport* report) : g_(g), options_(options), report_(report) {}

  std::vector<uint8_t> run() {
    add_input();
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!done_.count(i)) lower(i);
    }
    const Value& out = value(g_.output, "the graph output");
    if (out.packed) throw ConvertError("the graph output '" + g_.output + "' is binarized; the model must end in floats");
    b_.set_output(out.tensor);
    if (!options_.labels.empty()) b_.set_labels(options_.labels);
    b_.set_input_info(options_.input_info);
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

 private:
  void warn(const std::string& message) { report_->warnings.push_back(message); }

  const Value& value(const std::string& name, const std::string& where) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw ConvertError(where + ": input '" + name + "' is not an activation the model computes");
    return it->second;
  }
  // Per-channel parameters are built for this many channels: bounded, so a
  // tiny file cannot ask for gigabytes of them (fuzz_onnx found 2^28 - 1).
  int channels(const Value& v) const {
    const int c = b_.shape(v.tensor).back();
    if (c > limits::kMaxChannels) {
      throw ConvertError("a tensor of " + std::to_string(c) + " channels: more than the limit of " +
                         std::to_string(limits::kMaxChannels) + " (kMaxChannels)");
    }
    return c;
  }
  static std::string name_of(const Node& n) { return n.name.empty() ? n.outputs[0] : n.name; }

  const Constant& constant(const Node& n, size_t input, const std::string& role) const {
    if (input >= n.inputs.size() || !g_.is_constant(n.inputs[input])) {
      throw ConvertError(n.label() + ": " + role + " must be a constant (an initializer, or computed from them)");
    }
    return g_.constants.at(n.inputs[input]);
  }

  void add_input() {
    std::vector<int> chw = options_.input_chw;
    if (chw.empty()) {
      if (g_.input_shape.size() != 4) throw ConvertError("the input '" + g_.input + "' must be N x C x H x W");
      for (int i = 1; i < 4; ++i) {
        if (g_.input_shape[i] < 1) {
          throw ConvertError("the input '" + g_.input + "' has no fixed C, H, W: give them with --input CxHxW");
        }
        if (g_.input_shape[i] > limits::kMaxTensorElements) throw ConvertError("the input '" + g_.input + "' is too large");
        chw.push_back(static_cast<int>(g_.input_shape[i]));
      }
    }
    if (int64_t{chw[0]} * chw[1] * chw[2] > limits::kMaxTensorElements) {
      throw ConvertError("the input '" + g_.input + "' has more than 2^28 elements (limit kMaxTensorElements)");
    }
    Value v;
    v.tensor = b_.input(g_.input, chw[1], chw[2], chw[0]);
    values_[g_.input] = v;
  }

  // Marks nodes as lowered.
  void take(const std::set<size_t>& nodes) { done_.insert(nodes.begin(), nodes.end()); }

  // The first non-constant input of a node.
  std::string data_input(const Node& n) const {
    for (const std::string& in : n.inputs) {
      if (!in.empty() && !g_.is_constant(in)) return in;
    }
    // Every input is a constant, yet constant folding left the node: say why.
    if (can_evaluate(n.op)) {
      throw ConvertError(n.label() + ": its inputs are all constants, but folding them failed (shapes that do not "
                         "broadcast, an out-of-range index or axis, or a result past the folding limit)");
    }
    throw ConvertError(n.label() + ": its inputs are all constants (weight arithmetic), but the converter cannot "
                       "evaluate " + n.op + " on constants; write the weight math with the ops docs/converter.md lists");
  }

  void lower(size_t i) {
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
      throw ConvertError(n.label() + ": " + op + " on binarized input is not supported (Conv, Gemm/MatMul, MaxPool and "
                         "subsampling Slice are); apply it before the binarizer");
    }
    if (op == "Add" && n.inputs.size() == 2 && !g_.is_constant(n.inputs[0]) && !g_.is_constant(n.inputs[1])) {
      return lower_add(i);
    }
    if (op == "GlobalAveragePool") {  // N x C x 1 x 1; an average of equal values keeps the range
      Value out = float_value(b_.global_avg_pool(name_of(n), in.tensor));
      out.range = in.range;
      return emit(n, out);
    }
    if (op == "ReduceMean") return lower_reduce_mean(i, in);
    if (op == "Flatten" || op == "Reshape" || op == "Squeeze") return lower_flatten(n, in);
    if (op == "Softmax" || op == "LogSoftmax") {
      const int64_t axis = n.int_attr("axis", g_.opset >= 13 ? -1 : 1);
      if (b_.shape(in.tensor).size() != 1 || in.onnx_rank != 2 || (axis != 1 && axis != -1)) {
        throw ConvertError(n.label() + ": " + op + " is supported over the classes of [N, classes] only (dim=1)");
      }
      Value out = float_value(b_.softmax(name_of(n), in.tensor, op == "LogSoftmax"));
      out.onnx_rank = 2;
      return emit(n, out);
    }
    if (auto t = match_transform(g_, i, channels(in), in.onnx_rank, true)) return emit_transform(n, in, *t);
    throw ConvertError(n.label() + ": not supported" + hint_for(n));
  }

  // What to write instead of an op the lowering has no pattern for.
  std::string hint_for(const Node& n) const {
    const std::string& op = n.op;
    if (op == "Sign" || op == "Round") {
      return " here (it does not end a recognized quantizer chain: a binarizer or a k-bit quantizer, k <= 4, with "
             "per-channel steps before it; docs/converter.md lists them)";
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      return " here: an elementwise " + op + " with a constant needs one value per channel ([C, 1, 1] or a scalar), "
             "and between two activations only Add of equal shapes is supported";
    }
    if (op == "Sigmoid" || op == "Tanh" || op == "HardSigmoid" || op == "HardSwish" || op == "Elu" || op == "Selu" ||
        op == "Softplus" || op == "Gelu" || op == "Erf" || op == "Exp" || op == "Log") {
      return ": the engine's float activations are ReLU, PReLU, RPReLU and hardtanh (a clamp); use one of them";
    }
    if (op == "BatchNormalization") return ": batchnorm parameters must be constants, one per channel (model.eval())";
    return " (docs/converter.md lists what converts)";
  }

  void emit(const Node& n, const Value& v) {
    values_[n.outputs[0]] = v;
    done_.insert(static_cast<size_t>(&n - g_.nodes.data()));
  }

  void emit_quantize(const Node& n, const Value& in, QuantizerChain q) {
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

  void emit_transform(const Node& n, const Value& in, const TransformChain& t) {
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
                    .then(ChainStep{ChainStep::Kind::kScaleShift, std::vector<float>(t.scale.begin(), t.scale.end()),
                                    std::vector<float>(t.bias.begin(), t.bias.end())})
                    .then(activation_of(t), c);
    values_[t.output] = out;
    take(t.nodes);
    ++report_->float_layers;
  }

  static ActivationSpec activation_of(const TransformChain& t) {
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
  WindowSpec window_of(const Node& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& extra_pads) {
    const std::string auto_pad = n.has("auto_pad") ? n.attributes.at("auto_pad").s : "NOTSET";
    if (auto_pad != "NOTSET" && auto_pad != "VALID") throw ConvertError(n.label() + ": auto_pad " + auto_pad + " is not supported");
    if (kernel.size() != 2) throw ConvertError(n.label() + ": only 2-D windows are supported");
    const std::vector<int64_t> strides = n.ints_attr("strides", {1, 1});
    const std::vector<int64_t> dilations = n.ints_attr("dilations", {1, 1});
    std::vector<int64_t> pads = n.ints_attr("pads", {0, 0, 0, 0});  // top, left, bottom, right
    if (pads.size() != 4 || strides.size() != 2 || dilations.size() != 2) throw ConvertError(n.label() + ": bad window attributes");
    for (size_t k = 0; k < extra_pads.size(); ++k) pads[k] += extra_pads[k];
    auto in_range = [&](const std::vector<int64_t>& v, int64_t lo) {
      return std::all_of(v.begin(), v.end(), [&](int64_t x) { return x >= lo && x <= (int64_t{1} << 12); });
    };
    if (!in_range(kernel, 1) || !in_range(strides, 1) || !in_range(dilations, 1) || !in_range(pads, 0)) {
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

  void lower_pad(const Node& n, const Value& in) {
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
        throw ConvertError(n.label() + ": padding channels is supported with zeros, on a float tensor, and with no "
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
      throw ConvertError(n.label() + ": only a constant Pad feeding a single Conv or AveragePool is supported (write "
                         "the padding as the conv's padding=, or F.pad(x, ..., value=-1) right before a binary conv)");
    }
    Value v = in;
    if (pads_nothing) return emit(n, v);  // the exporter pads by 0 before a ceil-mode AveragePool
    v.pending_pads = {pads[2], pads[3], pads[6], pads[7]};
    v.pending_pad_value = pad_value;
    emit(n, v);
  }

  void lower_conv(size_t i) {
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
  void emit_bitserial(size_t i, const Value& in, const Constant& w, const std::vector<float>& conv_bias, bool has_bias,
                      const WindowSpec& window, int groups, PadValue pad_value, int rank, bool vector_output) {
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
        resolve_sign(*q, ValueRange::accumulator(acc_scale, conv_bias, bound), out_c, g_.nodes[*q->nodes.rbegin()].label());
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

  // y = (acc * scale + bias) * t.scale + t.bias, then t's activation.
  static void fuse(FloatTransformSpec* spec, const std::vector<float>& scale, const std::vector<float>& bias,
                   const TransformChain& t) {
    spec->scale.resize(scale.size());
    spec->bias.resize(scale.size());
    for (size_t c = 0; c < scale.size(); ++c) {
      spec->scale[c] = static_cast<float>(scale[c] * t.scale[c]);
      spec->bias[c] = static_cast<float>(bias[c] * t.scale[c] + t.bias[c]);
    }
    spec->activation = activation_of(t);
  }

  void lower_pool(const Node& n, const Value& in) {
    const bool average = n.op == "AveragePool";
    if (average && in.packed) {
      throw ConvertError(n.label() + ": average pooling on binarized input is not supported; pool the float tensor, "
                         "then binarize");
    }
    // PyTorch exports AvgPool2d(padding=p, count_include_pad=True) as a zero
    // Pad and an AveragePool: the padded zeros count, so the pads fold in with
    // count_include_pad.
    bool count_include_pad = n.int_attr("count_include_pad", 0) != 0;
    if (!in.pending_pads.empty()) {
      if (!average || in.pending_pad_value != 0) throw ConvertError(n.label() + ": only a zero Pad may precede pooling");
      count_include_pad = true;
    }
    const WindowSpec window = window_of(n, n.ints_attr("kernel_shape"), in.pending_pads);
    const bool ceil_mode = n.int_attr("ceil_mode", 0) != 0;
    Value out = in;
    out.pending_pads.clear();
    out.tensor = average ? b_.avg_pool(name_of(n), in.tensor, window, count_include_pad, ceil_mode)
                         : b_.max_pool(name_of(n), in.tensor, window, ceil_mode);
    emit(n, out);
  }

  void lower_add(size_t i) {
    const Node& n = g_.nodes[i];
    const Value& a = value(n.inputs[0], n.label());
    const Value& b = value(n.inputs[1], n.label());
    if (a.packed || b.packed) {
      throw ConvertError(n.label() + ": Add of a binarized tensor is not supported; add the float tensors before the "
                         "binarizer (a real-valued shortcut adds to the conv's float output)");
    }
    if (b_.shape(a.tensor) != b_.shape(b.tensor)) {
      throw ConvertError(n.label() + ": Add of activations of different shapes is not supported (a shortcut must "
                         "match its branch: downsample it with a strided 1x1 conv, an AvgPool or x[:, :, ::2, ::2])");
    }
    ActivationSpec act;
    std::string out_name = n.outputs[0];
    const int c = channels(a);
    if (auto user = single_consumer(g_, n.outputs[0]); user && !match_quantizer(g_, *user, c, a.onnx_rank)) {
      if (auto t = match_transform(g_, *user, c, a.onnx_rank, false)) {
        act = activation_of(*t);
        out_name = t->output;
        take(t->nodes);
      }
    }
    // Fused into the convolution that wrote one operand, when only this Add
    // reads it and the other operand already exists then.
    Value out = a;
    out.tensor = -1;
    for (int side = 0; side < 2 && out.tensor < 0; ++side) {
      const Value& conv = side == 0 ? a : b;
      const Value& residual = side == 0 ? b : a;
      if (single_consumer(g_, n.inputs[side]) && b_.fuse_residual(conv.tensor, residual.tensor, act)) out.tensor = conv.tensor;
    }
    if (out.tensor < 0) {
      out.tensor = b_.add(name_of(n), a.tensor, b.tensor, act);
      ++report_->float_layers;
    }
    out.range = ValueRange::real().then(act, c);  // a sum is real-valued (value_range.h)
    values_[out_name] = out;
    done_.insert(i);
  }

  // Global average pooling written as a mean over H and W: x.mean((2, 3)),
  // x.mean(3).mean(2), x.mean(2).mean(2) (DoReFa's nets), with or without keepdim.
  void lower_reduce_mean(size_t i, const Value& in) {
    const Node& first = g_.nodes[i];
    const auto refuse = [&] {
      return ConvertError(first.label() + ": ReduceMean is supported over H and W of an N x C x H x W tensor only (global "
                          "average pooling: x.mean((2, 3)) or F.adaptive_avg_pool2d(x, 1))");
    };
    if (in.onnx_rank != 4 || in.flattened_chw || b_.shape(in.tensor).size() != 3) throw refuse();
    std::vector<int> dims = {0, 1, 2, 3};  // which of the input's axes the current value still has
    std::set<int> reduced;
    std::set<size_t> nodes;
    size_t at = i;
    for (;;) {
      const Node& r = g_.nodes[at];
      std::vector<int64_t> axes = r.ints_attr("axes");
      if (axes.empty()) throw refuse();  // all axes (or opset 18's axes input)
      const int rank = static_cast<int>(dims.size());
      std::set<int> now;
      for (int64_t a : axes) {
        if (a < -rank || a >= rank) throw refuse();
        now.insert(dims[static_cast<size_t>(a < 0 ? a + rank : a)]);
      }
      reduced.insert(now.begin(), now.end());
      if (r.int_attr("keepdims", 1) == 0) {
        for (int d : now) dims.erase(std::find(dims.begin(), dims.end(), d));
      }
      nodes.insert(at);
      if (reduced.count(0) || reduced.count(1) || nodes.size() > 2) throw refuse();
      if (reduced.size() == 2) break;
      auto next = single_consumer(g_, r.outputs[0]);
      if (!next || g_.nodes[*next].op != "ReduceMean") throw refuse();
      at = *next;
    }
    Value out = float_value(b_.global_avg_pool(name_of(first), in.tensor));
    out.range = in.range;  // an average of equal values keeps the range
    out.onnx_rank = static_cast<int>(dims.size());
    values_[g_.nodes[at].outputs[0]] = out;
    take(nodes);
  }

  // A channel Concat of float tensors (ReActNet-A's downsampling blocks).
  void lower_concat(size_t i) {
    const Node& n = g_.nodes[i];
    std::vector<int> tensors;
    std::vector<std::pair<ValueRange, int>> ranges;
    int rank = 0;
    for (const std::string& name : n.inputs) {
      if (g_.is_constant(name)) throw ConvertError(n.label() + ": Concat with a constant is not supported");
      const Value& v = value(name, n.label());
      if (v.packed) {
        throw ConvertError(n.label() + ": Concat of binarized tensors is not supported; concatenate the float tensors "
                           "before the binarizer (as ReActNet-A does)");
      }
      if (v.flattened_chw) throw ConvertError(n.label() + ": Concat after Flatten of an image is not supported");
      rank = v.onnx_rank;
      tensors.push_back(v.tensor);
      ranges.emplace_back(v.range, channels(v));
    }
    int64_t axis = n.int_attr("axis", 0);
    if (axis < 0) axis += rank;
    if (axis != 1) throw ConvertError(n.label() + ": Concat is supported along channels only (dim=1)");
    Value out = float_value(b_.concat(name_of(n), tensors));
    out.onnx_rank = rank;
    out.range = ValueRange::concat(ranges, 0, 0);
    emit(n, out);
  }

  // x[:, :, ::s, ::t]: subsampling (the CIFAR ResNet "option A" shortcut) is a
  // max pool with a 1x1 window, exact on floats and on packed bits.
  void lower_slice(const Node& n, const Value& in) {
    const auto refuse = [&] {
      return ConvertError(n.label() + ": Slice of an activation is supported as subsampling only, x[:, :, ::s, ::t] "
                          "(starts 0, to the end, on H and W)");
    };
    const std::vector<int>& shape = b_.shape(in.tensor);  // H, W, C
    if (in.onnx_rank != 4 || in.flattened_chw || shape.size() != 3) throw refuse();
    const std::vector<int64_t> onnx_dims = {1, shape[2], shape[0], shape[1]};
    // A parameter input as integers (clamped: the exporter writes INT64_MAX for "to the end"), or none if omitted.
    auto ints = [&](size_t k) -> std::optional<std::vector<int64_t>> {
      if (k >= n.inputs.size() || n.inputs[k].empty()) return std::nullopt;
      std::vector<int64_t> out;
      for (double v : constant(n, k, "a slice parameter").values) {
        if (!std::isfinite(v)) throw refuse();
        out.push_back(static_cast<int64_t>(std::clamp(v, -9.0e18, 9.0e18)));
      }
      return out;
    };
    const auto starts = ints(1), ends = ints(2);
    if (!starts || !ends || ends->size() != starts->size()) throw refuse();
    std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
    std::iota(axes.begin(), axes.end(), 0);
    if (auto given = ints(3)) axes = *given;
    if (auto given = ints(4)) steps = *given;
    if (axes.size() != starts->size() || steps.size() != starts->size()) throw refuse();
    int stride[4] = {1, 1, 1, 1};
    for (size_t j = 0; j < starts->size(); ++j) {
      const int64_t a = axes[j] < 0 ? axes[j] + 4 : axes[j];
      if (a < 0 || a > 3 || steps[j] < 1 || steps[j] > 4096) throw refuse();
      const int64_t dim = onnx_dims[static_cast<size_t>(a)];
      if ((*starts)[j] > 0 || ((*starts)[j] < 0 && (*starts)[j] > -dim) || (*ends)[j] < dim) throw refuse();
      if (a < 2 && steps[j] != 1) throw refuse();
      stride[a] = static_cast<int>(steps[j]);
    }
    Value out = in;
    if (stride[2] != 1 || stride[3] != 1) {
      WindowSpec w;
      w.stride_h = stride[2], w.stride_w = stride[3];
      out.tensor = b_.max_pool(name_of(n), in.tensor, w);
    }
    emit(n, out);
  }

  // Flatten(axis 1), a Reshape to [N, features], or a Squeeze of the 1x1
  // spatial dims after global pooling: N x C x H x W becomes N x (C*H*W).
  void lower_flatten(const Node& n, const Value& in) {
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
  void lower_binary_dense(size_t i, const Value& in, const Constant& w, bool trans_b, double alpha) {
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
    WindowSpec window;
    window.kernel_h = static_cast<int>(h), window.kernel_w = static_cast<int>(wd);
    emit_bitserial(i, in, oihw, bias, has_bias, window, 1, PadValue::kZero, 2, true);
  }

  // A flattened image keeps ONNX's C, H, W order, which the engine's tensor
  // does not have: only a Dense (which permutes its weights) or an activation
  // that treats every element alike may follow.
  void lower_flattened(size_t i, const Value& in) {
    const Node& n = g_.nodes[i];
    if (n.op == "Gemm" || n.op == "MatMul") return lower_dense(i, in);
    if (n.op == "Relu" || n.op == "Clip" || n.op == "LeakyRelu") {
      if (auto t = match_transform(g_, i, channels(in), 1, false); t && t->nodes.size() == 1) {
        const bool uniform = t->slope.empty() ||
                             std::all_of(t->slope.begin(), t->slope.end(), [&](float v) { return v == t->slope[0]; });
        if (uniform) return emit_transform(n, in, *t);
      }
    }
    // A per-feature batchnorm (BatchNorm1d) after flattening a 1x1 image is a per-channel one.
    const std::vector<int> shape = b_.shape(in.tensor);
    if (n.op == "BatchNormalization" && shape.size() == 3 && shape[0] == 1 && shape[1] == 1) {
      if (auto t = match_transform(g_, i, channels(in), 2, true)) return emit_transform(n, in, *t);
    }
    throw ConvertError(n.label() + ": " + n.op + " after Flatten of an image is not supported (only Gemm/MatMul, "
                       "Relu, Clip, LeakyRelu, or BatchNormalization of a 1x1 image)");
  }

  void lower_dense(size_t i, const Value& in) {
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
    if (in_count != in_f) throw ConvertError(n.label() + ": " + std::to_string(in_f) + " input features expected, the input has " + std::to_string(in_count));
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

  Graph& g_;
  const ConvertOptions& options_;
  ConvertReport* report_;
  ModelBuilder b_;
  std::map<std::string, Value> values_;
  std::set<size_t> done_;
  int sign_ops_ = 0;
};

}  // namespace

std::vector<uint8_t> convert_graph(Graph graph, const ConvertOptions& options, ConvertReport* report) {
  if (options.input_chw.size() == 3) {  // --input: the size shape inference starts from
    graph.input_shape = {1, options.input_chw[0], options.input_chw[1], options.input_chw[2]};
  }
  simplify(graph);
  try {
    return Lowering(graph, options, report).run();
  } catch (const std::invalid_argument& e) {
    throw ConvertError(e.what());  // the builder refused a layer (e.g. a window larger than its input)
  }
}

std::vector<uint8_t> convert_onnx_file(const std::string& path, const ConvertOptions& options, ConvertReport* report) {
  return convert_graph(import_onnx(path), options, report);
}

}  // namespace bnn::convert

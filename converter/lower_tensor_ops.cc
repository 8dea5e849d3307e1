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

void Lowering::lower_pool(const Node& n, const Value& in) {
  const bool average = n.op == "AveragePool";
  if (average && in.packed) {
    throw ConvertError(n.label() +
                       ": average pooling on binarized input is not supported; pool the float tensor, "
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
  if (average) out.range = in.range.averaged();  // a max keeps the range (value_range.h)
  emit(n, out);
}

void Lowering::lower_add(size_t i) {
  const Node& n = g_.nodes[i];
  const Value& a = value(n.inputs[0], n.label());
  const Value& b = value(n.inputs[1], n.label());
  if (a.packed || b.packed) {
    throw ConvertError(n.label() +
                       ": Add of a binarized tensor is not supported; add the float tensors before the "
                       "binarizer (a real-valued shortcut adds to the conv's float output)");
  }
  if (b_.shape(a.tensor) != b_.shape(b.tensor)) {
    throw ConvertError(n.label() +
                       ": Add of activations of different shapes is not supported (a shortcut must "
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
    if (single_consumer(g_, n.inputs[side]) && b_.fuse_residual(conv.tensor, residual.tensor, act))
      out.tensor = conv.tensor;
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
void Lowering::lower_reduce_mean(size_t i, const Value& in) {
  const Node& first = g_.nodes[i];
  const auto refuse = [&] {
    return ConvertError(first.label() +
                        ": ReduceMean is supported over H and W of an N x C x H x W tensor only (global "
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
  out.range = in.range.averaged();
  out.onnx_rank = static_cast<int>(dims.size());
  values_[g_.nodes[at].outputs[0]] = out;
  take(nodes);
}

// A channel Concat of float tensors (ReActNet-A's downsampling blocks).
void Lowering::lower_concat(size_t i) {
  const Node& n = g_.nodes[i];
  std::vector<int> tensors;
  std::vector<std::pair<ValueRange, int>> ranges;
  int rank = 0;
  for (const std::string& name : n.inputs) {
    if (g_.is_constant(name)) throw ConvertError(n.label() + ": Concat with a constant is not supported");
    const Value& v = value(name, n.label());
    if (v.packed) {
      throw ConvertError(n.label() +
                         ": Concat of binarized tensors is not supported; concatenate the float tensors "
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
void Lowering::lower_slice(const Node& n, const Value& in) {
  const auto refuse = [&] {
    return ConvertError(n.label() +
                        ": Slice of an activation is supported as subsampling only, x[:, :, ::s, ::t] "
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

}  // namespace bnn::convert

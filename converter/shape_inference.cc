// SPDX-License-Identifier: Apache-2.0
#include "converter/shape_inference.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <set>

#include "converter/simplify.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

using Shape = std::vector<int64_t>;
using Rule = std::function<std::optional<Shape>(const Node&, const std::vector<const Shape*>&, const Graph&)>;

// A whole number from a constant's value (shapes, axes, indices), clamped to
// +-2^62: the exporter writes INT64_MAX as the end of an open slice (x[:, :, ::2]).
std::optional<int64_t> whole(double v) {
  if (!std::isfinite(v) || v != std::trunc(v)) return std::nullopt;
  constexpr double kLimit = 4611686018427387904.0;  // 2^62
  return static_cast<int64_t>(std::clamp(v, -kLimit, kLimit));
}

// A constant input read as integers, or nothing if it is absent or not whole numbers.
std::optional<Shape> ints_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i].empty() || !g.is_constant(n.inputs[i])) return std::nullopt;
  Shape out;
  for (double v : g.constants.at(n.inputs[i]).values) {
    auto w = whole(v);
    if (!w) return std::nullopt;
    out.push_back(*w);
  }
  return out;
}

// Axes from the attribute (older opsets) or input 1 (newer), normalized against `rank`.
std::optional<Shape> axes_of(const Graph& g, const Node& n, int64_t rank) {
  Shape axes = n.ints_attr("axes");
  if (axes.empty()) {
    if (auto from_input = ints_input(g, n, 1)) axes = *from_input;
  }
  for (int64_t& a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return std::nullopt;
  }
  return axes;
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

bool sane(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0 || (d > 0 && n > limits::kMaxTensorElements / d)) return false;
    n *= d;
  }
  return true;
}

// The spatial output of a sliding window (Conv, pooling): ONNX's formula, ceil_mode included.
std::optional<Shape> window(const Node& n, const Shape& in, const Shape& kernel, int64_t channels) {
  if (in.size() != 4 || kernel.size() != 2) return std::nullopt;
  const std::string auto_pad = n.has("auto_pad") ? n.attributes.at("auto_pad").s : "NOTSET";
  if (auto_pad != "NOTSET" && auto_pad != "VALID") return std::nullopt;
  const Shape strides = n.ints_attr("strides", {1, 1}), dilations = n.ints_attr("dilations", {1, 1});
  const Shape pads = n.ints_attr("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) return std::nullopt;
  const bool ceil_mode = n.int_attr("ceil_mode", 0) != 0;
  Shape out = {in[0], channels};
  for (int d = 0; d < 2; ++d) {
    if (strides[d] < 1 || dilations[d] < 1 || kernel[d] < 1) return std::nullopt;
    const int64_t span = in[2 + d] + pads[d] + pads[d + 2] - dilations[d] * (kernel[d] - 1) - 1;
    if (span < 0) return std::nullopt;
    int64_t o = (ceil_mode ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1;
    // ceil_mode: a window that would start in the end padding is dropped.
    if (ceil_mode && (o - 1) * strides[d] >= in[2 + d] + pads[d]) --o;
    out.push_back(o);
  }
  return out;
}

std::optional<Shape> reshape(const Shape& in, const Shape& target) {
  Shape out;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && i < in.size()) d = in[i];
    if (d == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int64_t>(i);
      d = 1;
    } else if (d < 0 || d > limits::kMaxTensorElements || (d > 0 && known > limits::kMaxTensorElements / d)) {
      return std::nullopt;  // checked product: no wrap-around
    } else {
      known *= d;
    }
    out.push_back(d);
  }
  const int64_t total = product(in, 0, in.size());
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return std::nullopt;
    out[infer] = total / known;
  }
  if (product(out, 0, out.size()) != total) return std::nullopt;
  return out;
}

std::optional<Shape> slice(const Graph& g, const Node& n, const Shape& in) {
  auto starts = ints_input(g, n, 1), ends = ints_input(g, n, 2);
  if (!starts || !ends || starts->size() != ends->size()) return std::nullopt;
  Shape axes(starts->size()), steps(starts->size(), 1);
  std::iota(axes.begin(), axes.end(), 0);
  if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
    auto a = ints_input(g, n, 3);
    if (!a || a->size() != starts->size()) return std::nullopt;
    axes = *a;
  }
  if (n.inputs.size() > 4 && !n.inputs[4].empty()) {
    auto s = ints_input(g, n, 4);
    if (!s || s->size() != starts->size()) return std::nullopt;
    steps = *s;
  }
  Shape out = in;
  const int64_t rank = static_cast<int64_t>(in.size());
  for (size_t j = 0; j < axes.size(); ++j) {
    int64_t axis = axes[j] < 0 ? axes[j] + rank : axes[j];
    if (axis < 0 || axis >= rank || steps[j] == 0) return std::nullopt;
    out[axis] = slice_axis(static_cast<double>((*starts)[j]), static_cast<double>((*ends)[j]), steps[j], in[axis]).count;
  }
  return out;
}

std::optional<Shape> reduce(const Graph& g, const Node& n, const Shape& in) {
  auto axes = axes_of(g, n, static_cast<int64_t>(in.size()));
  if (!axes) return std::nullopt;
  if (axes->empty()) {
    if (n.int_attr("noop_with_empty_axes", 0) != 0) return in;
    axes->resize(in.size());
    std::iota(axes->begin(), axes->end(), 0);
  }
  const bool keep = n.int_attr("keepdims", 1) != 0;
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    const bool reduced = std::find(axes->begin(), axes->end(), static_cast<int64_t>(d)) != axes->end();
    if (!reduced) out.push_back(in[d]);
    else if (keep) out.push_back(1);
  }
  return out;
}

const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    const Rule same = [](const Node&, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      return *in[0];
    };
    for (const char* op : {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Sign", "Round", "Neg", "Abs", "Clip",
                           "BatchNormalization", "Cast", "Identity", "Dropout", "Not", "Softmax", "LogSoftmax", "Erf",
                           "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "HardSigmoid", "HardSwish", "Elu",
                           "Selu", "Softplus", "Softsign", "InstanceNormalization"}) {
      t[op] = same;
    }
    const Rule broadcast = [](const Node&, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      Shape out = *in[0];
      for (size_t i = 1; i < in.size(); ++i) {
        Shape both;
        if (!in[i] || !broadcast_shape(out, *in[i], &both)) return std::nullopt;
        out = both;
      }
      return out;
    };
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", "Equal", "Less", "LessOrEqual",
                           "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Mod", "Sum", "Mean"}) {
      t[op] = broadcast;
    }
    t["Conv"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      if (in.size() < 2 || !in[1] || in[1]->size() != 4) return std::nullopt;
      return window(n, *in[0], {(*in[1])[2], (*in[1])[3]}, (*in[1])[0]);
    };
    const Rule pool = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      if (in[0]->size() != 4) return std::nullopt;
      return window(n, *in[0], n.ints_attr("kernel_shape"), (*in[0])[1]);
    };
    t["MaxPool"] = t["AveragePool"] = pool;
    t["GlobalAveragePool"] = t["GlobalMaxPool"] = [](const Node&, const std::vector<const Shape*>& in,
                                                     const Graph&) -> std::optional<Shape> {
      if (in[0]->size() < 2) return std::nullopt;
      Shape out(in[0]->size(), 1);
      out[0] = (*in[0])[0], out[1] = (*in[0])[1];
      return out;
    };
    t["Flatten"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      const int64_t rank = static_cast<int64_t>(in[0]->size());
      int64_t axis = n.int_attr("axis", 1);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank) return std::nullopt;
      return Shape{product(*in[0], 0, axis), product(*in[0], axis, rank)};
    };
    t["Reshape"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) -> std::optional<Shape> {
      auto target = ints_input(g, n, 1);
      if (!target) return std::nullopt;
      return reshape(*in[0], *target);
    };
    t["Squeeze"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) -> std::optional<Shape> {
      auto axes = axes_of(g, n, static_cast<int64_t>(in[0]->size()));
      if (!axes) return std::nullopt;
      Shape out;
      for (size_t d = 0; d < in[0]->size(); ++d) {
        const bool listed = std::find(axes->begin(), axes->end(), static_cast<int64_t>(d)) != axes->end();
        if (listed && (*in[0])[d] != 1) return std::nullopt;
        if (!(listed || (axes->empty() && (*in[0])[d] == 1))) out.push_back((*in[0])[d]);
      }
      return out;
    };
    t["Unsqueeze"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) -> std::optional<Shape> {
      Shape listed = n.ints_attr("axes");
      if (listed.empty()) {
        auto from_input = ints_input(g, n, 1);
        if (!from_input) return std::nullopt;
        listed = *from_input;
      }
      auto axes = axes_of(g, n, static_cast<int64_t>(in[0]->size() + listed.size()));
      if (!axes) return std::nullopt;
      std::sort(axes->begin(), axes->end());
      Shape out = *in[0];
      for (int64_t a : *axes) out.insert(out.begin() + a, 1);
      return out;
    };
    t["Gemm"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      if (in.size() < 2 || !in[1] || in[0]->size() != 2 || in[1]->size() != 2) return std::nullopt;
      const int64_t m = n.int_attr("transA", 0) ? (*in[0])[1] : (*in[0])[0];
      const int64_t cols = n.int_attr("transB", 0) ? (*in[1])[0] : (*in[1])[1];
      return Shape{m, cols};
    };
    t["MatMul"] = [](const Node&, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      if (in.size() < 2 || !in[1] || in[0]->size() != 2 || in[1]->size() != 2) return std::nullopt;
      return Shape{(*in[0])[0], (*in[1])[1]};
    };
    t["Pad"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) -> std::optional<Shape> {
      Shape pads = n.ints_attr("pads");
      if (pads.empty()) {
        auto from_input = ints_input(g, n, 1);
        if (!from_input) return std::nullopt;
        pads = *from_input;
      }
      const size_t rank = in[0]->size();
      if (pads.size() != 2 * rank) return std::nullopt;
      Shape out = *in[0];
      for (size_t d = 0; d < rank; ++d) out[d] += pads[d] + pads[d + rank];
      return out;
    };
    t["Concat"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      const int64_t rank = static_cast<int64_t>(in[0]->size());
      int64_t axis = n.int_attr("axis", 0);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) return std::nullopt;
      Shape out = *in[0];
      for (size_t i = 1; i < in.size(); ++i) {
        if (!in[i] || in[i]->size() != in[0]->size()) return std::nullopt;
        out[axis] += (*in[i])[axis];
      }
      return out;
    };
    t["Slice"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) { return slice(g, n, *in[0]); };
    for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2"}) {
      t[op] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) { return reduce(g, n, *in[0]); };
    }
    t["Transpose"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      Shape perm = n.ints_attr("perm");
      if (perm.empty()) {
        perm.resize(in[0]->size());
        std::iota(perm.rbegin(), perm.rend(), 0);
      }
      if (perm.size() != in[0]->size()) return std::nullopt;
      Shape out;
      for (int64_t p : perm) {
        if (p < 0 || p >= static_cast<int64_t>(in[0]->size())) return std::nullopt;
        out.push_back((*in[0])[p]);
      }
      return out;
    };
    t["Expand"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph& g) -> std::optional<Shape> {
      auto target = ints_input(g, n, 1);
      Shape out;
      if (!target || !broadcast_shape(*in[0], *target, &out)) return std::nullopt;
      return out;
    };
    t["Shape"] = [](const Node&, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      return Shape{static_cast<int64_t>(in[0]->size())};
    };
    t["Gather"] = [](const Node& n, const std::vector<const Shape*>& in, const Graph&) -> std::optional<Shape> {
      if (in.size() < 2 || !in[1]) return std::nullopt;
      const int64_t rank = static_cast<int64_t>(in[0]->size());
      int64_t axis = n.int_attr("axis", 0);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) return std::nullopt;
      Shape out(in[0]->begin(), in[0]->begin() + axis);
      out.insert(out.end(), in[1]->begin(), in[1]->end());
      out.insert(out.end(), in[0]->begin() + axis + 1, in[0]->end());
      return out;
    };
    return t;
  }();
  return table;
}

}  // namespace

Shapes infer_shapes(const Graph& g) {
  Shapes shapes;
  for (const auto& [name, c] : g.constants) shapes[name] = c.shape;
  if (!g.input_shape.empty()) {
    Shape in = g.input_shape;
    in[0] = 1;  // the batch: one image
    if (std::all_of(in.begin(), in.end(), [](int64_t d) { return d >= 1; })) shapes[g.input] = in;
  }
  for (const Node& n : g.nodes) {
    auto rule = rules().find(n.op);
    if (rule == rules().end() || n.inputs.empty() || n.outputs.empty()) continue;
    std::vector<const Shape*> in;
    for (const std::string& name : n.inputs) {
      auto it = shapes.find(name);
      in.push_back(name.empty() || it == shapes.end() ? nullptr : &it->second);
    }
    if (!in[0]) continue;
    auto out = rule->second(n, in, g);
    if (out && sane(*out)) shapes[n.outputs[0]] = *out;
  }
  return shapes;
}

bool fold_shapes(Graph& g) {
  Shapes shapes = infer_shapes(g);
  const size_t before = g.nodes.size();
  std::vector<Node> kept;
  for (Node& n : g.nodes) {
    auto known = n.op == "Shape" && n.outputs.size() == 1 && !n.inputs.empty() ? shapes.find(n.inputs[0]) : shapes.end();
    if (known == shapes.end() || g.is_constant(n.inputs[0])) {
      kept.push_back(std::move(n));
      continue;
    }
    // Opset 15's start and end select a range of the dimensions.
    const int64_t rank = static_cast<int64_t>(known->second.size());
    int64_t start = n.int_attr("start", 0), end = n.int_attr("end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, start, rank);
    Constant c;
    c.values.assign(known->second.begin() + start, known->second.begin() + end);
    c.shape = {static_cast<int64_t>(c.values.size())};
    g.constants[n.outputs[0]] = std::move(c);
  }
  g.nodes = std::move(kept);
  bool changed = g.nodes.size() != before;
  // Again with the folded shapes, before constant folding can turn an
  // Expand of a folded shape into a tensor of the activation's full size.
  if (changed) shapes = infer_shapes(g);
  // Expand(c, s) whose every reader is an elementwise op whose other operand
  // already has shape s: broadcasting gives the same values, so read c itself.
  static const std::set<std::string> elementwise = {"Add", "Sub", "Mul", "Div"};
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& e = g.nodes[i];
    if (e.op != "Expand" || e.inputs.size() != 2 || !g.is_constant(e.inputs[1])) continue;
    auto target = shapes.find(e.outputs[0]);
    if (target == shapes.end()) continue;
    bool redundant = true;
    const std::vector<size_t> readers = g.consumers(e.outputs[0]);
    for (size_t r : readers) {
      const Node& user = g.nodes[r];
      if (!elementwise.count(user.op) || user.inputs.size() != 2 || user.inputs[0] == user.inputs[1]) {
        redundant = false;
        break;
      }
      const std::string& other = user.inputs[0] == e.outputs[0] ? user.inputs[1] : user.inputs[0];
      auto other_shape = shapes.find(other);
      if (other_shape == shapes.end() || other_shape->second != target->second) redundant = false;
    }
    if (!redundant || readers.empty() || e.outputs[0] == g.output) continue;
    const std::string from = e.outputs[0], to = e.inputs[0];
    g.nodes.erase(g.nodes.begin() + static_cast<long>(i--));
    replace_uses(g, from, to);
    changed = true;
  }
  return changed;
}

}  // namespace bnn::convert

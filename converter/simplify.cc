#include "converter/simplify.h"

#include "converter/shape_inference.h"

#include "model_format/limits.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

namespace bnn::convert {
namespace {

constexpr int64_t kOnnxFloat = 1;
// Folding never makes a constant larger than an initializer may be.
constexpr int64_t kMaxFoldedElements = limits::kMaxFoldedElements;
constexpr int64_t kOnnxDouble = 11;

// Rounds to float32: folded values are what PyTorch, computing in float32, held.
double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

// The flat index into `shape` (right-aligned, broadcast) of position `index` in `out_shape`.
int64_t broadcast_index(int64_t index, const std::vector<int64_t>& out_shape, const std::vector<int64_t>& shape) {
  int64_t result = 0, stride = 1;
  for (size_t i = out_shape.size(); i-- > 0;) {
    const int64_t coord = index % out_shape[i];
    index /= out_shape[i];
    const size_t j = i + shape.size();
    if (j >= out_shape.size()) {
      const int64_t dim = shape[j - out_shape.size()];
      result += (dim == 1 ? 0 : coord) * stride;
      stride *= dim;
    }
  }
  return result;
}

// Element count of a shape, or -1 past the folding limit.
int64_t capped_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMaxFoldedElements / d)) return -1;
    n *= d;
  }
  return n;
}

// A double that must be a whole number in int64 range (shapes, axes, indices).
bool whole(double v, int64_t* out) {
  if (!std::isfinite(v) || std::fabs(v) > 9.0e15 || v != std::trunc(v)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

bool binary(const std::vector<const Constant*>& in, Constant* out, const std::function<double(double, double)>& f) {
  if (in.size() != 2 || !in[0] || !in[1] || !broadcast_shape(in[0]->shape, in[1]->shape, &out->shape)) return false;
  const int64_t n = capped_count(out->shape);
  if (n < 0) return false;
  out->values.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    out->values[i] = f(in[0]->values[broadcast_index(i, out->shape, in[0]->shape)],
                       in[1]->values[broadcast_index(i, out->shape, in[1]->shape)]);
  }
  return true;
}

bool unary(const std::vector<const Constant*>& in, Constant* out, const std::function<double(double)>& f) {
  if (in.empty() || !in[0]) return false;
  *out = *in[0];
  for (double& v : out->values) v = f(v);
  return true;
}

// Axes from the attribute (older opsets) or the second input (newer ones),
// normalized against `rank`; false if any is not a valid axis.
bool axes_of(const Node& n, const std::vector<const Constant*>& in, size_t rank, std::vector<int64_t>* axes) {
  *axes = n.ints_attr("axes");
  if (axes->empty() && in.size() > 1 && in[1]) {
    for (double v : in[1]->values) {
      int64_t a;
      if (!whole(v, &a)) return false;
      axes->push_back(a);
    }
  }
  for (int64_t& a : *axes) {
    a = a < 0 ? a + static_cast<int64_t>(rank) : a;
    if (a < 0 || a >= static_cast<int64_t>(rank)) return false;
  }
  std::vector<int64_t> sorted = *axes;
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
}

bool reduce(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const Constant& x = *in[0];
  std::vector<int64_t> axes;
  if (!axes_of(n, in, x.shape.size(), &axes)) return false;
  if (axes.empty()) {
    axes.resize(x.shape.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  const bool keep = n.int_attr("keepdims", 1) != 0;
  std::vector<int64_t> kept_shape = x.shape;
  for (int64_t a : axes) kept_shape[a] = 1;
  const int64_t n_out = capped_count(kept_shape);
  if (n_out < 0) return false;
  const double start = n.op == "ReduceMax" ? -INFINITY : n.op == "ReduceMin" ? INFINITY : n.op == "ReduceProd" ? 1.0 : 0.0;
  std::vector<double> acc(n_out, start);
  std::vector<int64_t> count(n_out, 0);
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t o = broadcast_index(i, x.shape, kept_shape);
    const double v = x.values[i];
    if (n.op == "ReduceMax") acc[o] = std::max(acc[o], v);
    else if (n.op == "ReduceMin") acc[o] = std::min(acc[o], v);
    else if (n.op == "ReduceProd") acc[o] = f32(acc[o] * v);
    else acc[o] += v;
    ++count[o];
  }
  if (n.op == "ReduceMean") {
    for (int64_t o = 0; o < n_out; ++o) acc[o] /= static_cast<double>(count[o]);
  }
  for (double& v : acc) v = f32(v);
  out->values = acc;
  out->shape.clear();
  for (size_t d = 0; d < kept_shape.size(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!reduced || keep) out->shape.push_back(kept_shape[d]);
  }
  return true;
}

bool reshape(const std::vector<const Constant*>& in, Constant* out) {
  if (in.size() < 2 || !in[0] || !in[1]) return false;
  std::vector<int64_t> shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < in[1]->values.size(); ++i) {
    int64_t d;
    if (!whole(in[1]->values[i], &d)) return false;
    if (d == 0 && i < in[0]->shape.size()) d = in[0]->shape[i];
    if (d == -1) {
      if (infer >= 0) return false;
      infer = static_cast<int64_t>(i);
      d = 1;
    } else if (d < 1 || d > kMaxFoldedElements || known > kMaxFoldedElements / d) {
      return false;  // checked product: no wrap-around lets a bad shape through
    } else {
      known *= d;
    }
    shape.push_back(d);
  }
  if (infer >= 0) {
    if (known == 0 || in[0]->size() % known != 0) return false;
    shape[infer] = in[0]->size() / known;
  }
  if (std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>()) != in[0]->size()) return false;
  out->values = in[0]->values;
  out->shape = shape;
  return true;
}

bool transpose(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const Constant& x = *in[0];
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = n.ints_attr("perm");
  if (perm.empty()) {
    perm.resize(rank);
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  if (perm.size() != rank) return false;
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < rank; ++i) {
    if (sorted[i] != static_cast<int64_t>(i)) return false;  // not a permutation
  }
  out->shape.resize(rank);
  for (size_t i = 0; i < rank; ++i) out->shape[i] = x.shape[perm[i]];
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * x.shape[i];
  out->values.resize(x.values.size());
  for (int64_t o = 0; o < x.size(); ++o) {
    int64_t rest = o, src = 0;
    for (size_t i = rank; i-- > 0;) {
      src += (rest % out->shape[i]) * in_strides[perm[i]];
      rest /= out->shape[i];
    }
    out->values[o] = x.values[src];
  }
  return true;
}

}  // namespace

bool evaluate_constant_node(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const std::string& op = n.op;
  if (op == "Constant") {
    if (!n.has("value") || n.attributes.at("value").kind != Attribute::Kind::kTensor) return false;
    *out = n.attributes.at("value").t;
    return true;
  }
  for (const Constant* c : in) {
    if (!c) return false;
  }
  if (in.empty()) return false;
  if (op == "Identity") return unary(in, out, [](double v) { return v; });
  if (op == "Cast") {
    const int64_t to = n.int_attr("to", kOnnxFloat);
    if (to == 9) return unary(in, out, [](double v) { return double(v != 0); });  // BOOL
    if (to == 1) return unary(in, out, [](double v) { return f32(v); });         // FLOAT
    if (to == 11) return unary(in, out, [](double v) { return v; });             // DOUBLE
    if (to == 2 || to == 3 || to == 4 || to == 5 || to == 6 || to == 7) {         // integers
      return unary(in, out, [](double v) { return std::isfinite(v) ? std::trunc(v) : 0.0; });
    }
    return false;  // float16, bfloat16, strings...: not folded, so never folded wrong
  }
  if (op == "Neg") return unary(in, out, [](double v) { return -v; });
  if (op == "Abs") return unary(in, out, [](double v) { return std::fabs(v); });
  if (op == "Sign") return unary(in, out, [](double v) { return double((v > 0) - (v < 0)); });
  if (op == "Sqrt") return unary(in, out, [](double v) { return f32(std::sqrt(v)); });
  if (op == "Log") return unary(in, out, [](double v) { return f32(std::log(v)); });
  if (op == "Reciprocal") return unary(in, out, [](double v) { return f32(1.0 / v); });
  if (op == "Exp") return unary(in, out, [](double v) { return f32(std::exp(v)); });
  if (op == "Tanh") return unary(in, out, [](double v) { return f32(std::tanh(v)); });
  if (op == "Round") return unary(in, out, [](double v) { return std::nearbyint(v); });  // half to even
  if (op == "Floor") return unary(in, out, [](double v) { return std::floor(v); });
  if (op == "Ceil") return unary(in, out, [](double v) { return std::ceil(v); });
  if (op == "Relu") return unary(in, out, [](double v) { return v < 0 ? 0.0 : v; });
  if (op == "Not") return unary(in, out, [](double v) { return double(v == 0); });
  if (op == "Add") return binary(in, out, [](double a, double b) { return f32(a + b); });
  if (op == "Sub") return binary(in, out, [](double a, double b) { return f32(a - b); });
  if (op == "Mul") return binary(in, out, [](double a, double b) { return f32(a * b); });
  if (op == "Div") return binary(in, out, [](double a, double b) { return f32(a / b); });
  if (op == "Pow") return binary(in, out, [](double a, double b) { return f32(std::pow(a, b)); });
  if (op == "Max") return binary(in, out, [](double a, double b) { return std::max(a, b); });
  if (op == "Min") return binary(in, out, [](double a, double b) { return std::min(a, b); });
  if (op == "Equal") return binary(in, out, [](double a, double b) { return double(a == b); });
  if (op == "Less") return binary(in, out, [](double a, double b) { return double(a < b); });
  if (op == "LessOrEqual") return binary(in, out, [](double a, double b) { return double(a <= b); });
  if (op == "Greater") return binary(in, out, [](double a, double b) { return double(a > b); });
  if (op == "GreaterOrEqual") return binary(in, out, [](double a, double b) { return double(a >= b); });
  if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin" || op == "ReduceProd") {
    return reduce(n, in, out);
  }
  if (op == "Reshape") return reshape(in, out);
  if (op == "Transpose") return transpose(n, in, out);
  if (op == "Slice" && in.size() >= 3 && in[1] && in[2]) {  // ONNX semantics: clamped, negative steps allowed
    const Constant& x = *in[0];
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1), count = x.shape;
    const size_t k = in[1]->values.size();
    if (in[2]->values.size() != k) return false;
    if (in.size() > 3 && in[3] && in[3]->values.size() != k) return false;
    if (in.size() > 4 && in[4] && in[4]->values.size() != k) return false;
    for (size_t j = 0; j < k; ++j) {
      int64_t axis = static_cast<int64_t>(j), s = 1;
      if (std::isnan(in[1]->values[j]) || std::isnan(in[2]->values[j])) return false;
      if (in.size() > 3 && in[3] && !whole(in[3]->values[j], &axis)) return false;
      if (in.size() > 4 && in[4] && !whole(in[4]->values[j], &s)) return false;
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank || s == 0) return false;
      const int64_t dim = x.shape[static_cast<size_t>(axis)];
      // Starts and ends may be +-2^63: clamp them in double first.
      auto clamp_index = [&](double v, int64_t lo, int64_t hi) {
        if (v < 0) v += static_cast<double>(dim);
        return static_cast<int64_t>(std::min(std::max(v, static_cast<double>(lo)), static_cast<double>(hi)));
      };
      // ONNX: with a negative step, starts clamp to [0, dim - 1] and ends to [-1, dim - 1].
      const int64_t b = s > 0 ? clamp_index(in[1]->values[j], 0, dim) : clamp_index(in[1]->values[j], 0, dim - 1);
      const int64_t e = s > 0 ? clamp_index(in[2]->values[j], 0, dim) : clamp_index(in[2]->values[j], -1, dim - 1);
      const int64_t n = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s) : std::max<int64_t>(0, (b - e - s - 1) / -s);
      begin[static_cast<size_t>(axis)] = b;
      step[static_cast<size_t>(axis)] = s;
      count[static_cast<size_t>(axis)] = n;
    }
    const int64_t total = capped_count(count);
    if (total < 0) return false;
    out->shape = count;
    out->values.resize(static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i) {
      int64_t rest = i, source = 0, stride = 1;
      for (int64_t d = rank - 1; d >= 0; --d) {
        const int64_t index = count[static_cast<size_t>(d)] ? rest % count[static_cast<size_t>(d)] : 0;
        rest = count[static_cast<size_t>(d)] ? rest / count[static_cast<size_t>(d)] : 0;
        source += (begin[static_cast<size_t>(d)] + index * step[static_cast<size_t>(d)]) * stride;
        stride *= x.shape[static_cast<size_t>(d)];
      }
      out->values[static_cast<size_t>(i)] = x.values[static_cast<size_t>(source)];
    }
    return true;
  }
  if (op == "ConstantOfShape") {  // a tensor of the given shape, filled with `value` (default 0)
    std::vector<int64_t> shape;
    for (double d : in[0]->values) {
      int64_t v;
      if (!whole(d, &v) || v < 0) return false;
      shape.push_back(v);
    }
    const int64_t count = capped_count(shape);
    if (count < 0) return false;
    double fill = 0;
    if (n.has("value")) {
      const Attribute& a = n.attributes.at("value");
      if (a.kind != Attribute::Kind::kTensor || a.t.values.size() != 1) return false;
      fill = a.t.values[0];
    }
    out->shape = shape;
    out->values.assign(static_cast<size_t>(count), fill);
    return true;
  }
  if (op == "Shape") {
    out->shape = {static_cast<int64_t>(in[0]->shape.size())};
    out->values.assign(in[0]->shape.begin(), in[0]->shape.end());
    return true;
  }
  if (op == "Clip") {
    double lo = n.float_attr("min", -INFINITY), hi = n.float_attr("max", INFINITY);
    if (in.size() > 1 && in[1]) lo = in[1]->values.at(0);
    if (in.size() > 2 && in[2]) hi = in[2]->values.at(0);
    return unary(in, out, [&](double v) { return std::min(std::max(v, lo), hi); });
  }
  if (op == "Where" && in.size() == 3) {
    std::vector<int64_t> ab;
    if (!broadcast_shape(in[0]->shape, in[1]->shape, &ab) || !broadcast_shape(ab, in[2]->shape, &out->shape)) {
      return false;
    }
    const int64_t n_out = capped_count(out->shape);
    if (n_out < 0) return false;
    out->values.resize(n_out);
    for (int64_t i = 0; i < n_out; ++i) {
      const bool take_a = in[0]->values[broadcast_index(i, out->shape, in[0]->shape)] != 0;
      const Constant* src = take_a ? in[1] : in[2];
      out->values[i] = src->values[broadcast_index(i, out->shape, src->shape)];
    }
    return true;
  }
  if (op == "Unsqueeze") {
    const size_t rank_out = in[0]->shape.size() + (n.has("axes") ? n.ints_attr("axes").size()
                                                                 : (in.size() > 1 && in[1] ? in[1]->values.size() : 0));
    std::vector<int64_t> axes;
    if (!axes_of(n, in, rank_out, &axes)) return false;
    std::sort(axes.begin(), axes.end());
    *out = *in[0];
    for (int64_t a : axes) out->shape.insert(out->shape.begin() + a, 1);
    return true;
  }
  if (op == "Squeeze") {
    std::vector<int64_t> axes;
    if (!axes_of(n, in, in[0]->shape.size(), &axes)) return false;
    *out = *in[0];
    out->shape.clear();
    for (size_t d = 0; d < in[0]->shape.size(); ++d) {
      const bool listed = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
      if (listed && in[0]->shape[d] != 1) return false;  // ONNX: squeezing a dimension that is not 1 is an error
      if (!(listed || (axes.empty() && in[0]->shape[d] == 1))) out->shape.push_back(in[0]->shape[d]);
    }
    return true;
  }
  if (op == "Gather" && in.size() == 2 && in[0]->shape.size() == 1 && n.int_attr("axis", 0) == 0) {
    out->shape = in[1]->shape;
    out->values.clear();
    for (double i : in[1]->values) {
      int64_t k;
      if (!whole(i, &k)) return false;
      if (k < 0) k += in[0]->size();
      if (k < 0 || k >= in[0]->size()) return false;
      out->values.push_back(in[0]->values[k]);
    }
    return true;
  }
  if (op == "Concat" && n.int_attr("axis", 0) == 0) {
    out->shape = {0};
    out->values.clear();
    for (const Constant* c : in) {
      if (c->shape.size() > 1 || static_cast<int64_t>(out->values.size() + c->values.size()) > kMaxFoldedElements) {
        return false;
      }
      out->values.insert(out->values.end(), c->values.begin(), c->values.end());
    }
    out->shape[0] = static_cast<int64_t>(out->values.size());
    return true;
  }
  return false;
}

void replace_uses(Graph& g, const std::string& from, const std::string& to) {
  for (Node& n : g.nodes) {
    for (std::string& in : n.inputs) {
      if (in == from) in = to;
    }
  }
  if (g.output == from) g.output = to;
}

void remove_identities(Graph& g) {
  for (size_t i = 0; i < g.nodes.size();) {
    const Node& n = g.nodes[i];
    // Casts between float and double are identities here: the exporter types
    // Python scalars as double, but the model computes in float32.
    // A cast of a constant is folded instead (to float32, as PyTorch rounds it).
    const int64_t to = n.int_attr("to", 0);
    const bool constant_input = !n.inputs.empty() && g.is_constant(n.inputs[0]);
    const bool identity = n.op == "Identity" || n.op == "Dropout" ||
                          (n.op == "Cast" && !constant_input && (to == kOnnxFloat || to == kOnnxDouble));
    // An Identity of an initializer is an alias (the exporter deduplicates
    // equal initializers this way); the graph output keeps its own name.
    if (identity && !n.inputs.empty() && !(constant_input && n.outputs[0] == g.output)) {
      const std::string from = n.outputs[0], to = n.inputs[0];
      g.nodes.erase(g.nodes.begin() + static_cast<long>(i));
      replace_uses(g, from, to);
    } else {
      ++i;
    }
  }
}

// `value` with float/double casts looked through: the exporter casts one
// weight separately for each use (W + (f - W) with two Cast(W) nodes).
std::string uncast(const Graph& g, std::string value) {
  for (int depth = 0; depth < 8; ++depth) {
    const long p = g.producer(value);
    if (p < 0 || g.nodes[p].op != "Cast" || g.nodes[p].inputs.empty()) break;
    const int64_t to = g.nodes[p].int_attr("to", 0);
    if (to != kOnnxFloat && to != kOnnxDouble) break;
    value = g.nodes[p].inputs[0];
  }
  return value;
}

void fold_straight_through(Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (add.op != "Add" || add.inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& x = add.inputs[side];
      const long sub = g.producer(add.inputs[1 - side]);
      if (sub < 0 || g.nodes[sub].op != "Sub" || g.nodes[sub].inputs.size() != 2 ||
          uncast(g, g.nodes[sub].inputs[1]) != uncast(g, x)) {
        continue;
      }
      // add = x + (f - x): its forward value is f (up to the float32 rounding
      // of x + (f - x), which the rewrite removes).
      const std::string f = g.nodes[sub].inputs[0], out = add.outputs[0];
      replace_uses(g, out, f);
      break;
    }
  }
}

void fold_constants(Graph& g) {
  for (size_t i = 0; i < g.nodes.size();) {
    const Node& n = g.nodes[i];
    std::vector<const Constant*> inputs;
    bool all_constant = true;
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        inputs.push_back(nullptr);  // an omitted optional input
        continue;
      }
      auto it = g.constants.find(in);
      if (it == g.constants.end()) {
        all_constant = false;
        break;
      }
      inputs.push_back(&it->second);
    }
    Constant result;
    if (all_constant && n.outputs.size() == 1 && evaluate_constant_node(n, inputs, &result)) {
      // Every folded constant must be what its shape says, and within budget.
      if (capped_count(result.shape) != result.size() ||
          g.folded_elements + result.size() > limits::kMaxFoldedTotal) {
        throw ConvertError(n.label() + ": folding it would make a constant that is inconsistent or past the " +
                           "folding limit (kMaxFoldedTotal)");
      }
      g.folded_elements += result.size();
      g.constants[n.outputs[0]] = std::move(result);
      g.nodes.erase(g.nodes.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
}

void remove_dead_nodes(Graph& g) {
  std::set<std::string> live = {g.output};
  std::vector<bool> keep(g.nodes.size(), false);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    for (const std::string& out : g.nodes[i].outputs) {
      if (live.count(out)) keep[i] = true;
    }
    if (keep[i]) live.insert(g.nodes[i].inputs.begin(), g.nodes[i].inputs.end());
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  for (auto it = g.constants.begin(); it != g.constants.end();) {
    it = live.count(it->first) ? std::next(it) : g.constants.erase(it);
  }
}

void simplify(Graph& g) {
  size_t before;
  do {
    before = g.nodes.size();
    remove_identities(g);
    fold_straight_through(g);
    remove_dead_nodes(g);
    fold_constants(g);
    fold_shapes(g);
  } while (g.nodes.size() != before);
}

}  // namespace bnn::convert

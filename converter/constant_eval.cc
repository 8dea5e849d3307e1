// SPDX-License-Identifier: Apache-2.0
#include "converter/constant_eval.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>

#include "model_format/limits.h"

namespace bnn::convert {
namespace {

// Folding never makes a constant larger than an initializer may be.
constexpr int64_t kMaxFoldedElements = limits::kMaxFoldedElements;

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
  const std::string& op = n.op;
  const double start = op == "ReduceMax" ? -INFINITY : op == "ReduceMin" ? INFINITY : op == "ReduceProd" ? 1.0 : 0.0;
  std::vector<double> acc(n_out, start);
  std::vector<int64_t> count(n_out, 0);
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t o = broadcast_index(i, x.shape, kept_shape);
    const double v = x.values[i];
    if (op == "ReduceMax") acc[o] = std::max(acc[o], v);
    else if (op == "ReduceMin") acc[o] = std::min(acc[o], v);
    else if (op == "ReduceProd") acc[o] = f32(acc[o] * v);
    else if (op == "ReduceL1") acc[o] += std::fabs(v);
    else if (op == "ReduceL2" || op == "ReduceSumSquare") acc[o] += v * v;
    else if (op == "ReduceLogSumExp") acc[o] += std::exp(v);
    else acc[o] += v;
    ++count[o];
  }
  // Sums run in double and round once: within an ulp or so of PyTorch's float32 sums.
  for (int64_t o = 0; o < n_out; ++o) {
    if (op == "ReduceMean") acc[o] /= static_cast<double>(count[o]);
    if (op == "ReduceL2") acc[o] = std::sqrt(acc[o]);
    if (op == "ReduceLogSumExp") acc[o] = std::log(acc[o]);
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

// Expand: numpy broadcasting of the input to the shape input (either may be larger).
bool expand(const std::vector<const Constant*>& in, Constant* out) {
  if (in.size() != 2) return false;
  std::vector<int64_t> target;
  for (double d : in[1]->values) {
    int64_t v;
    if (!whole(d, &v) || v < 0) return false;
    target.push_back(v);
  }
  if (!broadcast_shape(in[0]->shape, target, &out->shape)) return false;
  const int64_t n = capped_count(out->shape);
  if (n < 0) return false;
  out->values.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out->values[i] = in[0]->values[broadcast_index(i, out->shape, in[0]->shape)];
  return true;
}

// Concat along any axis of equal-rank inputs.
bool concat(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const int64_t rank = static_cast<int64_t>(in[0]->shape.size());
  int64_t axis = n.int_attr("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  out->shape = in[0]->shape;
  out->shape[axis] = 0;
  for (const Constant* c : in) {
    if (static_cast<int64_t>(c->shape.size()) != rank) return false;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && c->shape[d] != in[0]->shape[d]) return false;
    }
    out->shape[axis] += c->shape[axis];
  }
  const int64_t total = capped_count(out->shape);
  if (total < 0) return false;
  // Row-major: the outer dimensions before the axis, each input's block after it.
  const int64_t outer = std::accumulate(out->shape.begin(), out->shape.begin() + axis, int64_t{1}, std::multiplies<>());
  out->values.clear();
  out->values.reserve(static_cast<size_t>(total));
  for (int64_t o = 0; o < outer; ++o) {
    for (const Constant* c : in) {
      const int64_t block = outer ? c->size() / outer : 0;
      out->values.insert(out->values.end(), c->values.begin() + o * block, c->values.begin() + (o + 1) * block);
    }
  }
  return true;
}

bool slice(const std::vector<const Constant*>& in, Constant* out) {
  if (in.size() < 3 || !in[1] || !in[2]) return false;
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
    const SliceAxis a = slice_axis(in[1]->values[j], in[2]->values[j], s, x.shape[static_cast<size_t>(axis)]);
    begin[static_cast<size_t>(axis)] = a.begin;
    step[static_cast<size_t>(axis)] = a.step;
    count[static_cast<size_t>(axis)] = a.count;
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

bool constant_of_shape(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
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

bool where(const std::vector<const Constant*>& in, Constant* out) {
  if (in.size() != 3) return false;
  std::vector<int64_t> ab;
  if (!broadcast_shape(in[0]->shape, in[1]->shape, &ab) || !broadcast_shape(ab, in[2]->shape, &out->shape)) return false;
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

bool unsqueeze(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const size_t rank_out = in[0]->shape.size() + (n.has("axes") ? n.ints_attr("axes").size()
                                                               : (in.size() > 1 && in[1] ? in[1]->values.size() : 0));
  std::vector<int64_t> axes;
  if (!axes_of(n, in, rank_out, &axes)) return false;
  std::sort(axes.begin(), axes.end());
  *out = *in[0];
  for (int64_t a : axes) out->shape.insert(out->shape.begin() + a, 1);
  return true;
}

bool squeeze(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
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

bool gather(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  // Axis 0 of any rank: each index picks a whole slice.
  if (in.size() != 2 || in[0]->shape.empty()) return false;
  int64_t axis = n.int_attr("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(in[0]->shape.size());
  if (axis != 0) return false;
  const int64_t rows = in[0]->shape[0], row = rows ? in[0]->size() / rows : 0;
  out->shape = in[1]->shape;
  out->shape.insert(out->shape.end(), in[0]->shape.begin() + 1, in[0]->shape.end());
  if (capped_count(out->shape) < 0) return false;
  out->values.clear();
  for (double i : in[1]->values) {
    int64_t k;
    if (!whole(i, &k)) return false;
    if (k < 0) k += rows;
    if (k < 0 || k >= rows) return false;
    out->values.insert(out->values.end(), in[0]->values.begin() + k * row, in[0]->values.begin() + (k + 1) * row);
  }
  return true;
}

bool flatten(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const int64_t rank = static_cast<int64_t>(in[0]->shape.size());
  int64_t axis = n.int_attr("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return false;
  const auto& s = in[0]->shape;
  const int64_t outer = std::accumulate(s.begin(), s.begin() + axis, int64_t{1}, std::multiplies<>());
  *out = *in[0];
  out->shape = {outer, outer ? in[0]->size() / outer : 0};
  return true;
}

bool matmul(const std::vector<const Constant*>& in, Constant* out) {
  if (in.size() != 2 || in[0]->shape.size() != 2 || in[1]->shape.size() != 2 || in[0]->shape[1] != in[1]->shape[0]) {
    return false;
  }
  const int64_t m = in[0]->shape[0], k = in[0]->shape[1], cols = in[1]->shape[1];
  // Bounded work: each operand is within the folding limit, their product need not be.
  if (m * cols > kMaxFoldedElements || (m * cols > 0 && k > (int64_t{1} << 30) / (m * cols))) return false;
  out->shape = {m, cols};
  if (capped_count(out->shape) < 0) return false;
  out->values.assign(static_cast<size_t>(m * cols), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      double sum = 0;
      for (int64_t t = 0; t < k; ++t) sum += in[0]->values[i * k + t] * in[1]->values[t * cols + j];
      out->values[i * cols + j] = f32(sum);
    }
  }
  return true;
}

bool cast(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  const int64_t to = n.int_attr("to", 1);
  if (to == 9) return unary(in, out, [](double v) { return double(v != 0); });  // BOOL
  if (to == 1) return unary(in, out, [](double v) { return f32(v); });         // FLOAT
  if (to == 11) return unary(in, out, [](double v) { return v; });             // DOUBLE
  if (to == 2 || to == 3 || to == 4 || to == 5 || to == 6 || to == 7) {         // integers
    return unary(in, out, [](double v) { return std::isfinite(v) ? std::trunc(v) : 0.0; });
  }
  return false;  // float16, bfloat16, strings...: not folded, so never folded wrong
}

bool clip(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  double lo = n.float_attr("min", -INFINITY), hi = n.float_attr("max", INFINITY);
  if (in.size() > 1 && in[1]) lo = in[1]->values.at(0);
  if (in.size() > 2 && in[2]) hi = in[2]->values.at(0);
  return unary(in, out, [&](double v) { return std::min(std::max(v, lo), hi); });
}

using Evaluator = std::function<bool(const Node&, const std::vector<const Constant*>&, Constant*)>;

Evaluator elementwise(double (*f)(double)) {
  return [f](const Node&, const std::vector<const Constant*>& in, Constant* out) { return unary(in, out, f); };
}
Evaluator elementwise2(double (*f)(double, double)) {
  return [f](const Node&, const std::vector<const Constant*>& in, Constant* out) { return binary(in, out, f); };
}

// Every op folded on constants, one line each. All compute what PyTorch's
// float32 ops give (f32 rounds each result), except sums (see reduce).
const std::map<std::string, Evaluator>& evaluators() {
  static const std::map<std::string, Evaluator> table = {
      {"Identity", elementwise([](double v) { return v; })},
      {"Neg", elementwise([](double v) { return -v; })},
      {"Abs", elementwise([](double v) { return std::fabs(v); })},
      {"Sign", elementwise([](double v) { return double((v > 0) - (v < 0)); })},
      {"Sqrt", elementwise([](double v) { return f32(std::sqrt(v)); })},
      {"Log", elementwise([](double v) { return f32(std::log(v)); })},
      {"Reciprocal", elementwise([](double v) { return f32(1.0 / v); })},
      {"Exp", elementwise([](double v) { return f32(std::exp(v)); })},
      {"Tanh", elementwise([](double v) { return f32(std::tanh(v)); })},
      {"Sigmoid", elementwise([](double v) { return f32(1.0 / (1.0 + std::exp(-v))); })},
      {"Erf", elementwise([](double v) { return f32(std::erf(v)); })},
      {"Round", elementwise([](double v) { return std::nearbyint(v); })},  // half to even
      {"Floor", elementwise([](double v) { return std::floor(v); })},
      {"Ceil", elementwise([](double v) { return std::ceil(v); })},
      {"Relu", elementwise([](double v) { return v < 0 ? 0.0 : v; })},
      {"Not", elementwise([](double v) { return double(v == 0); })},
      {"Add", elementwise2([](double a, double b) { return f32(a + b); })},
      {"Sub", elementwise2([](double a, double b) { return f32(a - b); })},
      {"Mul", elementwise2([](double a, double b) { return f32(a * b); })},
      {"Div", elementwise2([](double a, double b) { return f32(a / b); })},
      {"Pow", elementwise2([](double a, double b) { return f32(std::pow(a, b)); })},
      {"Max", elementwise2([](double a, double b) { return std::max(a, b); })},
      {"Min", elementwise2([](double a, double b) { return std::min(a, b); })},
      {"Equal", elementwise2([](double a, double b) { return double(a == b); })},
      {"Less", elementwise2([](double a, double b) { return double(a < b); })},
      {"LessOrEqual", elementwise2([](double a, double b) { return double(a <= b); })},
      {"Greater", elementwise2([](double a, double b) { return double(a > b); })},
      {"GreaterOrEqual", elementwise2([](double a, double b) { return double(a >= b); })},
      {"And", elementwise2([](double a, double b) { return double(a != 0 && b != 0); })},
      {"Or", elementwise2([](double a, double b) { return double(a != 0 || b != 0); })},
      {"Xor", elementwise2([](double a, double b) { return double((a != 0) != (b != 0)); })},
      {"ReduceMean", reduce},
      {"ReduceSum", reduce},
      {"ReduceMax", reduce},
      {"ReduceMin", reduce},
      {"ReduceProd", reduce},
      {"ReduceL1", reduce},
      {"ReduceL2", reduce},
      {"ReduceSumSquare", reduce},
      {"ReduceLogSumExp", reduce},
      {"Reshape", [](const Node&, const std::vector<const Constant*>& in, Constant* out) { return reshape(in, out); }},
      {"Transpose", transpose},
      {"Slice", [](const Node&, const std::vector<const Constant*>& in, Constant* out) { return slice(in, out); }},
      {"ConstantOfShape", constant_of_shape},
      {"Shape",
       [](const Node&, const std::vector<const Constant*>& in, Constant* out) {
         out->shape = {static_cast<int64_t>(in[0]->shape.size())};
         out->values.assign(in[0]->shape.begin(), in[0]->shape.end());
         return true;
       }},
      {"Clip", clip},
      {"Cast", cast},
      {"Where", [](const Node&, const std::vector<const Constant*>& in, Constant* out) { return where(in, out); }},
      {"Unsqueeze", unsqueeze},
      {"Squeeze", squeeze},
      {"Gather", gather},
      {"Concat", concat},
      {"Expand", [](const Node&, const std::vector<const Constant*>& in, Constant* out) { return expand(in, out); }},
      {"Flatten", flatten},
      {"MatMul", [](const Node&, const std::vector<const Constant*>& in, Constant* out) { return matmul(in, out); }},
  };
  return table;
}

}  // namespace

int64_t constant_element_count(const std::vector<int64_t>& shape) { return capped_count(shape); }

bool can_evaluate(const std::string& op) { return op == "Constant" || evaluators().count(op) != 0; }

bool evaluate_constant_node(const Node& n, const std::vector<const Constant*>& in, Constant* out) {
  if (n.op == "Constant") {
    if (!n.has("value") || n.attributes.at("value").kind != Attribute::Kind::kTensor) return false;
    *out = n.attributes.at("value").t;
    return true;
  }
  auto it = evaluators().find(n.op);
  if (it == evaluators().end() || in.empty()) return false;
  for (const Constant* c : in) {
    if (!c) return false;
  }
  return it->second(n, in, out);
}

}  // namespace bnn::convert

// SPDX-License-Identifier: Apache-2.0
// Golden tests, one per converter pass: a small graph in, the graph (or the
// numbers) expected out. Whole models are covered by tests/parity/ against
// PyTorch run live.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "converter/chain.h"
#include "converter/convert.h"
#include "converter/shape_inference.h"
#include "converter/simplify.h"
#include "converter/value_range.h"
#include "converter/weights.h"
#include "model_format/schema.h"
#include "support/random.h"

namespace bnn::convert {
namespace {

Node node(const std::string& op, std::vector<std::string> inputs, std::string output) {
  Node n;
  n.name = output;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {std::move(output)};
  return n;
}

Constant scalar(double v) { return Constant{{}, {v}}; }
Constant vec(std::vector<double> v) { return Constant{{static_cast<int64_t>(v.size())}, std::move(v)}; }

std::vector<std::string> ops(const Graph& g) {
  std::vector<std::string> out;
  for (const Node& n : g.nodes) out.push_back(n.op);
  return out;
}

TEST_CASE("fold_straight_through: x + (f - x) and Bi-Real's f - F + F become f") {
  Graph g;
  g.input = "x";
  g.nodes = {node("Sign", {"x"}, "s"), node("Sub", {"s", "x"}, "d"), node("Add", {"x", "d"}, "ste"),
             node("Neg", {"ste"}, "F"), node("Sub", {"ste", "F"}, "e"), node("Add", {"e", "F"}, "y")};
  g.output = "y";
  simplify(g);
  CHECK(ops(g) == std::vector<std::string>{"Sign"});
  CHECK(g.output == "s");
}

TEST_CASE("remove_identities: Identity - casts to float or double - an Identity of an initializer are aliases") {
  Graph g;
  g.input = "x";
  g.constants["w"] = vec({1, 2});
  Node cast = node("Cast", {"x"}, "c");
  cast.attributes["to"].i = 11;
  g.nodes = {node("Identity", {"w"}, "w2"), cast, node("Mul", {"c", "w2"}, "y")};
  g.output = "y";
  remove_identities(g);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].inputs == std::vector<std::string>{"x", "w"});
}

TEST_CASE("fold_constants: a weight binarized in the graph folds to sign(W) * mean|W| per channel") {
  Graph g;
  g.input = "x";
  g.constants["W"] = Constant{{2, 1, 1, 2}, {0.5, -1.5, -0.25, 0.75}};
  g.constants["zero"] = scalar(0);
  g.constants["one"] = scalar(1);
  g.constants["minus_one"] = scalar(-1);
  Node mean = node("ReduceMean", {"absW"}, "m");
  mean.attributes["axes"].ints = {1, 2, 3};
  g.nodes = {node("Abs", {"W"}, "absW"), mean, node("GreaterOrEqual", {"W", "zero"}, "ge"),
             node("Where", {"ge", "one", "minus_one"}, "sgn"), node("Mul", {"m", "sgn"}, "bw"),
             node("Conv", {"x", "bw"}, "y")};
  g.output = "y";
  simplify(g);
  CHECK(ops(g) == std::vector<std::string>{"Conv"});
  const Constant& bw = g.constants.at(g.nodes[0].inputs[1]);
  CHECK(bw.shape == std::vector<int64_t>{2, 1, 1, 2});
  CHECK(bw.values == std::vector<double>{1.0, -1.0, -0.5, 0.5});
}

TEST_CASE("fold_shapes: x.view(x.size(0), -1) and bias.expand_as(x) fold, with a dynamic batch axis") {
  Graph g;
  g.input = "x";
  g.input_shape = {-1, 3, 9, 8};  // exported with dynamic_axes: the batch has no size
  g.constants["w"] = Constant{{4, 3, 3, 3}, std::vector<double>(108, 0.5)};
  g.constants["bias"] = Constant{{1, 4, 1, 1}, {1, 2, 3, 4}};
  g.constants["zero"] = Constant{{}, {0}};
  g.constants["minus_one"] = Constant{{1}, {-1}};
  Node conv = node("Conv", {"x", "w"}, "c");
  conv.attributes["pads"].ints = {1, 1, 1, 1};
  conv.attributes["strides"].ints = {2, 2};
  Node unsqueeze = node("Unsqueeze", {"n"}, "n1");
  unsqueeze.attributes["axes"].ints = {0};
  Node concat = node("Concat", {"n1", "minus_one"}, "target");
  concat.attributes["axis"].i = 0;
  g.nodes = {conv,
             node("Shape", {"c"}, "s"),
             node("Expand", {"bias", "s"}, "b"),
             node("Add", {"c", "b"}, "y"),
             node("Shape", {"y"}, "s2"),
             node("Gather", {"s2", "zero"}, "n"),
             unsqueeze,
             concat,
             node("Reshape", {"y", "target"}, "flat")};
  g.output = "flat";
  const Shapes before = infer_shapes(g);
  CHECK(before.at("c") == std::vector<int64_t>{1, 4, 5, 4});  // the batch is taken as 1
  simplify(g);
  CHECK(ops(g) == std::vector<std::string>{"Conv", "Add", "Reshape"});
  CHECK(g.nodes[1].inputs == std::vector<std::string>{"c", "bias"});  // broadcasting does what Expand did
  const Constant& target = g.constants.at(g.nodes[2].inputs[1]);
  CHECK(target.values == std::vector<double>{1, -1});
  CHECK(infer_shapes(g).at("flat") == std::vector<int64_t>{1, 80});
}

TEST_CASE("infer_shapes: windows with ceil_mode, Flatten, Gemm, Slice, Pad, Concat, ReduceMean") {
  Graph g;
  g.input = "x";
  g.input_shape = {1, 8, 7, 7};
  g.constants["pads"] = Constant{{8}, {0, 0, 0, 0, 0, 0, 1, 1}};
  g.constants["starts"] = Constant{{2}, {0, 0}};
  g.constants["ends"] = Constant{{2}, {1e18, 1e18}};
  g.constants["axes"] = Constant{{2}, {2, 3}};
  g.constants["steps"] = Constant{{2}, {2, 2}};
  g.constants["w"] = Constant{{5, 16}, std::vector<double>(80, 1)};
  Node pool = node("AveragePool", {"x"}, "p");
  pool.attributes["kernel_shape"].ints = {2, 2};
  pool.attributes["strides"].ints = {2, 2};
  pool.attributes["ceil_mode"].i = 1;
  Node cat = node("Concat", {"p", "p"}, "cat");
  cat.attributes["axis"].i = 1;
  Node mean = node("ReduceMean", {"cat"}, "m");
  mean.attributes["axes"].ints = {2, 3};
  mean.attributes["keepdims"].i = 0;
  Node gemm = node("Gemm", {"m", "w"}, "fc");
  gemm.attributes["transB"].i = 1;
  g.nodes = {pool, node("Slice", {"x", "starts", "ends", "axes", "steps"}, "sl"), node("Pad", {"sl", "pads"}, "pd"),
             cat, mean, gemm};
  g.output = "fc";
  const Shapes s = infer_shapes(g);
  CHECK(s.at("p") == std::vector<int64_t>{1, 8, 4, 4});
  CHECK(s.at("sl") == std::vector<int64_t>{1, 8, 4, 4});
  CHECK(s.at("pd") == std::vector<int64_t>{1, 8, 5, 5});
  CHECK(s.at("cat") == std::vector<int64_t>{1, 16, 4, 4});
  CHECK(s.at("m") == std::vector<int64_t>{1, 16});
  CHECK(s.at("fc") == std::vector<int64_t>{1, 5});
}

// The layer kinds of a converted model, in order ("Concat", "Pool2D", ...).
std::vector<std::string> layer_kinds(const std::vector<uint8_t>& bytes) {
  std::vector<std::string> kinds;
  const fb::Model* m = fb::GetModel(bytes.data());
  for (const fb::Layer* l : *m->layers()) kinds.push_back(fb::EnumNameLayerOptions(l->options_type()));
  return kinds;
}

const fb::Tensor& output_tensor(const std::vector<uint8_t>& bytes) {
  const fb::Model* m = fb::GetModel(bytes.data());
  return *m->tensors()->Get(m->outputs()->Get(0));
}

// input [1, 4, 6, 6] -> `middle` (the nodes after "x") -> output `out`.
std::vector<uint8_t> convert_small(std::vector<Node> middle, std::map<std::string, Constant> constants,
                                   const std::string& out) {
  Graph g;
  g.input = "x";
  g.input_shape = {1, 4, 6, 6};
  g.opset = 13;
  g.constants = std::move(constants);
  g.nodes = std::move(middle);
  g.output = out;
  ConvertReport report;
  return convert_graph(g, ConvertOptions{}, &report);
}

Node with_ints(Node n, const std::string& key, std::vector<int64_t> v) {
  n.attributes[key].kind = Attribute::Kind::kInts;
  n.attributes[key].ints = std::move(v);
  return n;
}
Node with_int(Node n, const std::string& key, int64_t v) {
  n.attributes[key].kind = Attribute::Kind::kInt;
  n.attributes[key].i = v;
  return n;
}

TEST_CASE("lowering: CIFAR option A (x[:, :, ::2, ::2] and zero channels) is a 1x1 max pool and a Concat") {
  const auto bytes = convert_small(
      {node("Slice", {"x", "starts", "ends", "axes", "steps"}, "s"), node("Pad", {"s", "pads"}, "p")},
      {{"starts", vec({0, 0})}, {"ends", vec({9.2e18, 9.2e18})}, {"axes", vec({2, 3})}, {"steps", vec({2, 2})},
       {"pads", vec({0, 2, 0, 0, 0, 2, 0, 0})}},
      "p");
  CHECK(layer_kinds(bytes) == std::vector<std::string>{"Pool2D", "Concat"});
  const fb::Model* m = fb::GetModel(bytes.data());
  const fb::Concat* c = m->layers()->Get(1)->options_as_Concat();
  CHECK(c->zeros_before() == 2);
  CHECK(c->zeros_after() == 2);
  const fb::Tensor& out = output_tensor(bytes);
  CHECK(std::vector<int>(out.shape()->begin(), out.shape()->end()) == std::vector<int>{3, 3, 8});
}

TEST_CASE("lowering: x.mean(3).mean(2) is global average pooling - LogSoftmax is Softmax.log") {
  const auto bytes = convert_small({with_int(with_ints(node("ReduceMean", {"x"}, "m1"), "axes", {3}), "keepdims", 0),
                                    with_int(with_ints(node("ReduceMean", {"m1"}, "m2"), "axes", {2}), "keepdims", 0),
                                    node("Gemm", {"m2", "w"}, "fc"), with_int(node("LogSoftmax", {"fc"}, "y"), "axis", 1)},
                                   {{"w", Constant{{4, 3}, std::vector<double>(12, 0.5)}}}, "y");
  CHECK(layer_kinds(bytes) == std::vector<std::string>{"GlobalAvgPool", "Dense", "Softmax"});
  CHECK(fb::GetModel(bytes.data())->layers()->Get(2)->options_as_Softmax()->log());
}

TEST_CASE("lowering: sign(relu(x)) is a unipolar bit - sign -> MatMul is a bitserial layer with a vector output") {
  const auto bytes = convert_small({node("GlobalAveragePool", {"x"}, "g"), node("Flatten", {"g"}, "f"),
                                    node("Relu", {"f"}, "r"), node("Sign", {"r"}, "s"), node("MatMul", {"s", "w"}, "y")},
                                   {{"w", Constant{{4, 5}, {1, -1, 1, -1, 1, 1, 1, -1, -1, 1, -1, -1, 1, 1, 1, 1, -1, -1, 1, -1}}}},
                                   "y");
  CHECK(layer_kinds(bytes) == std::vector<std::string>{"GlobalAvgPool", "Quantize", "BitserialConv2D"});
  const fb::Model* m = fb::GetModel(bytes.data());
  const fb::Tensor& bits = *m->tensors()->Get(m->layers()->Get(1)->options_as_Quantize()->output());
  CHECK(bits.encoding() == fb::Encoding::UNIPOLAR);
  CHECK(output_tensor(bytes).shape()->size() == 1);  // [5]: a vector, as the dense layer it replaces
}

TEST_CASE("lowering: a Concat of binarized tensors is refused with what to write instead") {
  CHECK_THROWS_WITH_AS(convert_small({node("Sign", {"x"}, "s"), node("Neg", {"x"}, "n"), node("Sign", {"n"}, "t"),
                                      with_int(node("Concat", {"s", "t"}, "c"), "axis", 1)},
                                     {}, "c"),
                       doctest::Contains("concatenate the float tensors before the binarizer"), ConvertError);
}

TEST_CASE("remove_dead_nodes drops what does not reach the output") {
  Graph g;
  g.input = "x";
  g.nodes = {node("Relu", {"x"}, "unused"), node("Neg", {"x"}, "y")};
  g.output = "y";
  remove_dead_nodes(g);
  CHECK(ops(g) == std::vector<std::string>{"Neg"});
}

// A graph x -> BatchNormalization(gamma, beta, mean, var) -> the given tail.
Graph batchnorm_then(const std::vector<double>& gamma, std::vector<Node> tail) {
  Graph g;
  g.input = "x";
  const size_t c = gamma.size();
  g.constants["gamma"] = vec(gamma);
  g.constants["beta"] = vec(std::vector<double>(c, 0.25));
  g.constants["mean"] = vec(std::vector<double>(c, -0.5));
  g.constants["var"] = vec(std::vector<double>(c, 2.0));
  g.nodes = {node("BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, "bn")};
  for (Node& n : tail) g.nodes.push_back(std::move(n));
  g.output = g.nodes.back().outputs[0];
  return g;
}

// Every threshold set must give the chain's own code for every x tried.
void check_float_thresholds(const QuantizerChain& q, int channels, const std::vector<float>& xs) {
  const FloatThresholds t = float_thresholds(q, channels, "test");
  const int levels = (1 << q.bits) - 1;
  for (int c = 0; c < channels; ++c) {
    for (float x : xs) {
      int counted = 0;
      for (int l = 0; l < levels; ++l) counted += t.direction[c] * x >= t.thresholds[c * levels + l];
      REQUIRE_MESSAGE(counted == q.code(c, x), "channel " << c << " x " << x);
    }
  }
}

std::vector<float> probe_points(uint32_t seed) {
  test::Random rng(seed);
  std::vector<float> xs = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 1.5f, 2.5f, 1e30f, -1e30f};
  for (int i = 0; i < 2000; ++i) xs.push_back(rng.normal(0, 3));
  // Every float near each probe, so a boundary off by one ulp is caught.
  const size_t n = xs.size();
  for (size_t i = 0; i < n; ++i) {
    float v = xs[i];
    for (int k = 0; k < 3; ++k) xs.push_back(v = std::nextafter(v, INFINITY));
    v = xs[i];
    for (int k = 0; k < 3; ++k) xs.push_back(v = std::nextafter(v, -INFINITY));
  }
  return xs;
}

TEST_CASE("a batchnorm -> sign chain: thresholds equal the float32 chain everywhere - negative scales included") {
  Graph g = batchnorm_then({1.5, -0.7, 0.0}, {node("Sign", {"bn"}, "s")});
  auto q = match_quantizer(g, 0, 3, 4);
  REQUIRE(q);
  CHECK(q->bits == 1);
  CHECK(q->sign_op);
  CHECK(q->nodes.size() == 2);
  check_float_thresholds(*q, 3, probe_points(1));
  // Probe right at each channel's boundary too.
  const FloatThresholds t = float_thresholds(*q, 3, "test");
  std::vector<float> edges;
  for (float th : t.thresholds) {
    if (std::isfinite(th)) edges.insert(edges.end(), {th, std::nextafter(th, INFINITY), std::nextafter(th, -INFINITY)});
  }
  check_float_thresholds(*q, 3, edges);
}

TEST_CASE("DoReFa's 2-bit quantizer: round half to even at the exact ties") {
  Graph g;
  g.input = "x";
  g.constants["zero"] = scalar(0);
  g.constants["three"] = scalar(3);
  g.nodes = {node("Clip", {"x", "zero", "three"}, "c"), node("Round", {"c"}, "r"), node("Div", {"r", "three"}, "q")};
  g.output = "q";
  auto q = match_quantizer(g, 0, 1, 4);
  REQUIRE(q);
  CHECK(q->bits == 2);
  CHECK(q->encoding == Encoding::kUnipolar);
  CHECK(q->value_scale == doctest::Approx(1.0 / 3));
  CHECK(q->code(0, 0.5f) == 0);  // ties go to even
  CHECK(q->code(0, 1.5f) == 2);
  CHECK(q->code(0, 2.5f) == 2);
  check_float_thresholds(*q, 1, probe_points(2));
}

TEST_CASE("where(x >= t - 1 - -1) after a learned shift (RSign) is one bipolar bit") {
  Graph g;
  g.input = "x";
  g.constants["b"] = Constant{{1, 2, 1, 1}, {0.3, -0.2}};
  g.constants["zero"] = scalar(0);
  g.constants["one"] = scalar(1);
  g.constants["minus_one"] = scalar(-1);
  g.nodes = {node("Add", {"x", "b"}, "y"), node("GreaterOrEqual", {"y", "zero"}, "ge"),
             node("Where", {"ge", "one", "minus_one"}, "s")};
  g.output = "s";
  auto q = match_quantizer(g, 0, 2, 4);
  REQUIRE(q);
  CHECK_FALSE(q->sign_op);
  CHECK(q->code(0, -0.3f) == 1);
  CHECK(q->code(0, std::nextafter(-0.3f, -INFINITY)) == 0);
  check_float_thresholds(*q, 2, probe_points(3));
}

TEST_CASE("integer thresholds on an accumulator equal the chain at every integer") {
  Graph g = batchnorm_then({1.5, -0.7, 0.9}, {node("Sign", {"bn"}, "s")});
  auto q = match_quantizer(g, 0, 3, 4);
  REQUIRE(q);
  const std::vector<float> scale = {0.013f, 0.021f, -0.05f}, bias = {0.0f, 0.1f, -0.3f};
  const int64_t bound = 600;
  const IntThresholds t = int_thresholds(*q, scale, bias, bound, "test");
  for (int c = 0; c < 3; ++c) {
    for (int64_t acc = -bound; acc <= bound; ++acc) {
      const float x = accumulator_value(acc, scale[c], bias[c]);
      const int counted = t.direction[c] * acc >= t.direction[c] * static_cast<int64_t>(t.thresholds[c]);
      REQUIRE_MESSAGE(counted == q->code(c, x), "channel " << c << " acc " << acc);
    }
  }
}

// The quantizer of a graph that is only y = Sign(x), over `channels` channels.
QuantizerChain plain_sign(int channels) {
  Graph g;
  g.input = "x";
  g.nodes = {node("Sign", {"x"}, "s")};
  g.output = "s";
  auto q = match_quantizer(g, 0, channels, 4);
  REQUIRE(q);
  return *q;
}

// Sign at its boundary values: what PyTorch's torch.sign gives, in float32.
float torch_sign(float y) { return static_cast<float>((y > 0) - (y < 0)); }

// The engine's value for code q of a resolved chain.
float engine_value(const QuantizerChain& q, int code) {
  const float v = q.encoding == Encoding::kUnipolar ? code : 2 * code - 1;
  return v * static_cast<float>(q.value_scale);
}

std::vector<float> boundary_points() {
  const float tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> xs = {0.0f, -0.0f, tiny, -tiny, 1.0f, -1.0f, std::nextafter(1.0f, 2.0f), std::nextafter(1.0f, 0.0f),
                           std::nextafter(-1.0f, -2.0f), std::nextafter(-1.0f, 0.0f), 0.5f, -0.5f, 3e38f, -3e38f};
  for (float x : probe_points(4)) xs.push_back(x);
  return xs;
}

// A chain resolved against `range` must give PyTorch's sign(chain(x)) at every boundary point.
void check_sign_exact(QuantizerChain q, const ValueRange& range, int channels) {
  resolve_sign(q, range, channels, "test");
  for (int c = 0; c < channels; ++c) {
    for (float x : boundary_points()) {
      const float in = range.apply(c, x);
      REQUIRE_MESSAGE(engine_value(q, q.code(c, in)) == torch_sign(q.pre(c, in)), "channel " << c << " x " << x);
    }
  }
  check_float_thresholds(q, channels, boundary_points());
}

TEST_CASE("sign(relu(x)) and sign(clamp(x, 0, 1)) are {0, 1}: one unipolar bit, exact at 0, -0 and +-1 ulp") {
  for (const char* op : {"Relu", "Clip"}) {
    CAPTURE(op);
    Graph g;
    g.input = "x";
    g.constants["zero"] = scalar(0);
    g.constants["one"] = scalar(1);
    g.nodes = {std::string(op) == "Relu" ? node("Relu", {"x"}, "r") : node("Clip", {"x", "zero", "one"}, "r"),
               node("Sign", {"r"}, "s")};
    g.output = "s";
    auto q = match_quantizer(g, 0, 2, 4);
    REQUIRE(q);
    CHECK(q->sign_op);
    QuantizerChain resolved = *q;
    resolve_sign(resolved, ValueRange::real(), 2, "test");
    CHECK(resolved.encoding == Encoding::kUnipolar);
    CHECK(resolved.bits == 1);
    CHECK_FALSE(resolved.sign_op);  // exact: no sign-at-0 convention involved
    check_sign_exact(*q, ValueRange::real(), 2);
  }
}

TEST_CASE("a ReLU fused upstream travels with the value: sign() of it is unipolar too") {
  const QuantizerChain q = plain_sign(3);
  ActivationSpec relu;
  relu.kind = ActivationKind::kRelu;
  const ValueRange after_relu = ValueRange::real().then(relu, 3);
  check_sign_exact(q, after_relu, 3);
  // After a batchnorm with a positive shift, relu's zeros land on the shift: sign is +1 there, no zero region.
  const ValueRange shifted =
      after_relu.then(ChainStep{ChainStep::Kind::kScaleShift, {1.0f, 2.0f, 0.5f}, {0.25f, 0.5f, 1.0f}});
  check_sign_exact(q, shifted, 3);
}

TEST_CASE("sign of a real-valued input keeps the documented convention: bipolar, x >= 0 -> +1") {
  Graph g = batchnorm_then({1.5, -0.7, 0.9}, {node("Sign", {"bn"}, "s")});
  auto q = match_quantizer(g, 0, 3, 4);
  REQUIRE(q);
  QuantizerChain resolved = *q;
  resolve_sign(resolved, ValueRange::real(), 3, "test");
  CHECK(resolved.encoding == Encoding::kBipolar);
  CHECK(resolved.sign_op);  // still counted, so the converter warns about the convention
  for (int c = 0; c < 3; ++c) {
    const SignLevels s = sign_levels(*q, ValueRange::real(), c);
    CHECK(s.negative);
    CHECK(s.positive);
    CHECK_FALSE(s.zero);
  }
  // (x - s) + s is exactly 0 for every tiny x that s absorbs (~2^30 floats near 0): rounding, not a region.
  const ValueRange shifted = ValueRange::real()
                                 .then(ChainStep{ChainStep::Kind::kSub, {0.16f}, {}})
                                 .then(ChainStep{ChainStep::Kind::kAdd, {0.16f}, {}});
  CHECK_FALSE(sign_levels(plain_sign(1), shifted, 0).zero);
}

TEST_CASE("a Sign that would give -1, 0 and +1 (or -1 and 0) is refused, naming the channel") {
  Graph g;
  g.input = "x";
  g.constants["zero"] = scalar(0);
  g.constants["one"] = scalar(1);
  g.constants["flip"] = Constant{{1, 2, 1, 1}, {1, -1}};
  g.nodes = {node("Clip", {"x", "zero", "one"}, "r"), node("Mul", {"r", "flip"}, "m"), node("Sign", {"m"}, "s")};
  g.output = "s";
  auto q = match_quantizer(g, 0, 2, 4);
  REQUIRE(q);
  CHECK_THROWS_WITH_AS(resolve_sign(*q, ValueRange::real(), 2, "node s (Sign)"),
                       doctest::Contains("negative in channel 1"), ConvertError);
  // clamp(x, -1, 1) then ReLU-free: real-valued, bipolar (the convention), not refused.
  Graph h;
  h.input = "x";
  h.constants["lo"] = scalar(-1);
  h.constants["hi"] = scalar(1);
  h.nodes = {node("Clip", {"x", "lo", "hi"}, "r"), node("Sign", {"r"}, "s")};
  h.output = "s";
  auto bipolar = match_quantizer(h, 0, 1, 4);
  REQUIRE(bipolar);
  CHECK_NOTHROW(resolve_sign(*bipolar, ValueRange::real(), 1, "test"));
  CHECK(bipolar->encoding == Encoding::kBipolar);
}

TEST_CASE("Sign on an integer accumulator: exact zeros are seen, unipolar after a ReLU, refused without one") {
  const std::vector<float> scale = {0.013f, 0.021f}, no_bias = {0.0f, 0.0f};
  const int64_t bound = 600;
  QuantizerChain q = plain_sign(2);
  // sign(acc * scale): 0 whenever the accumulator is 0, which a conv's integer output often is.
  CHECK_THROWS_AS(resolve_sign(q, ValueRange::accumulator(scale, no_bias, bound), 2, "test"), ConvertError);
  // With a bias off the lattice, 0 is never hit: bipolar.
  QuantizerChain offset = q;
  resolve_sign(offset, ValueRange::accumulator(scale, {0.0051f, -0.0033f}, bound), 2, "test");
  CHECK(offset.encoding == Encoding::kBipolar);
  // sign(relu(acc * scale + bias)): {0, 1}; integer thresholds agree with PyTorch at every accumulator.
  Graph r;
  r.input = "x";
  r.nodes = {node("Relu", {"x"}, "y"), node("Sign", {"y"}, "s")};
  r.output = "s";
  auto relu_sign = match_quantizer(r, 0, 2, 4);
  REQUIRE(relu_sign);
  const std::vector<float> bias = {0.1f, -0.3f};
  resolve_sign(*relu_sign, ValueRange::accumulator(scale, bias, bound), 2, "test");
  CHECK(relu_sign->encoding == Encoding::kUnipolar);
  const IntThresholds t = int_thresholds(*relu_sign, scale, bias, bound, "test");
  for (int c = 0; c < 2; ++c) {
    for (int64_t acc = -bound; acc <= bound; ++acc) {
      const float x = accumulator_value(acc, scale[c], bias[c]);
      const int counted = t.direction[c] * acc >= t.direction[c] * static_cast<int64_t>(t.thresholds[c]);
      REQUIRE_MESSAGE(static_cast<float>(counted) == torch_sign(x < 0 ? 0.0f : x), "channel " << c << " acc " << acc);
    }
  }
}

TEST_CASE("Sign at 0 on integer outputs: the accumulator's own rounding - averages - a tiny batchnorm scale") {
  QuantizerChain q = plain_sign(1);
  // 3 * 0.1f - 0.3f is exactly 0 in two roundings (the engine's and int_thresholds'), not in one (FMA).
  REQUIRE(accumulator_value(3, 0.1f, -0.3f) == 0.0f);
  CHECK_THROWS_WITH_AS(resolve_sign(q, ValueRange::accumulator({0.1f}, {-0.3f}, 100), 1, "s"),
                       doctest::Contains("gives 0 as well as -1"), ConvertError);
  // 0.5 and -0.5 (k = 0, -1) average to 0, which no single accumulator value gives.
  const ValueRange halves = ValueRange::accumulator({1.0f}, {0.5f}, 100);
  CHECK_FALSE(sign_levels(q, halves, 0).zero);
  CHECK(sign_levels(q, halves.averaged(), 0).zero);
  // A batchnorm with a tiny scale flattens |x| < 0.03 onto its shift, which RSign's -shift makes exactly 0.
  const ValueRange flat = ValueRange::real()
                              .then(ChainStep{ChainStep::Kind::kScaleShift, {1e-6f}, {0.5f}})
                              .then(ChainStep{ChainStep::Kind::kAdd, {-0.5f}, {}});
  const SignLevels s = sign_levels(q, flat, 0);
  CHECK(s.zero);
  CHECK(s.negative);
  CHECK_THROWS_AS(resolve_sign(q, flat, 1, "s"), ConvertError);
}

TEST_CASE("a transform chain folds batchnorm and affine steps and stops at one activation - RPReLU included") {
  Graph g = batchnorm_then({2.0, -1.0}, {});
  g.constants["gamma_shift"] = Constant{{1, 2, 1, 1}, {0.5, -0.5}};
  g.constants["slope"] = Constant{{2, 1, 1}, {0.25, 0.125}};
  g.constants["zeta"] = Constant{{1, 2, 1, 1}, {1.0, 2.0}};
  g.nodes.push_back(node("Sub", {"bn", "gamma_shift"}, "shifted"));
  g.nodes.push_back(node("PRelu", {"shifted", "slope"}, "p"));
  g.nodes.push_back(node("Add", {"p", "zeta"}, "out"));
  g.output = "out";
  auto t = match_transform(g, 0, 2, 4, true);
  REQUIRE(t);
  CHECK(t->activation == ActivationKind::kRprelu);
  CHECK(t->nodes.size() == 4);
  CHECK(t->shift_in == std::vector<float>{0.5f, -0.5f});
  CHECK(t->shift_out == std::vector<float>{1.0f, 2.0f});
  const float invstd = 1.0f / std::sqrt(2.0f + 1e-5f);
  CHECK(t->scale[0] == doctest::Approx(2.0 * invstd));
  CHECK(t->bias[1] == doctest::Approx(0.25 - (-0.5) * (-1.0 * invstd)));
}

TEST_CASE("low-bit weights: +-alpha per channel - DoReFa levels with one tensor scale - unipolar - refusals") {
  // One bit, a scale per output channel.
  const LowBitWeights one = low_bit_weights(Constant{{2, 2, 1, 1}, {0.5, -0.5, -2, 2}}, "test");
  CHECK(one.bits == 1);
  CHECK(one.encoding == Encoding::kBipolar);
  CHECK(one.scale == std::vector<float>{0.5f, 2.0f});
  CHECK(one.codes_ohwi == std::vector<uint8_t>{1, 0, 0, 1});

  // DoReFa 2-bit: levels (2q - 3) / 3 shared by the tensor; channel 1 never reaches the top level.
  const float third = 1.0f / 3;
  const LowBitWeights two = low_bit_weights(Constant{{2, 2, 1, 1}, {1.0, -third, third, -third}}, "test");
  CHECK(two.bits == 2);
  CHECK(two.encoding == Encoding::kBipolar);
  CHECK(two.scale[1] == doctest::Approx(third));
  CHECK(two.codes_ohwi == std::vector<uint8_t>{3, 1, 2, 1});

  const LowBitWeights unipolar = low_bit_weights(Constant{{1, 4, 1, 1}, {0, 0.5, 1.5, 1.0}}, "test");
  CHECK(unipolar.bits == 2);
  CHECK(unipolar.encoding == Encoding::kUnipolar);

  CHECK_THROWS_WITH_AS(low_bit_weights(Constant{{1, 4, 1, 1}, {0.1, 0.2, 0.35, -1}}, "node c (Conv)"),
                       doctest::Contains("node c (Conv): the weights are not binary or k-bit uniform"), ConvertError);
  CHECK_THROWS_WITH_AS(low_bit_weights(Constant{{1, 4, 1, 1}, {0, 0, 1, -1}}, "node c (Conv)"),
                       doctest::Contains("2 of 4 weights are exactly 0"), ConvertError);
}

TEST_CASE("per-channel constants follow ONNX broadcasting against the data's rank") {
  // NCHW data: a scalar, [C, 1, 1] or [1, C, 1, 1]; a [C] would broadcast along W.
  CHECK(per_channel(scalar(2), 3, 4) == std::vector<float>{2, 2, 2});
  CHECK(per_channel(Constant{{1, 3, 1, 1}, {1, 2, 3}}, 3, 4) == std::vector<float>{1, 2, 3});
  CHECK(per_channel(Constant{{3, 1, 1}, {1, 2, 3}}, 3, 4) == std::vector<float>{1, 2, 3});
  CHECK_FALSE(per_channel(vec({1, 2, 3}), 3, 4));
  CHECK_FALSE(per_channel(Constant{{1, 1, 1, 3}, {1, 2, 3}}, 3, 4));
  CHECK_FALSE(per_channel(Constant{{1, 1, 1, 1, 1}, {1}}, 3, 4));  // would raise the rank
  // N x features data: [C] or [1, C].
  CHECK(per_channel(vec({1, 2, 3}), 3, 2) == std::vector<float>{1, 2, 3});
  CHECK(per_channel(Constant{{1, 3}, {1, 2, 3}}, 3, 2) == std::vector<float>{1, 2, 3});
  // A parameter vector (batchnorm, conv bias): [C] only, finite.
  CHECK(per_channel(vec({1, 2, 3}), 3, 1) == std::vector<float>{1, 2, 3});
  CHECK_FALSE(per_channel(vec({1, 2}), 3, 1));
  CHECK_FALSE(per_channel(vec({1, NAN, 3}), 3, 1));
}

TEST_CASE("a batchnorm -> sign threshold equals the value worked out by hand") {
  // y = (x - (-0.5)) / sqrt(2 + 1e-5) * 2 + 0.25 >= 0  <=>  x >= -0.5 - 0.25 * sqrt(2.00001) / 2
  Graph g = batchnorm_then({2.0}, {node("Sign", {"bn"}, "s")});
  auto q = match_quantizer(g, 0, 1, 4);
  REQUIRE(q);
  const FloatThresholds t = float_thresholds(*q, 1, "test");
  CHECK(t.direction[0] == 1.0f);
  CHECK(t.thresholds[0] == doctest::Approx(-0.5 - 0.25 * std::sqrt(2.00001) / 2).epsilon(1e-6));
}

TEST_CASE("a quantizer through a negative PReLU slope is not monotone and is refused") {
  Graph g;
  g.input = "x";
  g.constants["slope"] = scalar(-0.5);
  g.nodes = {node("PRelu", {"x", "slope"}, "p"), node("Sign", {"p"}, "s")};
  g.output = "s";
  CHECK_FALSE(match_quantizer(g, 0, 1, 4));
}

TEST_CASE("constant folding refuses what it cannot do exactly or safely") {
  auto fold = [](const std::string& op, std::vector<Constant> inputs, std::map<std::string, Attribute> attrs = {}) {
    Node n = node(op, {}, "out");
    n.attributes = std::move(attrs);
    std::vector<const Constant*> ptrs;
    for (const Constant& c : inputs) ptrs.push_back(&c);
    Constant out;
    return evaluate_constant_node(n, ptrs, &out);
  };
  Attribute perm;
  perm.ints = {0, 0};
  CHECK_FALSE(fold("Transpose", {Constant{{2, 2}, {1, 2, 3, 4}}}, {{"perm", perm}}));  // not a permutation
  Attribute axes;
  axes.ints = {0};
  CHECK_FALSE(fold("Squeeze", {Constant{{2, 1}, {1, 2}}}, {{"axes", axes}}));  // dimension 0 is not 1
  axes.ints = {-5};
  CHECK_FALSE(fold("Unsqueeze", {Constant{{2}, {1, 2}}}, {{"axes", axes}}));
  Attribute to;
  to.i = 10;  // FLOAT16
  CHECK_FALSE(fold("Cast", {vec({1.5})}, {{"to", to}}));
  // A broadcast beyond the folding limit is not attempted.
  CHECK_FALSE(fold("Add", {Constant{{1 << 14, 1}, std::vector<double>(1 << 14, 1.0)},
                           Constant{{1, 1 << 14}, std::vector<double>(1 << 14, 1.0)}}));  // 2^28 > kMaxFoldedElements
  CHECK_FALSE(fold("Reshape", {vec({1, 2}), vec({NAN})}));
  // Unsqueeze with two negative axes counts them against the output rank.
  Node u = node("Unsqueeze", {}, "out");
  u.attributes["axes"].ints = {-1, -2};
  Constant x{{2, 3}, {1, 2, 3, 4, 5, 6}}, out;
  REQUIRE(evaluate_constant_node(u, {&x}, &out));
  CHECK(out.shape == std::vector<int64_t>{2, 3, 1, 1});
}

TEST_CASE("constant folding: Slice (negative steps and clamped bounds) and ConstantOfShape") {
  auto fold = [](const std::string& op, std::vector<Constant> inputs, std::map<std::string, Attribute> attrs = {}) {
    Node n = node(op, {}, "out");
    n.attributes = std::move(attrs);
    std::vector<const Constant*> ptrs;
    for (const Constant& c : inputs) ptrs.push_back(&c);
    Constant out;
    REQUIRE(evaluate_constant_node(n, ptrs, &out));
    return out;
  };
  // F.pad's export reverses its [4, 2] pad pairs: starts -1, ends -2^63, step -1 on axis 0.
  const Constant pads{{4, 2}, {0, 0, 0, 0, 1, 1, 2, 2}};
  const Constant reversed = fold("Slice", {pads, Constant{{1}, {-1}}, Constant{{1}, {-9.2233720368547758e18}},
                                           Constant{{1}, {0}}, Constant{{1}, {-1}}});
  CHECK(reversed.shape == std::vector<int64_t>{4, 2});
  CHECK(reversed.values == std::vector<double>{2, 2, 1, 1, 0, 0, 0, 0});
  // A negative step from a start below -dim starts at element 0 (ONNX clamps starts to [0, dim - 1]).
  const Constant first = fold("Slice", {Constant{{4}, {5, 6, 7, 8}}, Constant{{1}, {-100}}, Constant{{1}, {-100}},
                                        Constant{{1}, {0}}, Constant{{1}, {-1}}});
  CHECK(first.values == std::vector<double>{5});
  // Columns 1.. of a [2, 3], ends past the end clamped.
  const Constant cols = fold("Slice", {Constant{{2, 3}, {1, 2, 3, 4, 5, 6}}, Constant{{1}, {1}}, Constant{{1}, {99}},
                                       Constant{{1}, {1}}});
  CHECK(cols.shape == std::vector<int64_t>{2, 2});
  CHECK(cols.values == std::vector<double>{2, 3, 5, 6});
  Attribute value;
  value.kind = Attribute::Kind::kTensor;
  value.t = Constant{{1}, {-1}};
  const Constant filled = fold("ConstantOfShape", {Constant{{2}, {2, 3}}}, {{"value", value}});
  CHECK(filled.shape == std::vector<int64_t>{2, 3});
  CHECK(filled.values == std::vector<double>(6, -1));
}


TEST_CASE("a 20 000-node chain converts or is refused within seconds") {
  // kMaxOnnxNodes admits 20 000 nodes; passes that scanned the graph per node
  // took 88 s at 4 000 and hours at 20 000. Linear passes take well under a
  // second (the bound is loose for sanitizers and qemu; a timing, not a benchmark).
  for (const std::string op : {"Relu", "Identity", "AddSelf", "Mul"}) {
    CAPTURE(op);
    Graph g;
    g.input = "x";
    g.input_shape = {1, 8, 4, 4};
    g.opset = 13;
    g.constants["k"] = Constant{{1, 8, 1, 1}, std::vector<double>(8, 1.0)};
    std::string prev = "x";
    for (int i = 0; i < 20000; ++i) {
      const std::string out = "t" + std::to_string(i);
      g.nodes.push_back(op == "AddSelf" ? node("Add", {prev, prev}, out)
                        : op == "Mul"   ? node("Mul", {prev, "k"}, out)
                                        : node(op, {prev}, out));
      prev = out;
    }
    g.output = prev;
    const auto start = std::chrono::steady_clock::now();
    std::string outcome = "converted";
    try {
      ConvertReport report;
      convert_graph(std::move(g), ConvertOptions{}, &report);
    } catch (const ConvertError& e) {
      outcome = e.what();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CAPTURE(outcome);
    CHECK(seconds < 60);
    // Converted, or refused for its size or emptiness, never for anything else.
    CHECK((outcome == "converted" || outcome.find("limit kMaxLayers") != std::string::npos ||
           outcome.find("has no layers") != std::string::npos));
  }
}

TEST_CASE("errors quote names and attributes from the file cut short") {
  Node n;
  n.name = std::string(50 << 20, 'n');  // a 50 MB name
  n.op = "Conv";
  const std::string label = n.label();
  CHECK(label.size() < 300);
  CHECK(label.find("(52428800 bytes)") != std::string::npos);
  CHECK(quoted("SAME_UPPER") == "'SAME_UPPER'");
}

}  // namespace
}  // namespace bnn::convert

// --int8-stem: the first float convolution becomes Int8Conv2D; its outputs
// stay close to the float model's, and what cannot be made int8 is refused.
#include "bnn/engine.h"
#include "converter/int8_stem.h"
#include "model_format/builder.h"

namespace bnn::convert {
namespace {

std::vector<uint8_t> small_float_model(bool stem_reads_input, const std::vector<float>& mean = {0.5f, 0.4f, 0.3f}) {
  test::Random rng(7);
  ModelBuilder b;
  int x = b.input("image", 9, 11, 3);
  if (!stem_reads_input) x = b.batchnorm("bn0", x, {1.0f, 1.0f, 1.0f}, {0.0f, 0.0f, 0.0f});
  FloatTransformSpec t;
  t.scale = rng.uniforms(8, 0.5f, 2.0f);
  t.bias = rng.normals(8);
  t.activation.kind = ActivationKind::kRelu;
  x = b.conv2d("stem", x, 8, WindowSpec::square(3, 2, 1), rng.normals(8 * 3 * 3 * 3), t);
  x = b.conv2d("second", x, 4, WindowSpec::square(1), rng.normals(4 * 8));
  b.set_output(x);
  b.set_input_info(fb::ColorOrder::RGB, mean, {0.2f, 0.25f, 0.3f});
  return b.finish();
}

std::vector<float> run_model(const std::vector<uint8_t>& bytes, const std::vector<float>& input) {
  auto model = Model::load_buffer(bytes.data(), bytes.size());
  Session session(model);
  std::vector<float> out(static_cast<size_t>(model->output().element_count()));
  session.run(input.data(), out.data());
  return out;
}

TEST_CASE("int8 stem: Int8Conv2D in place of the first convolution, outputs within the quantization error") {
  const std::vector<uint8_t> exact = small_float_model(true);
  const std::optional<InputRange> range = preprocessing_range(exact);
  REQUIRE(range);
  CHECK(range->min == doctest::Approx((0.0f - 0.5f) / 0.2f));
  CHECK(range->max == doctest::Approx((1.0f - 0.5f) / 0.2f));  // channel 0 reaches furthest both ways
  Int8StemReport report;
  const std::vector<uint8_t> int8 = int8_stem(exact, *range, &report);
  CHECK(report.layer == "stem");
  CHECK(report.input_zero_point > 0);
  CHECK(report.max_weight_error <= 0.5 / 127 + 1e-6);
  const fb::Model* m = fb::GetModel(int8.data());
  CHECK(m->schema_version() == kSchemaVersion);
  REQUIRE(m->layers()->Get(0)->options_type() == fb::LayerOptions::Int8Conv2D);
  CHECK(m->layers()->Get(1)->options_type() == fb::LayerOptions::Conv2D);
  test::Random rng(8);
  const std::vector<float> input = rng.uniforms(3 * 9 * 11, range->min, range->max);
  const std::vector<float> want = run_model(exact, input), got = run_model(int8, input);
  float largest = 0.0f;
  for (float v : want) largest = std::max(largest, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).scale(largest).epsilon(0.02));
  CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) != 0);  // it did change
}

TEST_CASE("int8 stem: refusals name the reason") {
  auto message = [](const std::vector<uint8_t>& model, InputRange range) {
    try {
      int8_stem(model, range, nullptr);
    } catch (const ConvertError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(message(small_float_model(false), {-1.0f, 1.0f, "test"}).find("does not read the model's input") !=
        std::string::npos);
  CHECK(message(small_float_model(true), {0.0f, 0.0f, "test"}).find("every input") != std::string::npos);
  CHECK(message(small_float_model(true), {-INFINITY, 1.0f, "test"}).find("not finite") != std::string::npos);
  ModelBuilder b;
  b.set_output(b.softmax("p", b.global_avg_pool("g", b.input("x", 4, 4, 3))));
  CHECK(message(b.finish(), {-1.0f, 1.0f, "test"}).find("no float convolution") != std::string::npos);
  ModelBuilder plain;
  const int x = plain.input("x", 4, 4, 3);
  plain.set_output(plain.conv2d("c", x, 2, WindowSpec::square(1), std::vector<float>(6, 0.5f)));
  CHECK(!preprocessing_range(plain.finish()));  // no mean/std: the tool asks for --calibration
}

}  // namespace
}  // namespace bnn::convert

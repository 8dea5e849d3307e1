// SPDX-License-Identifier: Apache-2.0
#include "converter/onnx_import.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <onnx/onnx_pb.h>

#include "model_format/input_file.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

constexpr int64_t kMaxFileBytes = limits::kMaxOnnxBytes;
constexpr int64_t kMaxConstantElements = limits::kMaxOnnxConstantElements;

[[noreturn]] void fail(const std::string& message) { throw ConvertError(message); }

template <typename T>
void append_raw(const std::string& raw, int64_t count, std::vector<double>* out) {
  for (int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out->push_back(static_cast<double>(v));
  }
}

// IEEE half to float, for FLOAT16 initializers.
double half_to_double(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  double v;
  if (exponent == 0) {
    v = mantissa * std::ldexp(1.0, -24);
  } else if (exponent == 31) {
    v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    v = (1024 + mantissa) * std::ldexp(1.0, exponent - 25);
  }
  return sign ? -v : v;
}

Constant read_tensor(const onnx::TensorProto& t, const std::string& where) {
  Constant c;
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 1 || d > kMaxConstantElements) {
      fail(where + ": tensor " + quoted(t.name()) + " has a dimension " + std::to_string(d) + " (1 to 2^28 supported)");
    }
    c.shape.push_back(d);
    count *= d;
    if (count > kMaxConstantElements) fail(where + ": tensor " + quoted(t.name()) + " is too large");
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    fail(where + ": tensor " + quoted(t.name()) + " keeps its data in an external file, which is not supported");
  }
  const std::string& raw = t.raw_data();
  auto check_raw = [&](size_t element_size) {
    if (raw.size() != static_cast<size_t>(count) * element_size) {
      fail(where + ": tensor " + quoted(t.name()) + " holds " + std::to_string(raw.size()) + " bytes, its shape needs " +
           std::to_string(count * element_size));
    }
  };
  auto check_typed = [&](int typed_count) {
    if (typed_count != count) fail(where + ": tensor " + quoted(t.name()) + " holds the wrong number of values");
  };
  // No reserve: the storage grows only as data actually read from the file
  // arrives, so a header claiming 2^28 elements over no data allocates nothing.
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) check_raw(4), append_raw<float>(raw, count, &c.values);
      else check_typed(t.float_data_size()), c.values.assign(t.float_data().begin(), t.float_data().end());
      break;
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) check_raw(8), append_raw<double>(raw, count, &c.values);
      else check_typed(t.double_data_size()), c.values.assign(t.double_data().begin(), t.double_data().end());
      break;
    case onnx::TensorProto::INT64:
      if (!raw.empty()) check_raw(8), append_raw<int64_t>(raw, count, &c.values);
      else check_typed(t.int64_data_size()), c.values.assign(t.int64_data().begin(), t.int64_data().end());
      break;
    case onnx::TensorProto::INT32:
      if (!raw.empty()) check_raw(4), append_raw<int32_t>(raw, count, &c.values);
      else check_typed(t.int32_data_size()), c.values.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::UINT8:
      if (!raw.empty()) check_raw(1), append_raw<uint8_t>(raw, count, &c.values);
      else check_typed(t.int32_data_size()), c.values.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case onnx::TensorProto::INT8:
      if (!raw.empty()) check_raw(1), append_raw<int8_t>(raw, count, &c.values);
      else check_typed(t.int32_data_size()), c.values.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case onnx::TensorProto::FLOAT16: {
      if (!raw.empty()) {
        check_raw(2);
        for (int64_t i = 0; i < count; ++i) {
          uint16_t h;
          std::memcpy(&h, raw.data() + 2 * i, 2);
          c.values.push_back(half_to_double(h));
        }
      } else {
        check_typed(t.int32_data_size());
        for (int v : t.int32_data()) c.values.push_back(half_to_double(static_cast<uint16_t>(v)));
      }
      break;
    }
    default:
      fail(where + ": tensor " + quoted(t.name()) + " has ONNX data type " + std::to_string(t.data_type()) +
           ", which is not supported");
  }
  return c;
}

Attribute read_attribute(const onnx::AttributeProto& a, const std::string& where) {
  Attribute out;
  switch (a.type()) {
    case onnx::AttributeProto::INT: out.kind = Attribute::Kind::kInt, out.i = a.i(); break;
    case onnx::AttributeProto::FLOAT: out.kind = Attribute::Kind::kFloat, out.f = a.f(); break;
    case onnx::AttributeProto::INTS:
      out.kind = Attribute::Kind::kInts;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      out.kind = Attribute::Kind::kFloats;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::STRING: out.kind = Attribute::Kind::kString, out.s = a.s(); break;
    case onnx::AttributeProto::TENSOR: out.kind = Attribute::Kind::kTensor, out.t = read_tensor(a.t(), where); break;
    default: out.kind = Attribute::Kind::kOther; break;
  }
  return out;
}

}  // namespace

Graph import_onnx(const std::string& path) {
  InputFile in(path);
  if (!in.error().empty()) fail(path + ": " + in.error());
  if (in.size() > kMaxFileBytes) fail(path + ": larger than 1 GiB (limit kMaxOnnxBytes)");
  std::string bytes(static_cast<size_t>(in.size()), '\0');
  if (const std::string e = in.read_exactly(bytes.data(), bytes.size()); !e.empty()) fail(path + ": " + e);
  return import_onnx_bytes(bytes, path);
}

Graph import_onnx_bytes(const std::string& bytes, const std::string& path) {
  if (static_cast<int64_t>(bytes.size()) > kMaxFileBytes) fail(path + ": larger than 1 GiB (limit kMaxOnnxBytes)");
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) fail(path + ": not an ONNX model (protobuf parsing failed)");

  Graph g;
  for (const auto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") g.opset = opset.version();
  }
  if (g.opset < 11 || g.opset > 17) {
    fail(path + ": opset " + std::to_string(g.opset) + " (opsets 11 to 17 from torch.onnx.export are supported)");
  }
  const onnx::GraphProto& graph = model.graph();
  for (const auto& init : graph.initializer()) g.constants[init.name()] = read_tensor(init, path);

  for (const auto& input : graph.input()) {
    if (g.is_constant(input.name())) continue;
    if (!g.input.empty()) fail(path + ": the graph has more than one input (" + quoted(g.input) + ", " + quoted(input.name()) + ")");
    g.input = input.name();
    for (const auto& dim : input.type().tensor_type().shape().dim()) {
      g.input_shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    }
  }
  if (g.input.empty()) fail(path + ": the graph has no input");
  if (graph.output_size() != 1) fail(path + ": the graph must have exactly one output");
  g.output = graph.output(0).name();

  if (graph.node_size() > limits::kMaxOnnxNodes) fail(path + ": more than 20000 nodes (limit kMaxOnnxNodes)");
  for (const auto& n : graph.node()) {
    if (n.output_size() == 0) fail(path + ": node " + quoted(n.name()) + " (" + shown(n.op_type()) + ") has no output");
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      fail(path + ": node " + shown(n.name()) + " is in domain " + quoted(n.domain()) + ", which is not supported");
    }
    Node node;
    node.name = n.name();
    node.op = n.op_type();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) node.attributes[a.name()] = read_attribute(a, path + ": " + node.label());
    g.nodes.push_back(std::move(node));
  }
  return g;
}

}  // namespace bnn::convert

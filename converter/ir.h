// SPDX-License-Identifier: Apache-2.0
// The converter's graph: ONNX's, read into plain C++ so that no pass needs
// protobuf. Constants hold doubles, which represent every float32 and every
// integer an ONNX shape or index uses exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bnn::convert {

// A conversion failure: names the ONNX node, its op type and why.
class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Text from the input file (a name, an attribute) as an error quotes it:
// in single quotes, cut to 200 bytes (an ONNX attribute can be 50 MB).
std::string quoted(const std::string& text);
// The same without the quotes.
std::string shown(const std::string& text);

struct Constant {
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major

  int64_t size() const { return static_cast<int64_t>(values.size()); }
  bool is_scalar() const { return values.size() == 1; }
};

struct Attribute {
  enum class Kind { kInt, kFloat, kInts, kFloats, kString, kTensor, kOther } kind = Kind::kOther;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string s;
  Constant t;
};

struct Node {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;   // "" for an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  // "node NAME (OP)": the start of every error about this node.
  std::string label() const { return "node " + shown(name.empty() ? outputs.at(0) : name) + " (" + shown(op) + ")"; }
  bool has(const std::string& attribute) const { return attributes.count(attribute) != 0; }
  int64_t int_attr(const std::string& key, int64_t fallback) const;
  double float_attr(const std::string& key, double fallback) const;
  std::vector<int64_t> ints_attr(const std::string& key, std::vector<int64_t> fallback = {}) const;
};

struct Graph {
  std::vector<Node> nodes;  // topologically ordered (ONNX requires it)
  std::map<std::string, Constant> constants;
  std::string input;
  std::vector<int64_t> input_shape;  // N, C, H, W; a dimension without a fixed size is -1
  std::string output;
  int64_t opset = 0;
  int64_t folded_elements = 0;  // what constant folding has created so far (bounded by kMaxFoldedTotal)

  bool is_constant(const std::string& value) const { return constants.count(value) != 0; }
  // Indices of the nodes that read `value`.
  std::vector<size_t> consumers(const std::string& value) const;
  // The index of the node that writes `value`, or -1.
  long producer(const std::string& value) const;

  // Set while a GraphIndex lives: consumers() and producer() look up instead
  // of scanning every node (which made a pass over N nodes cost N^2). A copy
  // of the graph starts without it: the index describes this object only.
  struct UseIndex;
  struct IndexSlot {
    const UseIndex* index = nullptr;
    IndexSlot() = default;
    IndexSlot(const IndexSlot&) {}
    IndexSlot& operator=(const IndexSlot&) { return *this; }
  };
  mutable IndexSlot index;
};

// Indexes a graph's uses and definitions for as long as it lives. The graph
// must not change meanwhile (the lowering, which takes it const, holds one).
class GraphIndex {
 public:
  explicit GraphIndex(const Graph& g);
  ~GraphIndex();
  GraphIndex(const GraphIndex&) = delete;
  GraphIndex& operator=(const GraphIndex&) = delete;

 private:
  const Graph& g_;
  std::unique_ptr<Graph::UseIndex> index_;
};

// One axis of an ONNX Slice over a dimension of size `dim`: starts and ends
// (any double, +-2^63 included) clamped as ONNX says, and the element count.
struct SliceAxis {
  int64_t begin = 0, step = 1, count = 0;
};
SliceAxis slice_axis(double start, double end, int64_t step, int64_t dim);

// numpy-style broadcast of two shapes (ONNX's multidirectional broadcasting);
// false if they do not broadcast.
bool broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>* out);

}  // namespace bnn::convert

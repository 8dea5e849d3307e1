// SPDX-License-Identifier: Apache-2.0
#include "converter/simplify.h"

#include "converter/constant_eval.h"
#include "converter/shape_inference.h"

#include "model_format/limits.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>
#include <unordered_map>

namespace bnn::convert {
namespace {

constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxDouble = 11;

// `value` with float/double casts looked through: the exporter casts one
// weight separately for each use (W + (f - W) with two Cast(W) nodes).
// `producer` maps each value to the node that writes it.
std::string uncast(const Graph& g, const std::unordered_map<std::string, size_t>& producer, std::string value) {
  for (int depth = 0; depth < 8; ++depth) {
    const auto it = producer.find(value);
    if (it == producer.end()) break;
    const size_t p = it->second;
    if (g.nodes[p].op != "Cast" || g.nodes[p].inputs.empty()) break;
    const int64_t to = g.nodes[p].int_attr("to", 0);
    if (to != kOnnxFloat && to != kOnnxDouble) break;
    value = g.nodes[p].inputs[0];
  }
  return value;
}

}  // namespace

void replace_uses(Graph& g, const std::string& from, const std::string& to) {
  for (Node& n : g.nodes) {
    for (std::string& in : n.inputs) {
      if (in == from) in = to;
    }
  }
  if (g.output == from) g.output = to;
}

void remove_identities(Graph& g) {
  // One pass in node order (ONNX's is topological): each removed node's
  // output becomes an alias of its input, and later inputs read through the
  // aliases. (Erasing and rewriting every later use per node was N^2.)
  std::unordered_map<std::string, std::string> alias;
  const std::string output = g.output;
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (Node& n : g.nodes) {
    for (std::string& in : n.inputs) {
      if (auto it = alias.find(in); it != alias.end()) in = it->second;
    }
    // Casts between float and double are identities here: the exporter types
    // Python scalars as double, but the model computes in float32.
    // A cast of a constant is folded instead (to float32, as PyTorch rounds it).
    const int64_t to = n.int_attr("to", 0);
    const bool constant_input = !n.inputs.empty() && g.is_constant(n.inputs[0]);
    const bool identity = n.op == "Identity" || n.op == "Dropout" ||
                          (n.op == "Cast" && !constant_input && (to == kOnnxFloat || to == kOnnxDouble));
    // An Identity of an initializer is an alias (the exporter deduplicates
    // equal initializers this way); the graph output keeps its own name.
    if (identity && !n.inputs.empty() && !(constant_input && n.outputs[0] == output)) {
      alias[n.outputs[0]] = n.inputs[0];
    } else {
      kept.push_back(std::move(n));
    }
  }
  g.nodes = std::move(kept);
  if (auto it = alias.find(g.output); it != alias.end()) g.output = it->second;
}

void fold_straight_through(Graph& g) {
  // Rewriting uses never changes which node writes a value: one map serves
  // the whole pass (a scan per Add was N^2).
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& out : g.nodes[i].outputs) producer.emplace(out, i);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (add.op != "Add" || add.inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& x = add.inputs[side];
      const auto found = producer.find(add.inputs[1 - side]);
      if (found == producer.end()) continue;
      const size_t sub = found->second;
      if (g.nodes[sub].op != "Sub" || g.nodes[sub].inputs.size() != 2 ||
          uncast(g, producer, g.nodes[sub].inputs[1]) != uncast(g, producer, x)) {
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
  std::vector<Node> kept;  // the nodes not folded (erasing each folded one in place was N^2)
  kept.reserve(g.nodes.size());
  for (Node& n : g.nodes) {
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
      if (constant_element_count(result.shape) != result.size() ||
          g.folded_elements + result.size() > limits::kMaxFoldedTotal) {
        throw ConvertError(n.label() + ": folding it would make a constant that is inconsistent or past the " +
                           "folding limit (kMaxFoldedTotal)");
      }
      g.folded_elements += result.size();
      g.constants[n.outputs[0]] = std::move(result);
    } else {
      kept.push_back(std::move(n));
    }
  }
  g.nodes = std::move(kept);
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

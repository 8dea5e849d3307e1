#include "converter/simplify.h"

#include "converter/constant_eval.h"
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
constexpr int64_t kOnnxDouble = 11;

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
      if (constant_element_count(result.shape) != result.size() ||
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

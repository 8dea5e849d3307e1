// SPDX-License-Identifier: Apache-2.0
// Static shapes for every activation, from the input's. Every shape in a
// converted model is fixed once the input size is (the batch is a run-time
// dimension the engine handles itself, so shapes are worked out for one
// image), so what PyTorch's exporter leaves as shape arithmetic on
// activations folds away:
// - fold_shapes: Shape(x) becomes a constant (then Gather / Unsqueeze /
//   Concat / Reshape on it fold as constants do), and an Expand whose only
//   readers are elementwise ops whose other operand already has the expanded
//   shape is dropped (bias.expand_as(x) feeding x + ...: broadcasting does the
//   same).
// This is what lets `x.view(x.size(0), -1)`, `x + bias.expand_as(x)` and
// models exported with a dynamic batch axis convert.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "converter/ir.h"

namespace bnn::convert {

using Shapes = std::map<std::string, std::vector<int64_t>>;

// The shape of every value that can be worked out (constants included),
// with the input's batch dimension taken as 1. Values an op rule does not
// cover are absent.
Shapes infer_shapes(const Graph& g);

// Folds Shape nodes and redundant Expands (above). Returns whether it changed the graph.
bool fold_shapes(Graph& g);

}  // namespace bnn::convert

// SPDX-License-Identifier: Apache-2.0
// Graph passes that run before lowering, each small and separately tested:
// - remove_identities: Identity, Dropout and Cast-to-float nodes disappear.
// - fold_straight_through: x + (f - x) and (f - x) + x become f. These are
//   the straight-through estimators (STE) people train with (x + (sign(x) -
//   x).detach(), Bi-Real's sign(x) - F(x) + F(x)); the forward value is f, and
//   rewriting them before folding keeps folded weights exactly f.
// - fold_constants: nodes whose inputs are all constants are evaluated (in
//   float32, as PyTorch evaluated them), e.g. a weight binarized in the graph.
// - remove_dead_nodes: nodes that do not lead to the output.
// - fold_shapes (shape_inference.h): Shape of an activation, and Expands
//   that broadcasting makes redundant.
#pragma once

#include "converter/constant_eval.h"
#include "converter/ir.h"

namespace bnn::convert {

void remove_identities(Graph& g);
void fold_straight_through(Graph& g);
void fold_constants(Graph& g);
void remove_dead_nodes(Graph& g);

// All of the above, to a fixed point.
void simplify(Graph& g);

// Replaces every use of `from` (and the graph output) by `to`.
void replace_uses(Graph& g, const std::string& from, const std::string& to);


}  // namespace bnn::convert

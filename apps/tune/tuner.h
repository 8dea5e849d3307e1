// SPDX-License-Identifier: Apache-2.0
// Offline tuning: for each convolution of a model, search its schedules
// (bitserial: microkernel, register tile and depth unroll, outer pixel and
// channel tiles, loop order inside an outer tile, parallel axis;
// full precision: the float kernel's register block and ISA) by
// timing real candidates on the layer's real shape, and bake the winners into
// the model's schedule records (TVM's AutoTVM, in small: prune the space,
// rank it with a cost model, screen the best few dozen with a short timing,
// time the screen's best few in full; --exhaustive times all in full).
// Schedules never change results: each bitserial output is one integer sum,
// each float output one sum in a fixed order whatever the block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model_format/builder.h"
#include "model_format/schema.h"

namespace bnn::tune {

struct TuneOptions {
  int threads = 1;              // the thread count the model will run with
  double budget_seconds = 0;    // stop timing after this long (0: no limit); untimed layers keep the default
  bool exhaustive = false;      // also time every candidate in full, and report the guided choice beside the best
  int screened_per_layer = 64;  // the cost model's best, screened with a short timing when not exhaustive
  int timed_per_layer = 6;      // the screen's best, timed in full (besides the default) when not exhaustive
  // A candidate replaces the best so far only when faster by this fraction:
  // a layer timed alone and the same layer inside the network differ by up
  // to about 5% (cache contents), so smaller wins may be losses in place.
  double min_gain = 0.05;
  std::function<void(const std::string&)> progress;  // one line per step
};

struct LayerResult {
  std::string layer;      // name in the model
  std::string shape;      // "56x56x64->64 k3 s1 W1A1"
  double default_ms = 0;  // this CPU's default schedule
  double tuned_ms = 0;    // the chosen one (the default when nothing beat it)
  std::string schedule;   // "bgemm_ukernel_8x8c1__avx512vpopcnt px64 oc32"
  int screened = 0, timed = 0, candidates = 0;
  double guided_ms = 0;          // --exhaustive: the guided search's choice, timed in the same run
  double fastest_ms = 0;         // --exhaustive: the fastest candidate (default included), same run
  std::string guided_schedule;   // --exhaustive: that choice
  bool shared = false;    // an identical earlier layer's result, reused
  int index = -1;         // the layer's index in the model
  std::string default_kernel;  // this CPU's default kernel for it
  bool changed = false;   // the search chose something other than the default
  // keep_in_network_gains: the layer's time inside the whole network with
  // the default and with the chosen schedule, and whether the choice stayed.
  double network_default_ms = 0, network_tuned_ms = 0;
  bool kept = true;
};

// Tunes `model` in place (schedules of its convolutions) and returns
// one row per such layer, in model order. `bytes` is the same model as a
// file: each layer is timed bound from it by the engine (bnn::LayerTrial).
std::vector<LayerResult> tune_model(fb::ModelT& model, const std::vector<uint8_t>& bytes, const TuneOptions& options);

// Runs the tuned and the untuned model side by side (alternating rounds) and
// puts every changed layer that is not faster inside the network back on
// its default: a layer timed alone has its data warm in cache, one in the
// network shares the cache with its neighbours, and the two can disagree
// by more than the gain.
void keep_in_network_gains(ModelBuilder& builder, std::vector<LayerResult>& results, const TuneOptions& options);

// A model file's bytes tuned: tune_model, then keep_in_network_gains; the
// tuned file's bytes. Throws std::invalid_argument for bytes that are not a
// valid model (ModelBuilder::from_bytes).
std::vector<uint8_t> tune_model_file(const std::vector<uint8_t>& bytes, const TuneOptions& options,
                                     std::vector<LayerResult>* results);

}  // namespace bnn::tune

// SPDX-License-Identifier: Apache-2.0
// One convolution of a model, bound exactly as a Session binds it, run on its
// own with any schedule it can take: the one way bnn-tune enumerates a
// layer's candidate schedules and times them, so that what is tuned is what
// runs (kernel choice, outer tiles, loop order, thread split and the fused
// epilogue all come from the engine's own binding code).
//
//   bnn::LayerTrial trial(model_bytes, layer_index, threads);
//   for (const bnn::LayerSchedule& s : trial.candidates()) {
//     if (trial.use(s).empty()) time([&] { trial.run(); });
//   }
//
// Every schedule gives the same output bits (DESIGN.md: schedules never
// change results); output() after one run() lets a test check it. An engine library API for
// the project's tools, not part of the installed libbnn (whose public headers
// are bnn.h, engine.h, image.h and classifier.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bnn {

// A convolution's schedule as a model's Schedule record holds it.
struct LayerSchedule {
  std::string kernel;      // kernel descriptor name; empty: this CPU's default
  int tile_pixels = 0;     // outer tile in output pixels, row-major (bitserial; 0: one register tile)
  int tile_oc = 0;         // outer tile in output channels (bitserial; 0: all)
  bool channels_outer = false;  // bitserial: channel tiles outside pixel tiles
  enum class Split { kDefault, kRows, kChannels } split = Split::kDefault;  // threads split rows or channels
};

// "bconv_direct_32x7c1__avx512vpopcnt px64 oc32 channels-outer split-channels".
std::string to_string(const LayerSchedule& s);

class LayerTrial {
 public:
  // Layer `layer` (an index into the file's layer list) of the model in
  // `bytes`, a .bnn file's contents, on `threads` threads (1 to kMaxThreads),
  // bound with this CPU's default schedule; its inputs hold deterministic
  // pseudo-random values of their types. Throws bnn::Error when the bytes are
  // not a valid model or the layer is not a convolution (Conv2D or
  // BitserialConv2D: the layers that take schedules).
  LayerTrial(const std::vector<uint8_t>& bytes, int layer, int threads);
  ~LayerTrial();
  LayerTrial(const LayerTrial&) = delete;
  LayerTrial& operator=(const LayerTrial&) = delete;

  // This CPU's untuned schedule for the layer (what runs without one).
  LayerSchedule default_schedule() const;
  // Every other schedule this CPU can run the layer with: kernels (register
  // tile, depth unroll, ISA) that support it, times outer pixel and channel
  // tiles, loop orders and thread splits, pruned to distinct effective values.
  std::vector<LayerSchedule> candidates() const;

  // Whether `s` splits the layer's output channels over the threads (else
  // rows): the engine's choice for the trial's thread count.
  bool splits_channels(const LayerSchedule& s) const;

  // Binds the layer with `s` and refills its inputs (its outputs with
  // all-ones bytes). Returns "" when it is followed, else why not (then
  // this CPU's default runs, as in a loaded model). A float convolution
  // takes only the kernel: its tiles and split are the engine's.
  std::string use(const LayerSchedule& s);
  // The kernel bound now.
  const std::string& kernel() const;
  // Runs the layer once on its inputs. A float output written in place over
  // its residual input (as in the loaded model) makes the next run read it:
  // the values drift, the speed does not.
  void run();
  // The layer's output tensor as bytes, then the packed bits of a one-bit
  // Quantize fused into its epilogue, if any: the result of the first run()
  // after use().
  std::vector<uint8_t> output() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnn

// SPDX-License-Identifier: Apache-2.0
#include "bnn/layer_trial.h"

#include <algorithm>
#include <cstring>
#include <system_error>

#include "engine/aligned_buffer.h"
#include "engine/bind.h"
#include "engine/model_impl.h"
#include "engine/parallel.h"
#include "engine/thread_pool.h"
#include "kernels/bitpack.h"
#include "model_format/validate.h"

namespace bnn {

std::string to_string(const LayerSchedule& s) {
  std::string text = s.kernel.empty() ? "default kernel" : s.kernel;
  if (s.tile_pixels) text += " px" + std::to_string(s.tile_pixels);
  if (s.tile_oc) text += " oc" + std::to_string(s.tile_oc);
  if (s.channels_outer) text += " channels-outer";
  if (s.split == LayerSchedule::Split::kRows) text += " split-rows";
  if (s.split == LayerSchedule::Split::kChannels) text += " split-channels";
  return text;
}

struct LayerTrial::Impl {
  AlignedBuffer bytes;                // the model file; its layer table is read on every use()
  const fb::Model* model = nullptr;
  std::unique_ptr<Model::Impl> bound;  // the whole model bound as Model::load binds it
  int layer = -1;
  std::unique_ptr<Op> op;             // the layer as last used
  std::string kernel;
  AlignedBuffer arena, scratch;
  size_t scratch_stride = 0;
  std::unique_ptr<ThreadPool> pool;

  const Op& model_op() const { return *bound->ops[layer]; }
  // A one-bit Quantize the model fused into this layer's epilogue, if any.
  bool fuses_quantize(QuantizeFusion* f) const {
    return !model_op().also_writes.empty() && layer + 1 < static_cast<int>(bound->ops.size()) &&
           bound->ops[layer + 1]->describe_quantize(f);
  }
  // Whether the layer's channel splits must keep whole packed words: a
  // packed output, or a float one whose one-bit Quantize it writes too.
  bool packed_output(const fb::BitserialConv2D& b, const BindContext& ctx) const {
    QuantizeFusion fused;
    return ctx.info(b.output()).type == ElementType::kPacked || fuses_quantize(&fused);
  }
  BindContext context(const fb::Schedule* schedule, std::string* note, std::vector<int>* constants) const {
    return BindContext{bound->tensor_infos, bound->tensors, schedule, note, constants};
  }
  void fill_inputs();
};

namespace {

// Values of each tensor's type (finite floats in [-1, 1); packed words with
// the bits past the channel count clear, as producers leave them).
void fill_tensor(uint8_t* at, const TensorInfo& info, int64_t bytes, uint32_t seed) {
  uint64_t state = 0x9e3779b97f4a7c15ull * (seed + 1);
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state;
  };
  if (info.type == ElementType::kFloat32) {
    auto* f = reinterpret_cast<float*>(at);
    for (int64_t i = 0; i < bytes / 4; ++i) f[i] = static_cast<float>(static_cast<int64_t>(next() >> 40) - (1 << 23)) / (1 << 23);
    return;
  }
  if (info.type != ElementType::kPacked) {
    for (int64_t i = 0; i < bytes; ++i) at[i] = static_cast<uint8_t>(next() >> 56);
    return;
  }
  auto* words = reinterpret_cast<uint64_t*>(at);
  const int channels = info.shape.back();
  const int64_t per_plane = words_for(channels);
  const uint64_t last_mask = channels % 64 ? (uint64_t{1} << (channels % 64)) - 1 : ~uint64_t{0};
  for (int64_t i = 0; i < bytes / 8; ++i) words[i] = next() & (i % per_plane == per_plane - 1 ? last_mask : ~uint64_t{0});
}

}  // namespace

void LayerTrial::Impl::fill_inputs() {
  // Outputs first, with all-ones bytes (a NaN pattern, every bit set), so a
  // run that writes nothing shows; then the inputs, which an output written
  // in place over its residual shares.
  std::vector<int> written = {op->output};
  written.insert(written.end(), op->also_writes.begin(), op->also_writes.end());
  for (int t : written) {
    const TensorRecord& r = bound->tensors[t];
    std::memset(arena.data() + r.arena_offset, 0xff, static_cast<size_t>(r.bytes));
  }
  for (int t : op->inputs) {
    const TensorRecord& r = bound->tensors[t];
    if (r.constant) continue;
    fill_tensor(arena.data() + r.arena_offset, bound->tensor_infos[t], r.bytes, static_cast<uint32_t>(t));
  }
}

LayerTrial::LayerTrial(const std::vector<uint8_t>& bytes, int layer, int threads) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (threads < 1 || threads > kMaxThreads) throw Error("LayerTrial: threads must be 1 to " + std::to_string(kMaxThreads));
  m.bytes = AlignedBuffer(bytes.size());
  if (!bytes.empty()) std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
  if (const std::string error = validate_model_bytes(m.bytes.data(), m.bytes.size()); !error.empty()) {
    throw Error("LayerTrial: " + error);
  }
  m.model = fb::GetModel(m.bytes.data());
  const int layers = static_cast<int>(m.model->layers()->size());
  if (layer < 0 || layer >= layers) {
    throw Error("LayerTrial: layer " + std::to_string(layer) + " of a model with " + std::to_string(layers));
  }
  const fb::Layer& l = *m.model->layers()->Get(layer);
  if (l.options_type() != fb::LayerOptions::Conv2D && l.options_type() != fb::LayerOptions::BitserialConv2D) {
    throw Error("LayerTrial: layer " + std::to_string(layer) + " is a " + fb::EnumNameLayerOptions(l.options_type()) +
                "; only convolutions take schedules");
  }
  m.layer = layer;
  m.bound = bind_model(*m.model);
  m.arena = AlignedBuffer(static_cast<size_t>(m.bound->arena_bytes));
  try {
    m.pool = std::make_unique<ThreadPool>(threads, /*solo=*/false);  // a timing of `threads` threads, always
  } catch (const std::system_error& e) {
    throw Error("LayerTrial: cannot start " + std::to_string(threads - 1) + " worker thread(s): " + e.what());
  }
  use(default_schedule());
}

LayerTrial::~LayerTrial() = default;

LayerSchedule LayerTrial::default_schedule() const {
  const Impl& m = *impl_;
  const fb::Layer& l = *m.model->layers()->Get(m.layer);
  std::string note;
  std::vector<int> constants;
  const BindContext ctx = m.context(nullptr, &note, &constants);
  LayerSchedule s;
  if (const fb::BitserialConv2D* b = l.options_as_BitserialConv2D()) {
    s.kernel = default_bitserial_conv_kernel(bitserial_conv_args(*b, ctx))->name;
  } else {
    const fb::Conv2D& f = *l.options_as_Conv2D();
    const ConvGeometry g = ctx.geometry(*f.window(), f.input(), f.output(), f.groups());
    s.kernel = default_kernel(conv2d_kernels(), [&](const Conv2DKernel& k) { return conv2d_kernel_fits(k, g); })->name;
  }
  return s;
}

std::vector<LayerSchedule> LayerTrial::candidates() const {
  const Impl& m = *impl_;
  const fb::Layer& l = *m.model->layers()->Get(m.layer);
  std::string note;
  std::vector<int> constants;
  const BindContext ctx = m.context(nullptr, &note, &constants);
  const std::string fallback = default_schedule().kernel;
  std::vector<LayerSchedule> out;
  if (const fb::Conv2D* f = l.options_as_Conv2D()) {
    const ConvGeometry g = ctx.geometry(*f->window(), f->input(), f->output(), f->groups());
    for (const Conv2DKernel& k : conv2d_kernels()) {
      if (isa_available(k.isa) && conv2d_kernel_fits(k, g) && k.name != fallback) out.push_back({k.name});
    }
    return out;
  }
  // Bitserial: outer pixel tiles (one register tile, a few, whole rows),
  // outer channel tiles (all, or a few register blocks), the loop order only
  // where an outer tile has several pixel tiles and several channel blocks,
  // the split only with threads and enough channel steps.
  const fb::BitserialConv2D& b = *l.options_as_BitserialConv2D();
  const BitserialConvArgs args = bitserial_conv_args(b, ctx);
  const ConvGeometry& g = args.geometry;
  const bool packed_out = m.packed_output(b, ctx);
  const int threads = m.pool->size();
  const int64_t pixels = int64_t{g.out_h} * g.out_w;
  for (const BitserialConvKernel& k : bitserial_conv_kernels()) {
    if (!isa_available(k.isa) || !bitserial_conv_supports(k, args)) continue;
    if (k.reference()) {  // no loop knobs
      if (k.name != fallback) out.push_back({k.name});
      continue;
    }
    std::vector<int> pxs = {0};
    std::vector<int> ocs = {0};
    if (k.direct) {
      // The direct driver reads an outer pixel tile as whole output rows per
      // padded band (kernels/registry.cc, direct_band_rows) and has no
      // outer channel tile: one candidate per band height.
      for (int rows : {1, 2, 4, 8}) {
        if (rows < g.out_h && int64_t{rows} * g.out_w <= 65536) pxs.push_back(rows * g.out_w);
      }
    } else {
      for (int mult : {2, 4, 8, 16, 32}) {
        if (int64_t{k.tile_px} * mult < pixels) pxs.push_back(k.tile_px * mult);
      }
      for (int rows : {1, 2, 4}) {  // whole rows; a schedule knob is at most 65536
        const int64_t p = int64_t{rows} * g.out_w;
        if (p < pixels && p > k.tile_px && p <= 65536) pxs.push_back(static_cast<int>(p));
      }
      for (int mult : {1, 2, 4, 8}) {
        if (k.tile_oc * mult < g.out_c) ocs.push_back(k.tile_oc * mult);
      }
    }
    std::sort(pxs.begin(), pxs.end());
    pxs.erase(std::unique(pxs.begin(), pxs.end()), pxs.end());
    const int step = bitserial_conv_channel_step(k, packed_out);
    const SplitAxis default_axis = bitserial_split_axis(threads, args, step, std::nullopt);
    std::vector<LayerSchedule::Split> splits = {LayerSchedule::Split::kDefault};
    if (threads > 1 && channel_steps(g.out_c, step) >= threads) {  // the other axis, named
      splits.push_back(default_axis == SplitAxis::kRows ? LayerSchedule::Split::kChannels : LayerSchedule::Split::kRows);
    }
    for (int px : pxs) {
      for (int oc : ocs) {
        if (oc != 0 && px == 0) continue;  // channel tiles only matter with several pixel tiles to reuse them over
        const int oc_blocks = ((oc ? oc : g.out_c) + k.tile_oc - 1) / k.tile_oc;
        // The direct driver orders a row's tiles and channel blocks itself.
        const bool order_matters = (k.direct ? g.out_w > k.tile_px : px > k.tile_px) && oc_blocks > 1;
        for (bool channels_outer : {false, true}) {
          if (channels_outer && !order_matters) continue;
          for (LayerSchedule::Split split : splits) {
            const bool is_default = k.name == fallback && px == 0 && oc == 0 && split == LayerSchedule::Split::kDefault;
            if (!is_default) out.push_back({k.name, px, oc, channels_outer, split});
          }
        }
      }
    }
  }
  return out;
}

bool LayerTrial::splits_channels(const LayerSchedule& s) const {
  const Impl& m = *impl_;
  const fb::Layer& l = *m.model->layers()->Get(m.layer);
  std::string note;
  std::vector<int> constants;
  const BindContext ctx = m.context(nullptr, &note, &constants);
  const int threads = m.pool->size();
  if (const fb::Conv2D* f = l.options_as_Conv2D()) {
    const Conv2DKernel* k = nullptr;
    for (const Conv2DKernel& c : conv2d_kernels()) {
      if (s.kernel == c.name) k = &c;
    }
    const ConvGeometry g = ctx.geometry(*f->window(), f->input(), f->output(), f->groups());
    if (!k) k = default_kernel(conv2d_kernels(), [&](const Conv2DKernel& c) { return conv2d_kernel_fits(c, g); });
    return conv2d_split_axis(threads, g, *k) == SplitAxis::kChannels;
  }
  const fb::BitserialConv2D& b = *l.options_as_BitserialConv2D();
  const BitserialConvArgs args = bitserial_conv_args(b, ctx);
  const BitserialConvKernel* k = find_bitserial_conv_kernel(s.kernel);
  if (!k) k = default_bitserial_conv_kernel(args);
  const bool packed_out = m.packed_output(b, ctx);
  std::optional<SplitAxis> scheduled;
  if (s.split == LayerSchedule::Split::kRows) scheduled = SplitAxis::kRows;
  if (s.split == LayerSchedule::Split::kChannels) scheduled = SplitAxis::kChannels;
  return bitserial_split_axis(threads, args, bitserial_conv_channel_step(*k, packed_out), scheduled) ==
         SplitAxis::kChannels;
}

std::string LayerTrial::use(const LayerSchedule& s) {
  Impl& m = *impl_;
  fb::ScheduleT record;
  record.kernel = s.kernel;
  record.tile_pixels = s.tile_pixels;
  record.tile_oc = s.tile_oc;
  record.loop_order = s.channels_outer ? fb::LoopOrder::CHANNELS_OUTER : fb::LoopOrder::PIXELS_OUTER;
  record.parallel_axis = s.split == LayerSchedule::Split::kRows       ? fb::ParallelAxis::ROWS
                         : s.split == LayerSchedule::Split::kChannels ? fb::ParallelAxis::CHANNELS
                                                                      : fb::ParallelAxis::DEFAULT;
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(fb::Schedule::Pack(builder, &record));
  const fb::Schedule* schedule = flatbuffers::GetRoot<fb::Schedule>(builder.GetBufferPointer());
  std::string note;
  std::vector<int> constants;
  std::unique_ptr<Op> op = bind_layer(*m.model->layers()->Get(m.layer), m.context(schedule, &note, &constants));
  // The model's fusion of the next one-bit Quantize, as bind_model made it.
  QuantizeFusion fused;
  if (m.fuses_quantize(&fused) && op->take_quantize(fused)) op->also_writes.push_back(fused.output);
  const size_t stride = static_cast<size_t>(align_up(static_cast<int64_t>(op->scratch_bytes)));
  if (stride * m.pool->size() > m.scratch.size()) m.scratch = AlignedBuffer(stride * m.pool->size());
  m.scratch_stride = stride;
  m.kernel = op->kernel;
  m.op = std::move(op);
  m.fill_inputs();
  return note;
}

const std::string& LayerTrial::kernel() const { return impl_->kernel; }

void LayerTrial::run() {
  Impl& m = *impl_;
  RunContext ctx;
  ctx.tensors = m.bound->tensors.data();
  ctx.arena = m.arena.data();
  ctx.scratch = m.scratch.data();
  ctx.scratch_stride = m.scratch_stride;
  ctx.pool = m.pool.get();
  m.op->run(ctx);
}

std::vector<uint8_t> LayerTrial::output() const {
  const Impl& m = *impl_;
  std::vector<int> written = {m.op->output};
  written.insert(written.end(), m.op->also_writes.begin(), m.op->also_writes.end());
  std::vector<uint8_t> bytes;
  for (int t : written) {
    const TensorRecord& r = m.bound->tensors[t];
    const uint8_t* at = m.arena.data() + r.arena_offset;
    bytes.insert(bytes.end(), at, at + r.bytes);
  }
  return bytes;
}

}  // namespace bnn

// SPDX-License-Identifier: Apache-2.0
// bnnclassify: a GStreamer element that classifies video frames with a bnn
// model and passes them on unchanged.
//
//   gst-launch-1.0 libcamerasrc ! video/x-raw,format=NV12,width=640,height=480 !
//     bnnclassify model=model.bnn interval=5 ! fakesink
//   gst-launch-1.0 v4l2src ! videoconvert ! bnnclassify print=true ! fakesink
//     (no model: the bundled Fashion-MNIST one; print: results on stdout)
//
// Each classified frame gets a GstBnnClassificationMeta (bnnclassify_meta.h)
// and an element message "bnnclassify" on the bus: frame, label, class-index,
// score, latency-ms (preprocessing and network), preprocess-ms, inference-ms,
// and top (the top-k labels and scores as "label score, ..."). The frame goes
// straight from the mapped buffer into the model's input through the engine's
// one frame path (bnn/image.h): stride, colorimetry and format from the caps.
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "apps/classify/bundled_model.h"
#include "apps/gstreamer/bnnclassify_meta.h"
#include "bnn/classifier.h"

GST_DEBUG_CATEGORY_STATIC(bnn_classify_debug);
#define GST_CAT_DEFAULT bnn_classify_debug

// ---- the meta ----

static gboolean meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GstBnnClassificationMeta*>(meta);
  m->class_index = -1;
  m->score = 0;
  m->label[0] = '\0';
  m->frame = 0;
  m->latency_ms = 0;
  return TRUE;
}

static gboolean meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer) {
  if (!GST_META_TRANSFORM_IS_COPY(type)) return FALSE;
  auto* from = reinterpret_cast<GstBnnClassificationMeta*>(meta);
  auto* to = reinterpret_cast<GstBnnClassificationMeta*>(
      gst_buffer_add_meta(dest, gst_bnn_classification_meta_get_info(), nullptr));
  if (!to) return FALSE;
  to->class_index = from->class_index;
  to->score = from->score;
  g_strlcpy(to->label, from->label, sizeof to->label);
  to->frame = from->frame;
  to->latency_ms = from->latency_ms;
  return TRUE;
}

GType gst_bnn_classification_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {nullptr};
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GstBnnClassificationMetaAPI", tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo* gst_bnn_classification_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* i = gst_meta_register(gst_bnn_classification_meta_api_get_type(), "GstBnnClassificationMeta",
                                             sizeof(GstBnnClassificationMeta), meta_init, nullptr, meta_transform);
    g_once_init_leave(&info, i);
  }
  return info;
}

// ---- the element ----


struct GstBnnClassify {
  GstBaseTransform parent;
  // Properties.
  gchar* model_path;
  gint threads;
  guint top_k;
  guint interval;
  gboolean print;  // each result on standard output too
  // State from start() and set_caps().
  std::shared_ptr<const bnn::Model>* model;
  bnn::Classifier* classifier;
  std::vector<bnn::ClassScore>* scores;
  GstVideoInfo info;
  guint64 frames;
};

struct GstBnnClassifyClass {
  GstBaseTransformClass parent_class;
};

G_DEFINE_TYPE(GstBnnClassify, gst_bnn_classify, GST_TYPE_BASE_TRANSFORM)

enum { PROP_0, PROP_MODEL, PROP_THREADS, PROP_TOP_K, PROP_INTERVAL, PROP_PRINT };

#define BNN_FORMATS "{ GRAY8, RGB, BGR, RGBA, BGRA, BGRx, RGBx, xRGB, NV12, NV21, I420, YUY2 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(BNN_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(BNN_FORMATS)));

static bool to_pixel_format(GstVideoFormat format, bnn::PixelFormat* out) {
  switch (format) {
    case GST_VIDEO_FORMAT_GRAY8: *out = bnn::PixelFormat::kGray8; return true;
    case GST_VIDEO_FORMAT_RGB: *out = bnn::PixelFormat::kRGB888; return true;
    case GST_VIDEO_FORMAT_BGR: *out = bnn::PixelFormat::kBGR888; return true;
    case GST_VIDEO_FORMAT_RGBA: *out = bnn::PixelFormat::kRGBA8888; return true;
    case GST_VIDEO_FORMAT_BGRA: *out = bnn::PixelFormat::kBGRA8888; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = bnn::PixelFormat::kBGRX8888; return true;
    case GST_VIDEO_FORMAT_RGBx: *out = bnn::PixelFormat::kRGBX8888; return true;
    case GST_VIDEO_FORMAT_xRGB: *out = bnn::PixelFormat::kXRGB8888; return true;
    case GST_VIDEO_FORMAT_NV12: *out = bnn::PixelFormat::kNV12; return true;
    case GST_VIDEO_FORMAT_NV21: *out = bnn::PixelFormat::kNV21; return true;
    case GST_VIDEO_FORMAT_I420: *out = bnn::PixelFormat::kI420; return true;
    case GST_VIDEO_FORMAT_YUY2: *out = bnn::PixelFormat::kYUYV; return true;
    default: return false;
  }
}

static void release(GstBnnClassify* self) {
  delete self->classifier;
  self->classifier = nullptr;
  delete self->scores;
  self->scores = nullptr;
  delete self->model;
  self->model = nullptr;
}

static gboolean bnn_start(GstBaseTransform* base) {
  auto* self = reinterpret_cast<GstBnnClassify*>(base);
  release(self);
  const bool bundled = !self->model_path || !*self->model_path;
  const bnn::BundledModel built_in = bnn::bundled_model();
  if (bundled && !built_in.data) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("bnnclassify: this build has no bundled model: set the model property"), (nullptr));
    return FALSE;
  }
  try {
    auto model = bundled ? bnn::Model::load_buffer(built_in.data, built_in.size) : bnn::Model::load_file(self->model_path);
    for (const bnn::LayerInfo& layer : model->layers()) {
      if (!layer.schedule_note.empty()) GST_WARNING_OBJECT(self, "%s", layer.schedule_note.c_str());
    }
    for (const std::string& w : model->warnings()) {
      GST_WARNING_OBJECT(self, "%s", w.c_str());
    }
    self->model = new std::shared_ptr<const bnn::Model>(model);
    self->classifier = new bnn::Classifier(model, bnn::SessionOptions{self->threads});
    // One slot per class: top-k is a property that may change while playing.
    self->scores = new std::vector<bnn::ClassScore>(static_cast<size_t>(self->classifier->classes()));
  } catch (const std::exception& e) {
    release(self);
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("bnnclassify: %s", e.what()), (nullptr));
    return FALSE;
  }
  self->frames = 0;
  return TRUE;
}

static gboolean bnn_stop(GstBaseTransform* base) {
  release(reinterpret_cast<GstBnnClassify*>(base));
  return TRUE;
}

static gboolean bnn_set_caps(GstBaseTransform* base, GstCaps* incaps, GstCaps*) {
  auto* self = reinterpret_cast<GstBnnClassify*>(base);
  bnn::PixelFormat format;
  if (!gst_video_info_from_caps(&self->info, incaps) || !to_pixel_format(GST_VIDEO_INFO_FORMAT(&self->info), &format)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("bnnclassify: unsupported caps"), (nullptr));
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn bnn_transform_ip(GstBaseTransform* base, GstBuffer* buffer) {
  auto* self = reinterpret_cast<GstBnnClassify*>(base);
  const guint64 number = self->frames++;
  // interval may change while playing (another thread): read it atomically.
  const guint interval = static_cast<guint>(g_atomic_int_get(reinterpret_cast<gint*>(&self->interval)));
  if (!self->classifier || number % interval != 0) return GST_FLOW_OK;

  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &self->info, buffer, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("bnnclassify: cannot map the frame"), (nullptr));
    return GST_FLOW_ERROR;
  }
  bnn::ImageView view;
  to_pixel_format(GST_VIDEO_FRAME_FORMAT(&frame), &view.format);
  view.width = GST_VIDEO_FRAME_WIDTH(&frame);
  view.height = GST_VIDEO_FRAME_HEIGHT(&frame);
  view.data = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  view.stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  // Bytes from each plane to the end of the mapping that holds it: with a
  // video meta each plane is mapped on its own (planes may live in separate
  // memories, as a camera's can), otherwise the whole buffer is one mapping.
  auto mapping = [&](int plane) -> const GstMapInfo& { return frame.meta ? frame.map[plane] : frame.map[0]; };
  auto available = [&](int plane) -> size_t {
    const auto* p = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, plane));
    const GstMapInfo& m = mapping(plane);
    const auto* begin = static_cast<const uint8_t*>(m.data);
    // Outside its mapping should not happen; refuse rather than read unchecked.
    return p >= begin && p < begin + m.size ? static_cast<size_t>(begin + m.size - p) : 1;
  };
  view.bytes = available(0);
  const int planes = static_cast<int>(GST_VIDEO_FRAME_N_PLANES(&frame));
  if (planes > 1) {
    view.chroma[0] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 1));
    view.chroma_stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 1);
    view.chroma_bytes[0] = available(1);
    // In one mapping, the Y plane ends where the chroma begins.
    if (&mapping(0) == &mapping(1) && view.chroma[0] > view.data) {
      view.bytes = std::min(view.bytes, static_cast<size_t>(view.chroma[0] - view.data));
    }
  }
  if (planes > 2) {
    view.chroma[1] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 2));
    view.chroma_bytes[1] = available(2);
    if (GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 2) != view.chroma_stride) {
      gst_video_frame_unmap(&frame);
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("bnnclassify: I420 with different U and V strides is not supported"),
                        (nullptr));
      return GST_FLOW_ERROR;
    }
  }
  const GstVideoColorimetry& color = self->info.colorimetry;
  view.matrix = color.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? bnn::YuvMatrix::kBT709 : bnn::YuvMatrix::kBT601;
  view.range = color.range == GST_VIDEO_COLOR_RANGE_0_255 ? bnn::YuvRange::kFull : bnn::YuvRange::kLimited;

  int n = 0;
  try {
    self->classifier->run(view);
    GST_OBJECT_LOCK(self);
    const guint wanted = self->top_k;
    GST_OBJECT_UNLOCK(self);
    const int k = static_cast<int>(std::min<size_t>(wanted, self->scores->size()));
    n = self->classifier->top_k(k, self->scores->data());
  } catch (const std::exception& e) {
    gst_video_frame_unmap(&frame);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("bnnclassify: %s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  gst_video_frame_unmap(&frame);
  if (n == 0) return GST_FLOW_OK;

  const bnn::ClassScore& best = (*self->scores)[0];
  const double pre_ms = self->classifier->preprocess_seconds() * 1e3;
  const double net_ms = self->classifier->inference_seconds() * 1e3;
  const std::string& label = self->classifier->label(best.index);
  if (auto* meta = reinterpret_cast<GstBnnClassificationMeta*>(
          gst_buffer_add_meta(buffer, gst_bnn_classification_meta_get_info(), nullptr))) {
    meta->class_index = best.index;
    meta->score = best.probability;
    g_strlcpy(meta->label, label.c_str(), sizeof meta->label);
    meta->frame = number;
    meta->latency_ms = pre_ms + net_ms;
  }
  GString* top = g_string_new(nullptr);
  for (int i = 0; i < n; ++i) {
    const bnn::ClassScore& s = (*self->scores)[static_cast<size_t>(i)];
    g_string_append_printf(top, "%s%s %.4f", i ? ", " : "", self->classifier->label(s.index).c_str(), s.probability);
  }
  GstStructure* s = gst_structure_new("bnnclassify", "frame", G_TYPE_UINT64, number, "label", G_TYPE_STRING,
                                      label.c_str(), "class-index", G_TYPE_INT, best.index, "score", G_TYPE_DOUBLE,
                                      static_cast<double>(best.probability), "latency-ms", G_TYPE_DOUBLE,
                                      pre_ms + net_ms, "preprocess-ms", G_TYPE_DOUBLE, pre_ms, "inference-ms",
                                      G_TYPE_DOUBLE, net_ms, "top", G_TYPE_STRING, top->str, nullptr);
  if (g_atomic_int_get(&self->print)) {
    g_print("frame %" G_GUINT64_FORMAT ": %s (%.2f ms)\n", number, top->str, pre_ms + net_ms);
  }
  g_string_free(top, TRUE);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  return GST_FLOW_OK;
}

static void bnn_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<GstBnnClassify*>(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL:
      g_free(self->model_path);
      self->model_path = g_value_dup_string(value);
      break;
    case PROP_THREADS: self->threads = g_value_get_int(value); break;
    case PROP_TOP_K: self->top_k = g_value_get_uint(value); break;
    case PROP_PRINT: g_atomic_int_set(&self->print, g_value_get_boolean(value)); break;
    case PROP_INTERVAL: g_atomic_int_set(reinterpret_cast<gint*>(&self->interval), static_cast<gint>(g_value_get_uint(value))); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void bnn_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<GstBnnClassify*>(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, self->model_path); break;
    case PROP_THREADS: g_value_set_int(value, self->threads); break;
    case PROP_TOP_K: g_value_set_uint(value, self->top_k); break;
    case PROP_INTERVAL: g_value_set_uint(value, self->interval); break;
    case PROP_PRINT: g_value_set_boolean(value, self->print); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void bnn_finalize(GObject* object) {
  auto* self = reinterpret_cast<GstBnnClassify*>(object);
  release(self);
  g_free(self->model_path);
  G_OBJECT_CLASS(gst_bnn_classify_parent_class)->finalize(object);
}

static void gst_bnn_classify_class_init(GstBnnClassifyClass* klass) {
  GObjectClass* object = G_OBJECT_CLASS(klass);
  object->set_property = bnn_set_property;
  object->get_property = bnn_get_property;
  object->finalize = bnn_finalize;
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(object, PROP_MODEL,
                                  g_param_spec_string("model", "Model",
                                                      "The .bnn model file (default: the bundled Fashion-MNIST model)",
                                                      nullptr, flags));
  g_object_class_install_property(object, PROP_THREADS,
                                  g_param_spec_int("threads", "Threads", "Threads inside each layer", 1,
                                                   bnn::kMaxThreads, 1, flags));
  g_object_class_install_property(object, PROP_TOP_K,
                                  g_param_spec_uint("top-k", "Top K", "Labels reported per frame", 1, 1000, 1, flags));
  g_object_class_install_property(
      object, PROP_INTERVAL,
      g_param_spec_uint("interval", "Interval", "Classify every Nth frame (1: every frame)", 1, G_MAXINT, 1,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      object, PROP_PRINT,
      g_param_spec_boolean("print", "Print", "Print each result on standard output (\"frame N: label score, ...\")", FALSE,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));

  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element, "bnn classifier", "Filter/Analyzer/Video",
                                        "Classifies video frames with a binarized neural network (bnn-engine)",
                                        "bnn-engine");
  gst_element_class_add_static_pad_template(element, &sink_template);
  gst_element_class_add_static_pad_template(element, &src_template);

  GstBaseTransformClass* transform = GST_BASE_TRANSFORM_CLASS(klass);
  transform->start = bnn_start;
  transform->stop = bnn_stop;
  transform->set_caps = bnn_set_caps;
  transform->transform_ip = bnn_transform_ip;
  transform->passthrough_on_same_caps = FALSE;
}

static void gst_bnn_classify_init(GstBnnClassify* self) {
  self->model_path = nullptr;  // the bundled model
  self->threads = 1;
  self->top_k = 1;
  self->interval = 1;
  self->print = FALSE;
  self->model = nullptr;
  self->classifier = nullptr;
  self->scores = nullptr;
  gst_video_info_init(&self->info);
  self->frames = 0;
  // In place: the pixels are only read; the buffer is made writable for the meta.
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static gboolean plugin_init(GstPlugin* plugin) {
  GST_DEBUG_CATEGORY_INIT(bnn_classify_debug, "bnnclassify", 0, "bnn classifier");
  gst_bnn_classification_meta_get_info();
  return gst_element_register(plugin, "bnnclassify", GST_RANK_NONE, gst_bnn_classify_get_type());
}

#define PACKAGE "bnn-engine"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, bnnclassify, "Binarized neural network classifier",
                  plugin_init, "0.1.0", "Apache-2.0", "bnn-engine", "bnn-engine")

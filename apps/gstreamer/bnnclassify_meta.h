// SPDX-License-Identifier: Apache-2.0
/* GstBnnClassificationMeta: the result bnnclassify attaches to each buffer it
 * classified. Read it downstream with gst_buffer_get_bnn_classification_meta()
 * (or gst_buffer_get_meta(buffer, gst_bnn_classification_meta_api_get_type())). */
#ifndef BNN_GST_CLASSIFICATION_META_H_
#define BNN_GST_CLASSIFICATION_META_H_

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstMeta meta;
  gint class_index;   /* the model's class index of the best label */
  gfloat score;       /* its probability */
  gchar label[64];    /* its label, truncated to 63 bytes */
  guint64 frame;      /* the frame's number in the stream, from 0 */
  gdouble latency_ms; /* preprocessing and network, milliseconds */
} GstBnnClassificationMeta;

GType gst_bnn_classification_meta_api_get_type(void);
const GstMetaInfo* gst_bnn_classification_meta_get_info(void);

#define gst_buffer_get_bnn_classification_meta(b) \
  ((GstBnnClassificationMeta*)gst_buffer_get_meta((b), gst_bnn_classification_meta_api_get_type()))

G_END_DECLS

#endif

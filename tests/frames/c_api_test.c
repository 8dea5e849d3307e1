/* The C API from C (compiled as C99): every status and message, bad frames
 * and bad handles refused with a clear error, a frame classified.
 * usage: c_api_test MODEL.bnn */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn/bnn.h"

static int passed, failed;

static void check(const char* name, int ok, const char* detail) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    printf("FAIL %s (%s)\n", name, detail ? detail : "");
  }
}

/* The call returned `want` and the message mentions `needle`. */
static void check_error(const char* name, bnn_status got, bnn_status want, const char* message, const char* needle) {
  char detail[512];
  snprintf(detail, sizeof detail, "status %d (%s), message \"%s\"", (int)got, bnn_status_string(got), message);
  check(name, got == want && strstr(message, needle) != NULL, detail);
}

/* The message is read after the call (C leaves argument order unspecified). */
#define EXPECT_ERROR(name, call, want, message, needle) \
  do {                                                   \
    const bnn_status status_ = (call);                   \
    check_error(name, status_, want, message, needle);   \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: c_api_test MODEL.bnn\n");
    return 2;
  }
  check("version", strcmp(bnn_version(), "0.1.0") == 0 && bnn_schema_version() >= 2, bnn_version());

  bnn_model* model = NULL;
  EXPECT_ERROR("missing file", bnn_model_load_file("/nonexistent/m.bnn", &model), BNN_ERROR_IO, bnn_last_error(),
              "cannot open");
  check("no handle after a failure", model == NULL, NULL);
  EXPECT_ERROR("a directory", bnn_model_load_file("/", &model), BNN_ERROR_IO, bnn_last_error(), "directory");
  const char junk[] = "this is not a model at all, just some bytes";
  EXPECT_ERROR("junk bytes", bnn_model_load_buffer(junk, sizeof junk, &model), BNN_ERROR_INVALID_MODEL,
              bnn_last_error(), "<memory>");
  /* Sizes past 2 GiB are refused before a byte is read or allocated, however
   * large (2^63 and SIZE_MAX once wrapped a signed check and the allocator's
   * rounding, corrupting the heap). */
  {
    const unsigned long long huge[] = {1ULL << 31, 1ULL << 32, 1ULL << 63, (unsigned long long)SIZE_MAX};
    for (int i = 0; i < 4; ++i) {
      if (huge[i] > SIZE_MAX) continue; /* 32-bit targets */
      char name[64];
      snprintf(name, sizeof name, "a buffer of %llu bytes", huge[i]);
      EXPECT_ERROR(name, bnn_model_load_buffer(junk, (size_t)huge[i], &model), BNN_ERROR_INVALID_MODEL,
                   bnn_last_error(), "cannot exceed 2 GiB");
    }
  }
  EXPECT_ERROR("null out-pointer", bnn_model_load_file(argv[1], NULL), BNN_ERROR_INVALID_ARGUMENT, bnn_last_error(),
              "NULL");

  bnn_status s = bnn_model_load_file(argv[1], &model);
  check("load", s == BNN_OK && model != NULL, bnn_last_error());
  if (!model) return 1;
  int32_t c = 0, h = 0, w = 0;
  bnn_model_input_shape(model, &c, &h, &w);
  check("input shape", c >= 1 && h >= 1 && w >= 1, NULL);
  check("output size", bnn_model_output_size(model) >= 2, NULL);
  check("labels", bnn_model_label_count(model) == 0 || bnn_model_label(model, 0) != NULL, NULL);
  check("label past the end", bnn_model_label(model, 100000) == NULL, NULL);
  check("preprocessing text", strlen(bnn_model_preprocessing(model)) > 0, bnn_model_preprocessing(model));
  check("model schema version", bnn_model_schema_version(model) >= 1, NULL);

  bnn_context* ctx = NULL;
  EXPECT_ERROR("zero threads", bnn_context_create(model, 0, &ctx), BNN_ERROR_INVALID_ARGUMENT, bnn_last_error(),
              "threads");
  s = bnn_context_create(model, 2, &ctx);
  check("context", s == BNN_OK && ctx != NULL, bnn_last_error());
  if (!ctx) return 1;

  /* A 97x61 NV12 frame: a mid-grey picture with a bright square. */
  const int32_t fw = 97, fh = 61;
  const size_t size = bnn_frame_buffer_size(BNN_PIXEL_NV12, fw, fh, 0);
  check("buffer size", size == (size_t)(97 * 61 + 98 * 31), NULL);
  unsigned char* pixels = malloc(size);
  memset(pixels, 128, size);
  for (int y = 20; y < 40; ++y) memset(pixels + y * fw + 30, 235, 30);
  bnn_frame frame;
  EXPECT_ERROR("short buffer", bnn_frame_from_buffer(&frame, BNN_PIXEL_NV12, fw, fh, 0, pixels, size - 1),
              BNN_ERROR_INVALID_FRAME, bnn_last_error(), "needs");
  EXPECT_ERROR("stride shorter than a row", bnn_frame_from_buffer(&frame, BNN_PIXEL_RGB888, 10, 10, 29, pixels, size),
              BNN_ERROR_INVALID_FRAME, bnn_last_error(), "stride");
  EXPECT_ERROR("unsupported format", bnn_frame_from_buffer(&frame, (bnn_pixel_format)99, fw, fh, 0, pixels, size),
              BNN_ERROR_INVALID_FRAME, bnn_last_error(), "unknown pixel format");
  EXPECT_ERROR("null buffer", bnn_frame_from_buffer(&frame, BNN_PIXEL_NV12, fw, fh, 0, NULL, size),
              BNN_ERROR_INVALID_FRAME, bnn_last_error(), "null");
  check("format names", strcmp(bnn_pixel_format_name(BNN_PIXEL_NV12), "NV12") == 0 &&
                            bnn_pixel_format_name((bnn_pixel_format)42) == NULL, NULL);

  s = bnn_frame_from_buffer(&frame, BNN_PIXEL_NV12, fw, fh, 0, pixels, size);
  check("frame", s == BNN_OK, bnn_last_error());
  bnn_class top[3];
  check("no results before a run", bnn_context_top_k(ctx, 3, top) == 0, NULL);

  bnn_frame bad = frame;
  bad.roi_x = 90, bad.roi_y = 0, bad.roi_width = 10, bad.roi_height = 10;
  EXPECT_ERROR("region outside the frame", bnn_context_run(ctx, &bad), BNN_ERROR_INVALID_FRAME,
              bnn_context_last_error(ctx), "region of interest");
  bad = frame;
  bad.rotation = 45;
  EXPECT_ERROR("rotation 45", bnn_context_run(ctx, &bad), BNN_ERROR_INVALID_FRAME, bnn_context_last_error(ctx),
              "rotation");
  bad = frame;
  bad.planes[0] = NULL;
  EXPECT_ERROR("null plane", bnn_context_run(ctx, &bad), BNN_ERROR_INVALID_FRAME, bnn_context_last_error(ctx), "null");
  bad = frame;
  bad.planes[1] = pixels + fw * fh;
  bad.plane_bytes[0] = (size_t)(fw * fh);
  bad.plane_bytes[1] = 10;
  EXPECT_ERROR("short chroma plane", bnn_context_run(ctx, &bad), BNN_ERROR_INVALID_FRAME, bnn_context_last_error(ctx),
              "chroma plane");
  EXPECT_ERROR("null frame", bnn_context_run(ctx, NULL), BNN_ERROR_INVALID_ARGUMENT, bnn_context_last_error(ctx), "NULL");

  s = bnn_context_run(ctx, &frame);
  check("run", s == BNN_OK, bnn_context_last_error(ctx));
  size_t n = bnn_context_top_k(ctx, 3, top);
  check("top 3", n == 3 && top[0].probability >= top[1].probability && top[1].probability >= top[2].probability &&
                     top[0].label != NULL && top[0].index >= 0, NULL);
  const float* logits = NULL;
  size_t count = 0;
  check("logits", bnn_context_logits(ctx, &logits, &count) == BNN_OK && count == bnn_model_output_size(model) &&
                      logits[top[0].index] >= logits[top[2].index], NULL);
  double pre_ms = -1, net_ms = -1;
  check("timing", bnn_context_last_timing(ctx, &pre_ms, &net_ms) == BNN_OK && pre_ms >= 0 && net_ms > 0, NULL);

  /* Rotation: an even-sized NV12 frame turned by 180 degrees in memory and run
   * with rotation = 180 is the same picture: the same logits, bit for bit. */
  {
    enum { W = 96, H = 60 };
    static unsigned char upright[W * H * 3 / 2], turned[W * H * 3 / 2];
    for (int i = 0; i < W * H * 3 / 2; ++i) upright[i] = (unsigned char)((i * 7 + i / 97 * 13) & 0xFF);
    for (int i = 0; i < W * H; ++i) turned[i] = upright[W * H - 1 - i];
    const int samples = (W / 2) * (H / 2);
    for (int j = 0; j < samples; ++j) {
      turned[W * H + 2 * j] = upright[W * H + 2 * (samples - 1 - j)];
      turned[W * H + 2 * j + 1] = upright[W * H + 2 * (samples - 1 - j) + 1];
    }
    bnn_frame a, b;
    bnn_frame_from_buffer(&a, BNN_PIXEL_NV12, W, H, 0, upright, sizeof upright);
    bnn_frame_from_buffer(&b, BNN_PIXEL_NV12, W, H, 0, turned, sizeof turned);
    b.rotation = 180;
    float first[64] = {0};
    const float* out = NULL;
    size_t n_out = 0;
    int same = bnn_context_run(ctx, &a) == BNN_OK && bnn_context_logits(ctx, &out, &n_out) == BNN_OK && n_out <= 64;
    if (same) memcpy(first, out, n_out * sizeof(float));
    same = same && bnn_context_run(ctx, &b) == BNN_OK && bnn_context_logits(ctx, &out, &n_out) == BNN_OK &&
           memcmp(first, out, n_out * sizeof(float)) == 0;
    check("rotation 180 of a turned frame gives the same logits", same, bnn_context_last_error(ctx));
  }

  /* run_input with the wrong count */
  float dummy[4] = {0};
  EXPECT_ERROR("input of the wrong size", bnn_context_run_input(ctx, dummy, 4), BNN_ERROR_INVALID_ARGUMENT,
              bnn_context_last_error(ctx), "values");
  EXPECT_ERROR("input of SIZE_MAX values", bnn_context_run_input(ctx, dummy, SIZE_MAX), BNN_ERROR_INVALID_ARGUMENT,
               bnn_context_last_error(ctx), "values");
  /* Counts at the edge of size_t are clamped, never trusted. */
  check("top SIZE_MAX before a run", bnn_context_top_k(ctx, SIZE_MAX, top) == 0, NULL);
  check("a label at SIZE_MAX", bnn_model_label(model, SIZE_MAX) == NULL, NULL);
  check("a frame size past every limit", bnn_frame_buffer_size(BNN_PIXEL_NV12, 100000, 100000, 0) == 0 &&
                                             bnn_frame_buffer_size(BNN_PIXEL_RGB888, 16, 16, INT32_MAX) == 0, NULL);
  EXPECT_ERROR("a frame of SIZE_MAX bytes with a stride past the limit",
               bnn_frame_from_buffer(&frame, BNN_PIXEL_GRAY8, 16, 16, INT32_MAX, pixels, SIZE_MAX),
               BNN_ERROR_INVALID_FRAME, bnn_last_error(), "kMaxFrameStride");

  bnn_context_destroy(ctx);
  bnn_model_destroy(model);
  bnn_context_destroy(NULL);
  bnn_model_destroy(NULL);
  free(pixels);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

/* classify_frame: the smallest complete use of the C API (bnn/bnn.h only).
 * Reads one raw frame (e.g. from ffmpeg -pix_fmt nv12 -f rawvideo) and prints
 * the model's three best labels.
 *
 *   usage: classify_frame MODEL.bnn FRAME.raw FORMAT WIDTH HEIGHT
 *   FORMAT: GRAY8 RGB888 RGBA8888 BGR888 BGRA8888 BGRX8888 RGBX8888 XRGB8888
 *           NV12 NV21 I420 YUYV
 *
 * Build against an installed bnn:
 *   cc classify_frame.c $(pkg-config --cflags --libs bnn) -o classify_frame
 * or with CMake: find_package(bnn CONFIG REQUIRED), link bnn::bnn (this directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bnn/bnn.h>

static int parse_format(const char* name, bnn_pixel_format* format) {
  for (int f = BNN_PIXEL_GRAY8; f <= BNN_PIXEL_YUYV; ++f) {
    if (strcmp(name, bnn_pixel_format_name((bnn_pixel_format)f)) == 0) {
      *format = (bnn_pixel_format)f;
      return 1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  bnn_pixel_format format;
  if (argc != 6 || !parse_format(argv[3], &format)) {
    fprintf(stderr, "usage: classify_frame MODEL.bnn FRAME.raw FORMAT WIDTH HEIGHT\n");
    return 2;
  }
  const int width = atoi(argv[4]), height = atoi(argv[5]);

  /* The frame: read it whole; bnn_frame_from_buffer checks its size. */
  FILE* file = fopen(argv[2], "rb");
  if (!file) {
    perror(argv[2]);
    return 1;
  }
  long size = -1;
  if (fseek(file, 0, SEEK_END) == 0) size = ftell(file);
  if (size <= 0 || fseek(file, 0, SEEK_SET) != 0) {
    fprintf(stderr, "classify_frame: %s: not a regular, non-empty file\n", argv[2]);
    fclose(file);
    return 1;
  }
  unsigned char* data = malloc((size_t)size);
  const size_t got = data ? fread(data, 1, (size_t)size, file) : 0;
  fclose(file);

  bnn_model* model = NULL;
  bnn_context* context = NULL;
  bnn_frame frame;
  int status = 1;
  if (bnn_model_load_file(argv[1], &model) != BNN_OK || bnn_context_create(model, 1, &context) != BNN_OK ||
      bnn_frame_from_buffer(&frame, format, width, height, 0, data, got) != BNN_OK) {
    fprintf(stderr, "classify_frame: %s\n", bnn_last_error());
  } else if (bnn_context_run(context, &frame) != BNN_OK) {
    fprintf(stderr, "classify_frame: %s\n", bnn_context_last_error(context));
  } else {
    bnn_class best[3];
    const size_t n = bnn_context_top_k(context, 3, best);
    for (size_t i = 0; i < n; ++i) printf("%s %.1f%%\n", best[i].label, 100.0 * best[i].probability);
    status = 0;
  }
  bnn_context_destroy(context);
  bnn_model_destroy(model);
  free(data);
  return status;
}

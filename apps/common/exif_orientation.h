// SPDX-License-Identifier: Apache-2.0
// The EXIF orientation of a JPEG (phones store pictures as the sensor read
// them and say in this tag how to turn them upright), and turning decoded
// pixels upright by it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bnn {

// Tag 0x0112 of the first EXIF block (APP1 "Exif") of a JPEG: 1 (upright) to
// 8; 1 when the file is not a JPEG, has no such tag, or the block is damaged.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

// Pixels (rows packed, `channels` bytes per pixel) as displayed under
// `orientation` 2..8: mirrored and/or rotated into `out`, which holds as
// many bytes; *out_width x *out_height are its sides (swapped for 5..8).
void orient_pixels(const uint8_t* in, int width, int height, int channels, int orientation, uint8_t* out,
                   int* out_width, int* out_height);

}  // namespace bnn

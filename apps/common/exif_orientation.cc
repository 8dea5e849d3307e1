// SPDX-License-Identifier: Apache-2.0
#include "apps/common/exif_orientation.h"

#include <cstring>

namespace bnn {

int jpeg_exif_orientation(const uint8_t* d, size_t n) {
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
  size_t at = 2;
  // Markers up to the first scan; APP1 comes early, within the first segments.
  while (at + 4 <= n && d[at] == 0xFF) {
    const uint8_t marker = d[at + 1];
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // no length
      at += 2;
      continue;
    }
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // the scan: no EXIF before it
    const size_t length = size_t{d[at + 2]} << 8 | d[at + 3];
    if (length < 2 || at + 2 + length > n) return 1;
    const uint8_t* seg = d + at + 4;
    const size_t seg_n = length - 2;
    if (marker == 0xE1 && seg_n >= 14 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      const uint8_t* tiff = seg + 6;
      const size_t tn = seg_n - 6;
      const bool little = tiff[0] == 'I' && tiff[1] == 'I';
      if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
      auto u16 = [&](size_t o) -> uint32_t { return little ? tiff[o] | tiff[o + 1] << 8 : tiff[o] << 8 | tiff[o + 1]; };
      auto u32 = [&](size_t o) -> uint32_t {
        return little ? u16(o) | u16(o + 2) << 16 : u16(o) << 16 | u16(o + 2);
      };
      if (u16(2) != 42) return 1;
      const uint32_t ifd = u32(4);
      if (ifd > tn || tn - ifd < 2) return 1;
      const uint32_t entries = u16(ifd);
      for (uint32_t e = 0; e < entries; ++e) {
        const size_t entry = ifd + 2 + size_t{e} * 12;
        if (entry + 12 > tn) return 1;
        if (u16(entry) != 0x0112) continue;
        const uint32_t type = u16(entry + 2), count = u32(entry + 4), value = u16(entry + 8);
        return type == 3 && count == 1 && value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
      }
      return 1;
    }
    at += 2 + length;
  }
  return 1;
}

void orient_pixels(const uint8_t* in, int width, int height, int channels, int orientation, uint8_t* out,
                   int* out_width, int* out_height) {
  const bool swap = orientation >= 5;
  const int ow = swap ? height : width, oh = swap ? width : height;
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      int ix = ox, iy = oy;  // the input pixel shown at (ox, oy)
      switch (orientation) {
        case 2: ix = width - 1 - ox; break;                         // mirrored left-right
        case 3: ix = width - 1 - ox, iy = height - 1 - oy; break;   // rotated 180
        case 4: iy = height - 1 - oy; break;                        // mirrored top-bottom
        case 5: ix = oy, iy = ox; break;                            // transposed
        case 6: ix = oy, iy = height - 1 - ox; break;               // turned 90 degrees clockwise to show
        case 7: ix = width - 1 - oy, iy = height - 1 - ox; break;   // transversed
        case 8: ix = width - 1 - oy, iy = ox; break;                // turned 90 degrees anticlockwise to show
        default: break;
      }
      std::memcpy(out + (static_cast<size_t>(oy) * ow + ox) * channels,
                  in + (static_cast<size_t>(iy) * width + ix) * channels, channels);
    }
  }
  *out_width = ow;
  *out_height = oh;
}

}  // namespace bnn

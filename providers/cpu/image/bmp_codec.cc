// BMP, decoded here (no library): the Windows headers (40 to 124 bytes) and the OS/2 core header
// (12 bytes); 1, 4 and 8 bits through a palette, 16 and 32 bits with default or explicit channel
// masks, 24 bits; RLE8 and RLE4. Alpha is dropped, as Pillow's convert("RGB") does.
#include <cstring>

#include "image/image_decode.h"

namespace onyx::image {
namespace {

constexpr const char* kBmp = "BMP";

uint32_t Le16(const uint8_t* p) { return p[0] | (p[1] << 8); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

struct Channel {
  uint32_t mask = 0;
  int shift = 0;
  uint32_t max = 0;  // mask >> shift
  uint8_t Get(uint32_t v) const { return max ? static_cast<uint8_t>(((v & mask) >> shift) * 255u / max) : 0; }
};

Channel MakeChannel(uint32_t mask) {
  Channel c;
  c.mask = mask;
  if (!mask) return c;
  while (!((mask >> c.shift) & 1u)) ++c.shift;
  c.max = mask >> c.shift;
  if (c.max & (c.max + 1)) ThrowCorrupt(kBmp, "channel mask is not contiguous");
  return c;
}

// Expands RLE8 (bits 8) or RLE4 (bits 4) into one palette index per pixel, bottom row first.
void DecodeRle(const uint8_t* p, const uint8_t* end, int bits, int64_t width, int64_t height, uint8_t* idx) {
  int64_t x = 0, y = 0;
  auto put = [&](uint8_t v) {
    if (x < width && y < height) idx[y * width + x] = v;
    ++x;
  };
  while (p + 2 <= end && y < height) {
    const uint8_t count = p[0], value = p[1];
    p += 2;
    if (count) {
      for (int i = 0; i < count; ++i) put(bits == 8 ? value : (i & 1 ? value & 15 : value >> 4));
      continue;
    }
    if (value == 0) { x = 0; ++y; continue; }  // end of line
    if (value == 1) return;                   // end of bitmap
    if (value == 2) {                         // delta
      if (p + 2 > end) ThrowCorrupt(kBmp, "RLE data is truncated");
      x += p[0];
      y += p[1];
      p += 2;
      continue;
    }
    const int n = value;  // absolute run of n pixels, padded to 16 bits
    const int64_t bytes = bits == 8 ? n : (n + 1) / 2;
    const int64_t padded = (bytes + 1) & ~int64_t{1};
    if (end - p < padded) ThrowCorrupt(kBmp, "RLE data is truncated");
    for (int i = 0; i < n; ++i) put(bits == 8 ? p[i] : (i & 1 ? p[i / 2] & 15 : p[i / 2] >> 4));
    p += padded;
  }
  if (y < height) ThrowCorrupt(kBmp, "RLE data is truncated");
}

}  // namespace

RgbImage DecodeBmp(const uint8_t* d, size_t n) {
  if (n < 14 + 12) ThrowCorrupt(kBmp, "file is shorter than its headers");
  const uint32_t data_offset = Le32(d + 10);
  const uint32_t header_size = Le32(d + 14);
  const uint8_t* h = d + 14;
  int64_t width = 0, height = 0;
  uint32_t bits = 0, compression = 0, colors_used = 0;
  size_t palette_entry = 4;
  size_t after_header = 14 + static_cast<size_t>(header_size);
  uint32_t masks[4] = {0, 0, 0, 0};
  bool have_masks = false;
  if (header_size == 12) {
    width = Le16(h + 4);
    height = static_cast<int16_t>(Le16(h + 6));
    bits = Le16(h + 10);
    palette_entry = 3;
  } else if (header_size >= 40 && header_size <= 124) {
    if (n < after_header) ThrowCorrupt(kBmp, "file is shorter than its headers");
    width = static_cast<int32_t>(Le32(h + 4));
    height = static_cast<int32_t>(Le32(h + 8));
    bits = Le16(h + 14);
    compression = Le32(h + 16);
    colors_used = Le32(h + 32);
    if (compression == 3 || compression == 6) {
      const int count = compression == 6 ? 4 : 3;
      if (header_size >= 52) {
        for (int i = 0; i < count && 40 + 4 * i + 4 <= static_cast<int>(header_size); ++i) masks[i] = Le32(h + 40 + 4 * i);
        if (header_size >= 56) masks[3] = Le32(h + 52);
      } else {
        if (n < after_header + 4 * count) ThrowCorrupt(kBmp, "channel masks are truncated");
        for (int i = 0; i < count; ++i) masks[i] = Le32(d + after_header + 4 * i);
        after_header += 4 * count;
      }
      have_masks = true;
    }
  } else {
    ThrowCorrupt(kBmp, "unknown header size " + std::to_string(header_size));
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  CheckImageSize(kBmp, width, height);
  const int64_t stride = (bits * width + 31) / 32 * 4;
  const bool rle = compression == 1 || compression == 2;
  if (rle && (top_down || (compression == 1 && bits != 8) || (compression == 2 && bits != 4)))
    ThrowCorrupt(kBmp, "RLE compression with " + std::to_string(bits) + " bits per pixel");
  if (compression != 0 && !rle && !have_masks)
    throw Error(ErrorCode::NotImplemented, "cannot decode the BMP image: compression " + std::to_string(compression) +
                                               " (embedded JPEG/PNG) is not supported");
  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32)
    ThrowCorrupt(kBmp, "unsupported bit depth " + std::to_string(bits));
  if (have_masks && bits != 16 && bits != 32) ThrowCorrupt(kBmp, "channel masks with " + std::to_string(bits) + " bits per pixel");

  std::vector<uint8_t> palette;  // RGB triplets
  if (bits <= 8) {
    const uint32_t max_colors = 1u << bits;
    const uint32_t count = colors_used == 0 || colors_used > max_colors ? max_colors : colors_used;
    palette.assign(static_cast<size_t>(max_colors) * 3, 0);
    if (after_header > n || (n - after_header) / palette_entry < count) ThrowCorrupt(kBmp, "palette is truncated");
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* e = d + after_header + i * palette_entry;
      palette[3 * i] = e[2];
      palette[3 * i + 1] = e[1];
      palette[3 * i + 2] = e[0];
    }
  }
  if (data_offset > n) ThrowCorrupt(kBmp, "pixel data offset is past the end of the file");
  const uint8_t* pixels = d + data_offset;
  const size_t available = n - data_offset;
  if (!rle && static_cast<int64_t>(available) / height < stride) ThrowCorrupt(kBmp, "pixel data is truncated");
  RgbImage img = MakeRgbImage(kBmp, width, height);
  uint8_t* out = img.rgb.data();

  if (rle) {
    std::vector<uint8_t> idx(static_cast<size_t>(width * height), 0);
    DecodeRle(pixels, pixels + available, static_cast<int>(bits), width, height, idx.data());
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x) {
        const uint8_t* c = &palette[3 * idx[y * width + x]];
        std::memcpy(out + ((height - 1 - y) * width + x) * 3, c, 3);
      }
    return img;
  }

  Channel ch[3];
  if (bits == 16 || bits == 32) {
    if (!have_masks) {
      masks[0] = bits == 16 ? 0x7C00 : 0xFF0000;
      masks[1] = bits == 16 ? 0x03E0 : 0x00FF00;
      masks[2] = bits == 16 ? 0x001F : 0x0000FF;
    }
    for (int i = 0; i < 3; ++i) ch[i] = MakeChannel(masks[i]);
  }
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = pixels + (top_down ? y : height - 1 - y) * stride;
    uint8_t* o = out + y * width * 3;
    for (int64_t x = 0; x < width; ++x, o += 3) {
      switch (bits) {
        case 1: case 4: case 8: {
          const int64_t bit = x * bits;
          const uint32_t v = (row[bit / 8] >> (8 - bits - bit % 8)) & ((1u << bits) - 1);
          std::memcpy(o, &palette[3 * v], 3);
          break;
        }
        case 24:
          o[0] = row[3 * x + 2];
          o[1] = row[3 * x + 1];
          o[2] = row[3 * x];
          break;
        default: {
          const uint32_t v = bits == 16 ? Le16(row + 2 * x) : Le32(row + 4 * x);
          for (int i = 0; i < 3; ++i) o[i] = ch[i].Get(v);
        }
      }
    }
  }
  return img;
}

}  // namespace onyx::image

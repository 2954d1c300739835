// Image decoding for ImageDecoder (ai.onnx opset 20). Every decoder returns 8-bit RGB, row-major,
// top row first; the kernel turns that into the requested pixel format. The encoded bytes are
// untrusted: a decoder throws onyx::Error(InvalidArgument) for anything it cannot decode (a
// truncated or corrupt stream, absurd dimensions), NotImplemented for a valid image whose
// feature onyx does not decode, and never reads outside `data`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "onyx/error.h"

namespace onyx::image {

struct RgbImage {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> rgb;  // height * width * 3
};

// Pillow, which the ONNX reference decodes with, refuses images of more than twice its
// MAX_IMAGE_PIXELS (a "decompression bomb"); onyx refuses the same.
inline constexpr int64_t kMaxImagePixels = 2 * 89478485LL;

// Throws InvalidArgument for non-positive sizes or more than kMaxImagePixels pixels, and the
// allocation limit's error when `bytes_per_pixel` bytes per pixel would pass it.
void CheckImageSize(const char* format, int64_t width, int64_t height, size_t bytes_per_pixel = 3);

// Allocates the RGB image after CheckImageSize.
RgbImage MakeRgbImage(const char* format, int64_t width, int64_t height);

[[noreturn]] void ThrowCorrupt(const char* format, const std::string& what);
[[noreturn]] void ThrowMissingCodec(const char* format, const char* library);

enum class ImageFormat { Unknown, Jpeg, Png, Bmp, Tiff, WebP, Pnm, Jpeg2000 };
ImageFormat SniffFormat(const uint8_t* data, size_t size);
const char* ImageFormatName(ImageFormat f);

// Decodes any supported format, chosen from the magic bytes.
RgbImage DecodeImage(const uint8_t* data, size_t size);

RgbImage DecodeJpeg(const uint8_t* data, size_t size);
RgbImage DecodePng(const uint8_t* data, size_t size);
RgbImage DecodeBmp(const uint8_t* data, size_t size);
RgbImage DecodeTiff(const uint8_t* data, size_t size);
RgbImage DecodeWebP(const uint8_t* data, size_t size);
RgbImage DecodePnm(const uint8_t* data, size_t size);
RgbImage DecodeJpeg2000(const uint8_t* data, size_t size);

// Pillow's convert("L") (ITU-R 601-2 luma with 16-bit fixed-point weights, rounded).
inline uint8_t RgbToLuma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

}  // namespace onyx::image

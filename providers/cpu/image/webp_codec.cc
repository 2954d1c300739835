// WebP through libwebp: still images (lossy, lossless, with or without alpha) decoded straight
// into the RGB buffer; alpha is dropped. Animated files are refused.
#include "image/image_decode.h"

#ifdef ONYX_HAVE_WEBP
#include <webp/decode.h>

namespace onyx::image {
namespace {

constexpr const char* kWebP = "WebP";

const char* StatusName(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "data is truncated";
  }
  return "unknown error";
}

}  // namespace

RgbImage DecodeWebP(const uint8_t* data, size_t size) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) throw Error(ErrorCode::Fail, "libwebp version mismatch");
  VP8StatusCode st = WebPGetFeatures(data, size, &config.input);
  if (st != VP8_STATUS_OK) ThrowCorrupt(kWebP, StatusName(st));
  if (config.input.has_animation)
    throw Error(ErrorCode::NotImplemented, "cannot decode the WebP image: animated WebP is not supported");
  RgbImage img = MakeRgbImage(kWebP, config.input.width, config.input.height);
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = img.rgb.data();
  config.output.u.RGBA.stride = static_cast<int>(img.width * 3);
  config.output.u.RGBA.size = img.rgb.size();
  st = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);
  if (st != VP8_STATUS_OK) ThrowCorrupt(kWebP, StatusName(st));
  return img;
}

}  // namespace onyx::image

#else

namespace onyx::image {
RgbImage DecodeWebP(const uint8_t*, size_t) { ThrowMissingCodec("WebP", "libwebp"); }
}  // namespace onyx::image

#endif

#include "image/image_decode.h"

#include <cstring>

#include "core/memory_limits.h"

namespace onyx::image {

void CheckImageSize(const char* format, int64_t width, int64_t height, size_t bytes_per_pixel) {
  if (width <= 0 || height <= 0)
    throw Error(ErrorCode::InvalidArgument, std::string(format) + " image has invalid dimensions " +
                                                std::to_string(width) + "x" + std::to_string(height));
  if (width > kMaxImagePixels || height > kMaxImagePixels || width * height > kMaxImagePixels)
    throw Error(ErrorCode::InvalidArgument, std::string(format) + " image of " + std::to_string(width) + "x" +
                                                std::to_string(height) + " pixels exceeds the limit of " +
                                                std::to_string(kMaxImagePixels) + " pixels");
  CheckAllocationSize(width * height, bytes_per_pixel, "decoded image");
}

RgbImage MakeRgbImage(const char* format, int64_t width, int64_t height) {
  CheckImageSize(format, width, height, 3);
  RgbImage img;
  img.width = width;
  img.height = height;
  img.rgb.resize(static_cast<size_t>(width * height * 3));
  return img;
}

void ThrowCorrupt(const char* format, const std::string& what) {
  throw Error(ErrorCode::InvalidArgument, std::string("cannot decode the ") + format + " image: " + what);
}

void ThrowMissingCodec(const char* format, const char* library) {
  throw Error(ErrorCode::NotImplemented, std::string("cannot decode the ") + format + " image: onyx was built without " +
                                             library + " (install it and rebuild with ONYX_WITH_IMAGE_CODECS=ON)");
}

ImageFormat SniffFormat(const uint8_t* d, size_t n) {
  auto starts = [&](const char* magic, size_t len, size_t at = 0) {
    return n >= at + len && std::memcmp(d + at, magic, len) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  if (starts("BM", 2)) return ImageFormat::Bmp;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return ImageFormat::Tiff;
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return ImageFormat::WebP;
  if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return ImageFormat::Pnm;
  if (starts("\0\0\0\x0CjP  \r\n\x87\n", 12) || starts("\xFF\x4F\xFF\x51", 4)) return ImageFormat::Jpeg2000;
  return ImageFormat::Unknown;
}

const char* ImageFormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Tiff: return "TIFF";
    case ImageFormat::WebP: return "WebP";
    case ImageFormat::Pnm: return "PNM";
    case ImageFormat::Jpeg2000: return "JPEG 2000";
    case ImageFormat::Unknown: break;
  }
  return "unknown";
}

RgbImage DecodeImage(const uint8_t* data, size_t size) {
  switch (SniffFormat(data, size)) {
    case ImageFormat::Jpeg: return DecodeJpeg(data, size);
    case ImageFormat::Png: return DecodePng(data, size);
    case ImageFormat::Bmp: return DecodeBmp(data, size);
    case ImageFormat::Tiff: return DecodeTiff(data, size);
    case ImageFormat::WebP: return DecodeWebP(data, size);
    case ImageFormat::Pnm: return DecodePnm(data, size);
    case ImageFormat::Jpeg2000: return DecodeJpeg2000(data, size);
    case ImageFormat::Unknown: break;
  }
  throw Error(ErrorCode::InvalidArgument,
              "the encoded image is in no format ImageDecoder knows (JPEG, PNG, BMP, TIFF, WebP, PNM, JPEG 2000); "
              "its first bytes match none of their signatures");
}

}  // namespace onyx::image

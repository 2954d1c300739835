// TIFF through libtiff: the first directory, read with the RGBA interface (any photometric,
// compression and bit depth libtiff handles), turned by its Orientation tag, alpha dropped. libtiff reports errors
// and warnings through per-handle handlers (TIFFOpenOptions, libtiff >= 4.5) that keep the first
// error and print nothing.
#include "image/image_decode.h"

#ifdef ONYX_HAVE_TIFF
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <tiffio.h>

#include "core/memory_limits.h"

#if TIFFLIB_VERSION < 20221213
#error "onyx's TIFF decoder needs libtiff 4.5 or later (TIFFOpenOptions)"
#endif

namespace onyx::image {
namespace {

constexpr const char* kTiff = "TIFF";

struct MemoryFile {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[512];
  bool failed;
};

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* f = static_cast<MemoryFile*>(user);
  if (!f->failed) {
    char text[400];
    std::vsnprintf(text, sizeof(text), fmt, ap);
    std::snprintf(f->message, sizeof(f->message), "%s%s%s", module ? module : "", module ? ": " : "", text);
    f->failed = true;
  }
  return 1;  // handled: nothing reaches the global handlers (stderr)
}
int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

tmsize_t Read(thandle_t h, void* buf, tmsize_t n) {
  auto* f = static_cast<MemoryFile*>(h);
  if (n <= 0) return 0;
  const size_t count = std::min(static_cast<size_t>(n), f->size - f->pos);
  std::memcpy(buf, f->data + f->pos, count);
  f->pos += count;
  return static_cast<tmsize_t>(count);
}
tmsize_t Write(thandle_t, void*, tmsize_t) { return 0; }
toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  uint64_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? f->size : 0;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return static_cast<toff_t>(-1);
  if (off > f->size || base + off > f->size) return static_cast<toff_t>(-1);
  f->pos = static_cast<size_t>(base + off);
  return f->pos;
}
int Close(thandle_t) { return 0; }
toff_t Size(thandle_t h) { return static_cast<MemoryFile*>(h)->size; }
int Map(thandle_t, void**, toff_t*) { return 0; }
void Unmap(thandle_t, void*, toff_t) {}

struct Handles {
  TIFFOpenOptions* options = nullptr;
  TIFF* tif = nullptr;
  ~Handles() {
    if (tif) TIFFClose(tif);
    if (options) TIFFOpenOptionsFree(options);
  }
};

}  // namespace

RgbImage DecodeTiff(const uint8_t* data, size_t size) {
  MemoryFile file{data, size, 0, "unknown error", false};
  Handles h;
  h.options = TIFFOpenOptionsAlloc();
  if (!h.options) throw Error(ErrorCode::Fail, "cannot allocate libtiff options");
  TIFFOpenOptionsSetErrorHandlerExtR(h.options, OnError, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(h.options, OnWarning, &file);
  TIFFOpenOptionsSetMaxSingleMemAlloc(h.options, static_cast<tmsize_t>(MaxTensorBytes()));
  h.tif = TIFFClientOpenExt("encoded TIFF", "rm", &file, Read, Write, Seek, Close, Size, Map, Unmap, h.options);
  if (!h.tif) ThrowCorrupt(kTiff, file.message);
  uint32_t width = 0, height = 0;
  if (!TIFFGetField(h.tif, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(h.tif, TIFFTAG_IMAGELENGTH, &height))
    ThrowCorrupt(kTiff, "missing ImageWidth or ImageLength");
  char why[1024] = {0};
  if (!TIFFRGBAImageOK(h.tif, why)) ThrowCorrupt(kTiff, why);
  CheckImageSize(kTiff, width, height, 4);
  // Pillow turns the image as its Orientation tag says. libtiff's RGBA reader flips for
  // orientations 2-4 but treats the transposed ones (5-8) as their unturned counterparts: read
  // those as stored and transpose here.
  uint16_t orientation = ORIENTATION_TOPLEFT;
  TIFFGetFieldDefaulted(h.tif, TIFFTAG_ORIENTATION, &orientation);
  const bool transposed = orientation >= ORIENTATION_LEFTTOP && orientation <= ORIENTATION_LEFTBOT;
  std::vector<uint32_t> raster(static_cast<size_t>(width) * height);
  if (!TIFFReadRGBAImageOriented(h.tif, width, height, raster.data(), transposed ? orientation : ORIENTATION_TOPLEFT, 1) ||
      file.failed)
    ThrowCorrupt(kTiff, file.message);
  const int64_t w = width, ht = height;  // as stored
  RgbImage img = transposed ? MakeRgbImage(kTiff, ht, w) : MakeRgbImage(kTiff, w, ht);
  uint8_t* out = img.rgb.data();
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      int64_t sy = y, sx = x;  // the stored pixel shown at (y, x)
      switch (transposed ? orientation : 0) {
        case ORIENTATION_LEFTTOP: sy = x, sx = y; break;
        case ORIENTATION_RIGHTTOP: sy = ht - 1 - x, sx = y; break;
        case ORIENTATION_RIGHTBOT: sy = ht - 1 - x, sx = w - 1 - y; break;
        case ORIENTATION_LEFTBOT: sy = x, sx = w - 1 - y; break;
        default: break;
      }
      const uint32_t p = raster[static_cast<size_t>(sy * w + sx)];
      uint8_t* o = out + (y * img.width + x) * 3;
      o[0] = static_cast<uint8_t>(TIFFGetR(p));
      o[1] = static_cast<uint8_t>(TIFFGetG(p));
      o[2] = static_cast<uint8_t>(TIFFGetB(p));
    }
  return img;
}

}  // namespace onyx::image

#else

namespace onyx::image {
RgbImage DecodeTiff(const uint8_t*, size_t) { ThrowMissingCodec("TIFF", "libtiff"); }
}  // namespace onyx::image

#endif

// PNG through libpng. Errors longjmp back to Guarded() (png_jmpbuf), whose steps keep no C++
// objects alive; the read structs are destroyed on every path. libpng transforms everything to
// 8-bit RGB: palettes and low bit depths expanded, 16 bits cut to the high byte (as Pillow's
// unpackers do), gray replicated, alpha dropped; gamma is not applied (Pillow ignores gAMA).
#include "image/image_decode.h"

#ifdef ONYX_HAVE_PNG
#include <cstdio>
#include <cstring>

#include <png.h>

namespace onyx::image {
namespace {

constexpr const char* kPng = "PNG";

struct ReadState {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[256];
};

void OnError(png_structp png, png_const_charp message) {
  auto* st = static_cast<ReadState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof(st->message), "%s", message);
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}

void OnRead(png_structp png, png_bytep out, size_t length) {
  auto* st = static_cast<ReadState*>(png_get_io_ptr(png));
  if (length > st->size - st->pos) png_error(png, "data is truncated");
  std::memcpy(out, st->data + st->pos, length);
  st->pos += length;
}

template <class Step>
bool Guarded(png_structp png, Step&& step) {
  if (setjmp(png_jmpbuf(png))) return false;
  step();
  return true;
}

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReader() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  }
};

}  // namespace

RgbImage DecodePng(const uint8_t* data, size_t size) {
  ReadState st{data, size, 0, "unknown error"};
  PngReader r;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, OnError, OnWarning);
  if (!r.png) throw Error(ErrorCode::Fail, "cannot create a libpng reader");
  r.info = png_create_info_struct(r.png);
  if (!r.info) throw Error(ErrorCode::Fail, "cannot create a libpng info struct");
  png_set_read_fn(r.png, &st, OnRead);
  // libpng's own limits: dimensions (our pixel limit is applied below) and ancillary chunk memory.
  png_set_user_limits(r.png, 0x7fffffffL, 0x7fffffffL);
  png_set_chunk_malloc_max(r.png, 64u << 20);

  png_uint_32 width = 0, height = 0;
  if (!Guarded(r.png, [&] {
        png_read_info(r.png, r.info);
        width = png_get_image_width(r.png, r.info);
        height = png_get_image_height(r.png, r.info);
      }))
    ThrowCorrupt(kPng, st.message);
  RgbImage img = MakeRgbImage(kPng, width, height);
  uint8_t* out = img.rgb.data();
  const size_t stride = static_cast<size_t>(width) * 3;
  const bool ok = Guarded(r.png, [&] {
    const int color = png_get_color_type(r.png, r.info);
    const int depth = png_get_bit_depth(r.png, r.info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r.png);
    if (depth == 16) png_set_strip_16(r.png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r.png);
    png_set_strip_alpha(r.png);  // also the alpha a tRNS chunk expands to
    const int passes = png_set_interlace_handling(r.png);
    png_read_update_info(r.png, r.info);
    if (png_get_rowbytes(r.png, r.info) != stride) png_error(r.png, "unexpected row size after transformation");
    for (int pass = 0; pass < passes; ++pass)
      for (png_uint_32 y = 0; y < height; ++y) png_read_row(r.png, out + y * stride, nullptr);
  });
  if (!ok) ThrowCorrupt(kPng, st.message);
  return img;
}

}  // namespace onyx::image

#else

namespace onyx::image {
RgbImage DecodePng(const uint8_t*, size_t) { ThrowMissingCodec("PNG", "libpng"); }
}  // namespace onyx::image

#endif

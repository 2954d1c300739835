// JPEG 2000 (JP2 boxes or a raw J2K codestream) through OpenJPEG. Components are brought to 8 bits
// as Pillow does (signed ones offset, deeper ones shifted right); one component is gray, three or
// more are RGB(A). Subsampled components are sampled at the pixel's position.
#include "image/image_decode.h"

#ifdef ONYX_HAVE_OPENJP2
#include <algorithm>
#include <cstdio>
#include <cstring>

#include <openjpeg.h>

namespace onyx::image {
namespace {

constexpr const char* kJ2k = "JPEG 2000";

struct Source {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[512];
  bool failed;
};

OPJ_SIZE_T Read(void* buf, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  const size_t count = std::min(static_cast<size_t>(n), s->size - s->pos);
  if (count == 0) return static_cast<OPJ_SIZE_T>(-1);
  std::memcpy(buf, s->data + s->pos, count);
  s->pos += count;
  return count;
}
OPJ_OFF_T Skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  if (n < 0) {
    if (static_cast<size_t>(-n) > s->pos) return -1;
    s->pos -= static_cast<size_t>(-n);
    return n;
  }
  const size_t count = std::min(static_cast<size_t>(n), s->size - s->pos);
  s->pos += count;
  return static_cast<OPJ_OFF_T>(count);
}
OPJ_BOOL Seek(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  if (n < 0 || static_cast<uint64_t>(n) > s->size) return OPJ_FALSE;
  s->pos = static_cast<size_t>(n);
  return OPJ_TRUE;
}

void OnError(const char* msg, void* user) {
  auto* s = static_cast<Source*>(user);
  if (s->failed) return;
  std::snprintf(s->message, sizeof(s->message), "%s", msg);
  const size_t len = std::strlen(s->message);
  if (len && s->message[len - 1] == '\n') s->message[len - 1] = 0;
  s->failed = true;
}
void OnQuiet(const char*, void*) {}

struct Handles {
  opj_stream_t* stream = nullptr;
  opj_codec_t* codec = nullptr;
  opj_image_t* image = nullptr;
  ~Handles() {
    if (image) opj_image_destroy(image);
    if (codec) opj_destroy_codec(codec);
    if (stream) opj_stream_destroy(stream);
  }
};

}  // namespace

RgbImage DecodeJpeg2000(const uint8_t* data, size_t size) {
  Source src{data, size, 0, "unknown error", false};
  const bool jp2 = size >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 0x0C;
  Handles h;
  h.stream = opj_stream_create(64 * 1024, OPJ_TRUE);
  h.codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  if (!h.stream || !h.codec) throw Error(ErrorCode::Fail, "cannot create an OpenJPEG decoder");
  opj_stream_set_user_data(h.stream, &src, nullptr);
  opj_stream_set_user_data_length(h.stream, size);
  opj_stream_set_read_function(h.stream, Read);
  opj_stream_set_skip_function(h.stream, Skip);
  opj_stream_set_seek_function(h.stream, Seek);
  opj_set_error_handler(h.codec, OnError, &src);
  opj_set_warning_handler(h.codec, OnQuiet, &src);
  opj_set_info_handler(h.codec, OnQuiet, &src);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(h.codec, &params)) ThrowCorrupt(kJ2k, src.message);
  if (!opj_read_header(h.stream, h.codec, &h.image) || !h.image) ThrowCorrupt(kJ2k, src.message);
  const opj_image_t* hdr = h.image;
  CheckImageSize(kJ2k, static_cast<int64_t>(hdr->x1) - hdr->x0, static_cast<int64_t>(hdr->y1) - hdr->y0,
                 4 * (hdr->numcomps ? hdr->numcomps : 1));
  if (!opj_decode(h.codec, h.stream, h.image) || !opj_end_decompress(h.codec, h.stream)) ThrowCorrupt(kJ2k, src.message);
  const opj_image_t* im = h.image;
  const int64_t width = static_cast<int64_t>(im->x1) - im->x0, height = static_cast<int64_t>(im->y1) - im->y0;
  const uint32_t n = im->numcomps;
  if (n != 1 && n < 3) throw Error(ErrorCode::NotImplemented, "cannot decode the JPEG 2000 image: " + std::to_string(n) + " components");
  const uint32_t used = n == 1 ? 1 : 3;
  for (uint32_t c = 0; c < used; ++c) {
    const opj_image_comp_t& comp = im->comps[c];
    if (!comp.data || comp.dx == 0 || comp.dy == 0 || comp.w == 0 || comp.h == 0 || comp.prec == 0 || comp.prec > 31)
      ThrowCorrupt(kJ2k, "component " + std::to_string(c) + " has no data or an invalid precision");
  }
  RgbImage img = MakeRgbImage(kJ2k, width, height);
  uint8_t* out = img.rgb.data();
  for (uint32_t c = 0; c < used; ++c) {
    const opj_image_comp_t& comp = im->comps[c];
    const int64_t offset = comp.sgnd ? int64_t{1} << (comp.prec - 1) : 0;
    const int shift = comp.prec > 8 ? static_cast<int>(comp.prec) - 8 : 0;
    const int up = comp.prec < 8 ? 8 - static_cast<int>(comp.prec) : 0;
    for (int64_t y = 0; y < height; ++y) {
      // The component grid starts at ceil(x0 / dx); pixel (x, y) of the image lies at
      // (x0 + x) / dx on it.
      const int64_t cy = std::min<int64_t>((im->y0 + y) / comp.dy - (im->y0 + comp.dy - 1) / comp.dy, comp.h - 1);
      for (int64_t x = 0; x < width; ++x) {
        const int64_t cx = std::min<int64_t>((im->x0 + x) / comp.dx - (im->x0 + comp.dx - 1) / comp.dx, comp.w - 1);
        int64_t v = static_cast<int64_t>(comp.data[std::max<int64_t>(cy, 0) * comp.w + std::max<int64_t>(cx, 0)]) + offset;
        v = up ? v << up : v >> shift;
        const uint8_t b = static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
        if (used == 1) out[3 * (y * width + x)] = out[3 * (y * width + x) + 1] = out[3 * (y * width + x) + 2] = b;
        else out[3 * (y * width + x) + c] = b;
      }
    }
  }
  return img;
}

}  // namespace onyx::image

#else

namespace onyx::image {
RgbImage DecodeJpeg2000(const uint8_t*, size_t) { ThrowMissingCodec("JPEG 2000", "OpenJPEG (libopenjp2)"); }
}  // namespace onyx::image

#endif

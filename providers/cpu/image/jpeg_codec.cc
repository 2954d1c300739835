// JPEG through libjpeg(-turbo). libjpeg reports errors through error_exit, which must not return:
// it longjmps back to Guarded(), whose steps keep no C++ objects alive (nothing to unwind), and
// the decompressor is destroyed on every path. The source manager refuses to run past the end of
// the data (libjpeg's own inserts a fake end marker and decodes gray), as Pillow refuses a
// truncated file. Warnings (corrupt but decodable data) are silenced, as Pillow does.
#include "image/image_decode.h"

#ifdef ONYX_HAVE_JPEG
#include <algorithm>
#include <climits>
#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

#include "core/memory_limits.h"

namespace onyx::image {
namespace {

constexpr const char* kJpeg = "JPEG";
constexpr int kMaxScans = 1000;  // a progressive file with more is a denial of service, not an image

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

void OnOutputMessage(j_common_ptr) {}

[[noreturn]] void Fail(j_common_ptr cinfo, const char* message) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  std::snprintf(err->message, sizeof(err->message), "%s", message);
  longjmp(err->jump, 1);
}

void InitSource(j_decompress_ptr) {}
boolean FillInputBuffer(j_decompress_ptr cinfo) {
  Fail(reinterpret_cast<j_common_ptr>(cinfo), "data is truncated");
}
void SkipInputData(j_decompress_ptr cinfo, long count) {
  if (count <= 0) return;
  jpeg_source_mgr* src = cinfo->src;
  if (static_cast<size_t>(count) > src->bytes_in_buffer) Fail(reinterpret_cast<j_common_ptr>(cinfo), "data is truncated");
  src->next_input_byte += count;
  src->bytes_in_buffer -= static_cast<size_t>(count);
}
void TermSource(j_decompress_ptr) {}

void OnProgress(j_common_ptr cinfo) {
  if (reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxScans)
    Fail(cinfo, "more than 1000 progressive scans");
}

// Runs one step of libjpeg calls; false when libjpeg reported an error (message in err).
template <class Step>
bool Guarded(ErrorManager& err, Step&& step) {
  if (setjmp(err.jump)) return false;
  step();
  return true;
}

struct Decompressor {
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  jpeg_source_mgr src{};
  jpeg_progress_mgr progress{};
  bool created = false;
  ~Decompressor() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

// Pillow's CMYK to RGB (libImaging/Convert.c cmyk2rgb).
inline uint8_t CmykChannel(int c, int nk) {
  const int t = c * nk + 128;
  const int v = nk - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(v < 0 ? 0 : v);
}

}  // namespace

RgbImage DecodeJpeg(const uint8_t* data, size_t size) {
  Decompressor d;
  d.cinfo.err = jpeg_std_error(&d.err.pub);
  d.err.pub.error_exit = OnError;
  d.err.pub.output_message = OnOutputMessage;
  if (!Guarded(d.err, [&] { jpeg_create_decompress(&d.cinfo); })) ThrowCorrupt(kJpeg, d.err.message);
  d.created = true;
  d.src.init_source = InitSource;
  d.src.fill_input_buffer = FillInputBuffer;
  d.src.skip_input_data = SkipInputData;
  d.src.resync_to_restart = jpeg_resync_to_restart;
  d.src.term_source = TermSource;
  d.src.next_input_byte = data;
  d.src.bytes_in_buffer = size;
  d.cinfo.src = &d.src;
  d.progress.progress_monitor = OnProgress;
  d.cinfo.progress = &d.progress;
  d.cinfo.mem->max_memory_to_use = static_cast<long>(std::min<int64_t>(MaxTensorBytes(), LONG_MAX));

  if (!Guarded(d.err, [&] { jpeg_read_header(&d.cinfo, TRUE); })) ThrowCorrupt(kJpeg, d.err.message);
  const bool cmyk = d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK;
  d.cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  RgbImage img = MakeRgbImage(kJpeg, d.cinfo.image_width, d.cinfo.image_height);
  std::vector<uint8_t> row;
  if (cmyk) {
    CheckAllocationSize(d.cinfo.image_width, 4, "JPEG row");
    row.resize(static_cast<size_t>(d.cinfo.image_width) * 4);
  }
  uint8_t* out = img.rgb.data();
  uint8_t* cmyk_row = row.data();
  const size_t stride = static_cast<size_t>(img.width) * 3;
  const bool ok = Guarded(d.err, [&] {
    jpeg_start_decompress(&d.cinfo);
    if (d.cinfo.output_components != (cmyk ? 4 : 3)) Fail(reinterpret_cast<j_common_ptr>(&d.cinfo), "unexpected component count");
    while (d.cinfo.output_scanline < d.cinfo.output_height) {
      uint8_t* dst = out + d.cinfo.output_scanline * stride;
      JSAMPROW rows[1] = {cmyk ? cmyk_row : dst};
      jpeg_read_scanlines(&d.cinfo, rows, 1);
      if (cmyk) {
        for (size_t x = 0; x < d.cinfo.output_width; ++x) {
          int c[4];
          // Pillow reads every CMYK JPEG with Adobe's inverted convention (rawmode CMYK;I).
          for (int k = 0; k < 4; ++k) c[k] = 255 - cmyk_row[4 * x + k];
          const int nk = 255 - c[3];
          for (int k = 0; k < 3; ++k) dst[3 * x + k] = CmykChannel(c[k], nk);
        }
      }
    }
    // No jpeg_finish_decompress: like Pillow, a file whose pixels are complete decodes even when
    // its end marker is missing.
  });
  if (!ok) ThrowCorrupt(kJpeg, d.err.message);
  return img;
}

}  // namespace onyx::image

#else

namespace onyx::image {
RgbImage DecodeJpeg(const uint8_t*, size_t) { ThrowMissingCodec("JPEG", "libjpeg"); }
}  // namespace onyx::image

#endif

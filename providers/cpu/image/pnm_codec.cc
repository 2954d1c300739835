// PNM (P1-P6: PBM, PGM, PPM in plain and raw form), decoded here (no library). Samples are scaled
// from 0..maxval to 0..255 with rounding; in a bitmap 1 is black.
#include "image/image_decode.h"

namespace onyx::image {
namespace {

constexpr const char* kPnm = "PNM";

bool IsSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

struct Reader {
  const uint8_t* p;
  const uint8_t* end;

  void SkipSpaceAndComments() {
    while (p < end) {
      if (IsSpace(*p)) ++p;
      else if (*p == '#') while (p < end && *p != '\n' && *p != '\r') ++p;
      else break;
    }
  }
  int64_t Number(const char* what) {
    SkipSpaceAndComments();
    if (p >= end || *p < '0' || *p > '9') ThrowCorrupt(kPnm, std::string("expected a number for ") + what);
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      v = v * 10 + (*p++ - '0');
      if (v > (int64_t{1} << 40)) ThrowCorrupt(kPnm, std::string(what) + " is too large");
    }
    return v;
  }
};

}  // namespace

RgbImage DecodePnm(const uint8_t* d, size_t n) {
  Reader r{d + 2, d + n};
  const int kind = d[1] - '0';  // SniffFormat checked "P1".."P6"
  const bool bitmap = kind == 1 || kind == 4, gray = kind == 2 || kind == 5, plain = kind <= 3;
  const int64_t width = r.Number("width");
  const int64_t height = r.Number("height");
  int64_t maxval = 1;
  if (!bitmap) {
    maxval = r.Number("maxval");
    if (maxval < 1 || maxval > 65535) ThrowCorrupt(kPnm, "maxval " + std::to_string(maxval) + " is not in 1..65535");
  }
  CheckImageSize(kPnm, width, height);
  const int channels = bitmap || gray ? 1 : 3;
  const int64_t samples = width * height * channels;
  // Every sample takes at least one byte (a bitmap's raw row at least one per 8 pixels): refuse
  // a short file before allocating for the size its header claims.
  if (static_cast<int64_t>(r.end - r.p) < (bitmap && !plain ? (width + 7) / 8 * height : samples))
    ThrowCorrupt(kPnm, "file is shorter than its " + std::to_string(width) + "x" + std::to_string(height) + " raster");
  RgbImage img = MakeRgbImage(kPnm, width, height);
  auto scale = [&](int64_t v) -> uint8_t {
    if (v > maxval) ThrowCorrupt(kPnm, "sample " + std::to_string(v) + " exceeds maxval " + std::to_string(maxval));
    return static_cast<uint8_t>((v * 255 + maxval / 2) / maxval);
  };
  std::vector<uint8_t> s(static_cast<size_t>(samples));
  if (plain) {
    for (int64_t i = 0; i < samples; ++i) {
      if (bitmap) {  // digits need no separators in P1
        r.SkipSpaceAndComments();
        if (r.p >= r.end || (*r.p != '0' && *r.p != '1')) ThrowCorrupt(kPnm, "bitmap data is truncated or not 0/1");
        s[i] = *r.p++ == '1' ? 0 : 255;
      } else {
        s[i] = scale(r.Number("sample"));
      }
    }
  } else {
    if (r.p >= r.end || !IsSpace(*r.p)) ThrowCorrupt(kPnm, "header does not end with whitespace");
    ++r.p;
    const size_t left = static_cast<size_t>(r.end - r.p);
    if (bitmap) {
      const int64_t stride = (width + 7) / 8;
      if (static_cast<int64_t>(left) / height < stride) ThrowCorrupt(kPnm, "raster is truncated");
      for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) s[y * width + x] = (r.p[y * stride + x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
    } else {
      const int bytes = maxval < 256 ? 1 : 2;
      if (static_cast<int64_t>(left) / bytes < samples) ThrowCorrupt(kPnm, "raster is truncated");
      for (int64_t i = 0; i < samples; ++i)
        s[i] = scale(bytes == 1 ? r.p[i] : (r.p[2 * i] << 8 | r.p[2 * i + 1]));
    }
  }
  uint8_t* o = img.rgb.data();
  if (channels == 3) {
    img.rgb = std::move(s);
  } else {
    for (int64_t i = 0; i < width * height; ++i) o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = s[i];
  }
  return img;
}

}  // namespace onyx::image

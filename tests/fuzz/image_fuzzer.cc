// libFuzzer entry point for ImageDecoder's decoders: the bytes are an encoded image. Every
// outcome other than an image or an onyx::Error (a crash, a sanitizer report, a leak, another
// exception type, a hang, a print to stderr from a codec) is a finding. onyx_image_fuzz_replay
// runs the same function on tests/fuzz/image_seeds in every build (ctest image_fuzz_seeds).
#include <cstdint>
#include <cstdlib>

#include "image/image_decode.h"

// As the model fuzzer: images past 256 MiB are refused rather than allocated.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("ONYX_MAX_TENSOR_BYTES", "268435456", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    onyx::image::RgbImage img = onyx::image::DecodeImage(data, size);
    if (static_cast<int64_t>(img.rgb.size()) != img.height * img.width * 3) std::abort();
  } catch (const onyx::Error&) {
  }
  return 0;
}

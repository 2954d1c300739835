// ImageDecoder (ai.onnx opset 20): a 1-D uint8 tensor of encoded bytes to a uint8 [H, W, C] image,
// C = 3 for pixel_format RGB (default) and BGR, 1 for Grayscale. The format is sniffed from the
// magic bytes. Outputs match ONNX's reference implementation, which decodes with Pillow.
#include "image/image_kernels.h"

#include <algorithm>

#include "cpu_kernels.h"
#include "image/image_decode.h"
#include "kernel_utils.h"

namespace onyx {
namespace {

enum class PixelFormat { Rgb, Bgr, Grayscale };

class ImageDecoderKernel : public OpKernel {
 public:
  explicit ImageDecoderKernel(const KernelInfo& info) {
    const std::string f = info.GetString("pixel_format", "RGB");
    if (f == "RGB") format_ = PixelFormat::Rgb;
    else if (f == "BGR") format_ = PixelFormat::Bgr;
    else if (f == "Grayscale") format_ = PixelFormat::Grayscale;
    else throw info.MakeError(ErrorCode::InvalidGraph, "pixel_format should be RGB, BGR or Grayscale, got '" + f + "'");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& encoded = ctx.Input(0);
    if (encoded.dtype() != DataType::UInt8)
      throw ctx.MakeError(ErrorCode::InvalidArgument,
                          std::string("encoded_stream should be a uint8 tensor, got ") + DataTypeName(encoded.dtype()));
    if (encoded.shape().size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "encoded_stream should be 1-D, got rank " +
                                                          std::to_string(encoded.shape().size()));
    image::RgbImage img;
    try {
      img = image::DecodeImage(encoded.data<uint8_t>(), static_cast<size_t>(encoded.size()));
    } catch (const Error& e) {
      throw ctx.MakeError(e.code(), e.what());
    }
    const int64_t pixels = img.height * img.width;
    const uint8_t* in = img.rgb.data();
    if (format_ == PixelFormat::Grayscale) {
      uint8_t* out = ctx.Output(0, DataType::UInt8, {img.height, img.width, 1}).data<uint8_t>();
      for (int64_t i = 0; i < pixels; ++i) out[i] = image::RgbToLuma(in[3 * i], in[3 * i + 1], in[3 * i + 2]);
      return;
    }
    uint8_t* out = ctx.Output(0, DataType::UInt8, {img.height, img.width, 3}).data<uint8_t>();
    if (format_ == PixelFormat::Rgb) {
      std::copy(img.rgb.begin(), img.rgb.end(), out);
      return;
    }
    for (int64_t i = 0; i < pixels; ++i) {
      out[3 * i] = in[3 * i + 2];
      out[3 * i + 1] = in[3 * i + 1];
      out[3 * i + 2] = in[3 * i];
    }
  }

 private:
  PixelFormat format_ = PixelFormat::Rgb;
};

}  // namespace

void RegisterImageKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "ImageDecoder", 20, INT64_MAX, {DataType::UInt8}, MakeFactory<ImageDecoderKernel>()});
}

}  // namespace onyx

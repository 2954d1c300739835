// DFT (opset 17: axis attribute; opset 20: axis input) and STFT. Lines along the transformed
// axis are gathered into a complex double buffer, transformed by mlas::FftPlan and scattered
// back, so every length works and float16 inputs keep full precision internally.
#include <algorithm>
#include <cmath>
#include <complex>
#include <vector>

#include "core/memory_limits.h"
#include "core/thread_pool.h"
#include "mlas/signal_fft.h"
#include "signal/signal_common.h"
#include "signal/signal_kernels.h"

namespace onyx {
namespace {

using Complex = std::complex<double>;
using signal::FromDouble;
using signal::ToDouble;

class DftKernel final : public OpKernel {
 public:
  explicit DftKernel(const KernelInfo& info)
      : opset_(info.opset()),
        inverse_(info.GetInt("inverse", 0) != 0),
        onesided_(info.GetInt("onesided", 0) != 0),
        axis_attr_(info.GetInt("axis", 1)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 2 ([..., signal, 1 or 2]), got shape " +
                                                          ShapeToString(x.shape()));
    const int64_t channels = x.dim(rank - 1);
    if (channels != 1 && channels != 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "the last input dimension should be 1 (real) or 2 (complex), got " +
                                                          std::to_string(channels));
    int64_t axis = axis_attr_;
    if (opset_ >= 20) {
      axis = -2;
      if (const Tensor* a = ctx.OptionalInput(2)) axis = signal::ReadIntScalar(*a, ctx, "axis");
    }
    if (axis < -rank || axis > rank - 2 || axis == -1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis) + " is out of range [-" + std::to_string(rank) +
                                                          ", -2] U [0, " + std::to_string(rank - 2) + "] for input shape " +
                                                          ShapeToString(x.shape()));
    if (axis < 0) axis += rank;
    const bool irfft = inverse_ && onesided_;
    const int64_t in_len = x.dim(axis);
    int64_t n = irfft ? 2 * (in_len - 1) : in_len;
    if (const Tensor* len = ctx.OptionalInput(1)) {
      n = signal::ReadIntScalar(*len, ctx, "dft_length");
      if (n < 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "dft_length should be >= 1, got " + std::to_string(n));
    }
    if (n < 0) n = 0;
    if (irfft && channels != 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "inverse onesided DFT (IRFFT) expects complex input (last dim 2), got 1");
    const int64_t out_len = (onesided_ && !inverse_) ? n / 2 + 1 : n;
    const int64_t out_channels = irfft ? 1 : 2;
    std::vector<int64_t> out_shape = x.shape();
    out_shape[axis] = out_len;
    out_shape[rank - 1] = out_channels;
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;

    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
    for (int64_t i = axis + 1; i < rank - 1; ++i) inner *= x.dim(i);
    // The plan holds twiddles, and for lengths that are not powers of two Bluestein's padded
    // chirp buffers: a few dozen bytes per point of a length the model chooses.
    CheckAllocationSize(n, 64, "an FFT plan");
    const mlas::FftPlan plan(n);
    // Number of input entries that reach the transform: truncated to n, or for IRFFT to the
    // n/2+1 unique bins.
    const int64_t used = std::min(in_len, irfft ? n / 2 + 1 : n);
    const double scale = inverse_ ? 1.0 / static_cast<double>(n) : 1.0;

    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      const double cost = 5.0 * static_cast<double>(n) * (std::log2(static_cast<double>(n) + 1.0) + 1.0);
      ParallelFor(ctx.thread_pool(), outer * inner, cost, [&](int64_t begin, int64_t end) {
        std::vector<Complex> buf(static_cast<size_t>(n)), scratch(static_cast<size_t>(plan.scratch_size()));
        for (int64_t line = begin; line < end; ++line) {
          const int64_t o = line / inner, i = line % inner;
          const T* s = src + (o * in_len * inner + i) * channels;
          std::fill(buf.begin(), buf.end(), Complex{0.0, 0.0});
          for (int64_t k = 0; k < used; ++k) {
            const T* e = s + k * inner * channels;
            buf[k] = Complex{ToDouble(e[0]), channels == 2 ? ToDouble(e[1]) : 0.0};
          }
          if (irfft) {
            // Rebuild the full Hermitian spectrum from the one-sided bins.
            for (int64_t k = 1; k < n - n / 2; ++k) buf[n - k] = std::conj(buf[k]);
          }
          plan.Transform(buf.data(), inverse_, scratch.data());
          T* d = dst + (o * out_len * inner + i) * out_channels;
          for (int64_t k = 0; k < out_len; ++k) {
            T* e = d + k * inner * out_channels;
            e[0] = FromDouble<T>(buf[k].real() * scale);
            if (out_channels == 2) e[1] = FromDouble<T>(buf[k].imag() * scale);
          }
        }
      });
    });
  }

 private:
  int64_t opset_;
  bool inverse_, onesided_;
  int64_t axis_attr_;
};

class StftKernel final : public OpKernel {
 public:
  explicit StftKernel(const KernelInfo& info) : onesided_(info.GetInt("onesided", 1) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2))
      throw ctx.MakeError(ErrorCode::InvalidArgument,
                          "signal should have shape [batch, length, 1 or 2], got " + ShapeToString(x.shape()));
    const int64_t batch = x.dim(0), length = x.dim(1), channels = x.dim(2);
    const int64_t step = signal::ReadIntScalar(ctx.Input(1), ctx, "frame_step");
    if (step < 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "frame_step should be >= 1, got " + std::to_string(step));
    const Tensor* window = ctx.OptionalInput(2);
    if (window && window->rank() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "window should be 1-D, got shape " + ShapeToString(window->shape()));
    if (window && window->dtype() != x.dtype())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("window should have the signal's type ") +
                                                          DataTypeName(x.dtype()) + ", got " + DataTypeName(window->dtype()));
    int64_t frame_length = window ? window->dim(0) : length;
    if (const Tensor* fl = ctx.OptionalInput(3)) {
      frame_length = signal::ReadIntScalar(*fl, ctx, "frame_length");
      if (window && window->dim(0) != frame_length)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "window length " + std::to_string(window->dim(0)) +
                                                            " differs from frame_length " + std::to_string(frame_length));
    }
    if (frame_length < 1 || frame_length > length)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "frame_length should be in [1, signal length " + std::to_string(length) +
                                                          "], got " + std::to_string(frame_length));
    const int64_t frames = (length - frame_length) / step + 1;
    const int64_t bins = onesided_ ? frame_length / 2 + 1 : frame_length;
    Tensor& y = ctx.Output(0, x.dtype(), {batch, frames, bins, 2});
    if (y.size() == 0) return;
    CheckAllocationSize(frame_length, 64, "an FFT plan");
    const mlas::FftPlan plan(frame_length);
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<double> w(static_cast<size_t>(frame_length), 1.0);
      if (window)
        for (int64_t k = 0; k < frame_length; ++k) w[k] = ToDouble(window->data<T>()[k]);
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      const double cost = 5.0 * static_cast<double>(frame_length) * (std::log2(static_cast<double>(frame_length)) + 1.0);
      ParallelFor(ctx.thread_pool(), batch * frames, cost, [&](int64_t begin, int64_t end) {
        std::vector<Complex> buf(static_cast<size_t>(frame_length)), scratch(static_cast<size_t>(plan.scratch_size()));
        for (int64_t bf = begin; bf < end; ++bf) {
          const int64_t b = bf / frames, f = bf % frames;
          const T* s = src + (b * length + f * step) * channels;
          for (int64_t k = 0; k < frame_length; ++k)
            buf[k] = Complex{ToDouble(s[k * channels]) * w[k], channels == 2 ? ToDouble(s[k * channels + 1]) * w[k] : 0.0};
          plan.Transform(buf.data(), false, scratch.data());
          T* d = dst + bf * bins * 2;
          for (int64_t k = 0; k < bins; ++k) {
            d[2 * k] = FromDouble<T>(buf[k].real());
            d[2 * k + 1] = FromDouble<T>(buf[k].imag());
          }
        }
      });
    });
  }

 private:
  bool onesided_;
};

}  // namespace

void RegisterDftKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  r.Register({kCpuProvider, "", "DFT", 17, INT64_MAX, types, MakeFactory<DftKernel>()});
  r.Register({kCpuProvider, "", "STFT", 17, INT64_MAX, types, MakeFactory<StftKernel>()});
}

}  // namespace onyx

// Window generators (HannWindow, HammingWindow, BlackmanWindow) and MelWeightMatrix. Values are
// computed in double and cast to output_datatype, which may be any numeric type.
#include <cmath>
#include <numbers>
#include <vector>

#include "core/memory_limits.h"
#include "signal/signal_common.h"
#include "signal/signal_kernels.h"

namespace onyx {
namespace {

using signal::FromDouble;

// Writes values (double) into a new output of element type `dtype`.
void WriteOutput(KernelContext& ctx, DataType dtype, const std::vector<int64_t>& shape, const std::vector<double>& values) {
  Tensor& y = ctx.Output(0, dtype, shape);
  DispatchAll(dtype, ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::string>) {
      throw ctx.MakeError(ErrorCode::InvalidArgument, "output_datatype should be numeric, got string");
    } else if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < values.size(); ++i) y.data<bool>()[i] = values[i] != 0.0;
    } else {
      T* d = y.data<T>();
      for (size_t i = 0; i < values.size(); ++i) d[i] = FromDouble<T>(values[i]);
    }
  });
}

DataType OutputType(const KernelInfo& info) {
  const int64_t dt = info.GetInt("output_datatype", static_cast<int64_t>(DataType::Float));
  if (!IsKnownDataType(static_cast<int32_t>(dt)) || dt == static_cast<int64_t>(DataType::Undefined))
    throw info.MakeError(ErrorCode::InvalidGraph, "output_datatype " + std::to_string(dt) + " is not a known element type");
  return static_cast<DataType>(dt);
}

enum class WindowKind { Hann, Hamming, Blackman };

class WindowKernel final : public OpKernel {
 public:
  WindowKernel(const KernelInfo& info, WindowKind kind)
      : kind_(kind), periodic_(info.GetInt("periodic", 1) != 0), dtype_(OutputType(info)) {}

  void Compute(KernelContext& ctx) const override {
    const int64_t size = signal::ReadIntScalar(ctx.Input(0), ctx, "size");
    if (size < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "size should be >= 0, got " + std::to_string(size));
    CheckAllocationSize(size, sizeof(double) + DataTypeSize(dtype_), "a window");
    std::vector<double> w(static_cast<size_t>(size));
    const double denom = static_cast<double>(periodic_ ? size : size - 1);
    for (int64_t i = 0; i < size; ++i) {
      // A symmetric window of one sample has no period; it is 1 like torch's.
      if (denom == 0.0) {
        w[i] = 1.0;
        continue;
      }
      const double a = 2.0 * std::numbers::pi * static_cast<double>(i) / denom;
      switch (kind_) {
        case WindowKind::Hann: w[i] = 0.5 - 0.5 * std::cos(a); break;
        case WindowKind::Hamming: w[i] = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(a); break;
        case WindowKind::Blackman: w[i] = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2.0 * a); break;
      }
    }
    WriteOutput(ctx, dtype_, {size}, w);
  }

 private:
  WindowKind kind_;
  bool periodic_;
  DataType dtype_;
};

// Triangular filters between mel-spaced edges, as [dft_length/2 + 1, num_mel_bins]; edges are
// snapped to FFT bins with floor((dft_length + 1) * hz / sample_rate) like the reference.
class MelWeightMatrixKernel final : public OpKernel {
 public:
  explicit MelWeightMatrixKernel(const KernelInfo& info) : dtype_(OutputType(info)) {}

  void Compute(KernelContext& ctx) const override {
    const int64_t mel_bins = signal::ReadIntScalar(ctx.Input(0), ctx, "num_mel_bins");
    const int64_t dft_length = signal::ReadIntScalar(ctx.Input(1), ctx, "dft_length");
    const int64_t sample_rate = signal::ReadIntScalar(ctx.Input(2), ctx, "sample_rate");
    const double lower = signal::ReadFloatScalar(ctx.Input(3), ctx, "lower_edge_hertz");
    const double upper = signal::ReadFloatScalar(ctx.Input(4), ctx, "upper_edge_hertz");
    if (mel_bins < 0 || dft_length < 1 || sample_rate < 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "expected num_mel_bins >= 0, dft_length >= 1 and sample_rate >= 1, got " +
                                                          std::to_string(mel_bins) + ", " + std::to_string(dft_length) + ", " +
                                                          std::to_string(sample_rate));
    if (!(lower >= 0.0) || !(upper >= lower))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "expected 0 <= lower_edge_hertz <= upper_edge_hertz, got " +
                                                          std::to_string(lower) + " and " + std::to_string(upper));
    const int64_t spectrogram_bins = dft_length / 2 + 1;
    const std::vector<int64_t> shape = {spectrogram_bins, mel_bins};
    CheckAllocationSize(ShapeSize(shape), sizeof(double), "a mel weight matrix");
    std::vector<double> out(static_cast<size_t>(ShapeSize(shape)), 0.0);
    const double low_mel = 2595.0 * std::log10(1.0 + lower / 700.0);
    const double high_mel = 2595.0 * std::log10(1.0 + upper / 700.0);
    const double mel_step = (high_mel - low_mel) / static_cast<double>(mel_bins + 2);
    std::vector<int64_t> edges(static_cast<size_t>(mel_bins + 2));
    for (int64_t i = 0; i < mel_bins + 2; ++i) {
      const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * mel_step + low_mel) / 2595.0) - 1.0);
      const double bin = std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate));
      if (!(bin <= static_cast<double>(spectrogram_bins)))  // also NaN; checked before the conversion to int
        throw ctx.MakeError(ErrorCode::InvalidArgument, "upper_edge_hertz " + std::to_string(upper) +
                                                            " maps beyond the spectrogram bins (" + std::to_string(spectrogram_bins) +
                                                            ") of dft_length " + std::to_string(dft_length));
      edges[i] = static_cast<int64_t>(bin);
    }
    auto set = [&](int64_t j, int64_t i, double v) {
      if (j < 0 || j >= spectrogram_bins)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "upper_edge_hertz " + std::to_string(upper) +
                                                            " maps beyond the spectrogram bins (" + std::to_string(spectrogram_bins) +
                                                            ") of dft_length " + std::to_string(dft_length));
      out[j * mel_bins + i] = v;
    };
    for (int64_t i = 0; i < mel_bins; ++i) {
      const int64_t left = edges[i], center = edges[i + 1], right = edges[i + 2];
      if (center == left) set(center, i, 1.0);
      else
        for (int64_t j = left; j <= center; ++j) set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
      for (int64_t j = center; j < right; ++j) set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
    }
    WriteOutput(ctx, dtype_, shape, out);
  }

 private:
  DataType dtype_;
};

KernelFactory WindowFactory(WindowKind kind) {
  return [kind](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<WindowKernel>(info, kind); };
}

}  // namespace

void RegisterWindowKernels(KernelRegistry& r) {
  const std::vector<DataType>& types = AllNumericTypes();
  r.Register({kCpuProvider, "", "HannWindow", 17, INT64_MAX, types, WindowFactory(WindowKind::Hann)});
  r.Register({kCpuProvider, "", "HammingWindow", 17, INT64_MAX, types, WindowFactory(WindowKind::Hamming)});
  r.Register({kCpuProvider, "", "BlackmanWindow", 17, INT64_MAX, types, WindowFactory(WindowKind::Blackman)});
  r.Register({kCpuProvider, "", "MelWeightMatrix", 17, INT64_MAX, types, MakeFactory<MelWeightMatrixKernel>()});
}

}  // namespace onyx

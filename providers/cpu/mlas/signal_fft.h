#pragma once
// Complex DFT of any length on raw buffers: radix-2 for powers of two, a direct sum for short
// odd lengths, Bluestein's chirp-z (through a power-of-two FFT) for the rest.
#include <complex>
#include <cstdint>
#include <vector>

namespace onyx::mlas {

class FftPlan {
 public:
  explicit FftPlan(int64_t n);
  int64_t size() const { return n_; }
  // Complex elements of scratch that Transform needs.
  int64_t scratch_size() const;
  // In place on data[0..n). Forward uses exp(-2*pi*i*k*t/n); inverse exp(+...), unscaled.
  void Transform(std::complex<double>* data, bool inverse, std::complex<double>* scratch) const;

 private:
  enum class Kind { Trivial, Radix2, Direct, Bluestein };
  Kind kind_ = Kind::Trivial;
  int64_t n_ = 0;
  int64_t m_ = 0;                                // Bluestein's power-of-two length
  std::vector<std::complex<double>> twiddle_;    // exp(-2*pi*i*k/len) for the radix-2 or direct length
  std::vector<int64_t> bitrev_;
  std::vector<std::complex<double>> chirp_;      // exp(-pi*i*k^2/n), k < n
  std::vector<std::complex<double>> chirp_fft_;  // FFT_m of the conjugate chirp, zero-padded and wrapped

  void Radix2(std::complex<double>* data, int64_t len) const;
  void Direct(std::complex<double>* data, std::complex<double>* scratch) const;
};

}  // namespace onyx::mlas

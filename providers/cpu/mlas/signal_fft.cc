#include "mlas/signal_fft.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace onyx::mlas {
namespace {

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// Below this length an odd-sized transform is cheaper as a plain O(n^2) sum than through
// Bluestein's three power-of-two FFTs.
constexpr int64_t kDirectMaxLength = 64;

}  // namespace

FftPlan::FftPlan(int64_t n) : n_(n) {
  if (n <= 1) {
    kind_ = Kind::Trivial;
    return;
  }
  auto make_twiddles = [&](int64_t len) {
    twiddle_.resize(static_cast<size_t>(len));
    for (int64_t k = 0; k < len; ++k) {
      const double a = -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(len);
      twiddle_[k] = {std::cos(a), std::sin(a)};
    }
  };
  auto make_bitrev = [&](int64_t len) {
    bitrev_.resize(static_cast<size_t>(len));
    int bits = 0;
    while ((int64_t{1} << bits) < len) ++bits;
    for (int64_t i = 0; i < len; ++i) {
      int64_t r = 0;
      for (int b = 0; b < bits; ++b)
        if (i & (int64_t{1} << b)) r |= int64_t{1} << (bits - 1 - b);
      bitrev_[i] = r;
    }
  };
  if (IsPowerOfTwo(n)) {
    kind_ = Kind::Radix2;
    make_twiddles(n);
    make_bitrev(n);
    return;
  }
  if (n <= kDirectMaxLength) {
    kind_ = Kind::Direct;
    make_twiddles(n);
    return;
  }
  kind_ = Kind::Bluestein;
  m_ = 1;
  while (m_ < 2 * n - 1) m_ <<= 1;
  make_twiddles(m_);
  make_bitrev(m_);
  chirp_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    // k^2 mod 2n keeps the angle small so large k lose no precision.
    const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) % (2 * static_cast<uint64_t>(n)));
    const double a = -std::numbers::pi * static_cast<double>(k2) / static_cast<double>(n);
    chirp_[k] = {std::cos(a), std::sin(a)};
  }
  chirp_fft_.assign(static_cast<size_t>(m_), {0.0, 0.0});
  chirp_fft_[0] = std::conj(chirp_[0]);
  for (int64_t k = 1; k < n; ++k) chirp_fft_[k] = chirp_fft_[m_ - k] = std::conj(chirp_[k]);
  Radix2(chirp_fft_.data(), m_);
}

int64_t FftPlan::scratch_size() const {
  switch (kind_) {
    case Kind::Direct: return n_;
    case Kind::Bluestein: return m_;
    default: return 0;
  }
}

void FftPlan::Radix2(std::complex<double>* data, int64_t len) const {
  for (int64_t i = 0; i < len; ++i)
    if (i < bitrev_[i]) std::swap(data[i], data[bitrev_[i]]);
  // twiddle_ was built for length len (Radix2 and Bluestein both use their own power of two).
  for (int64_t half = 1; half < len; half <<= 1) {
    const int64_t step = len / (2 * half);
    for (int64_t start = 0; start < len; start += 2 * half) {
      for (int64_t j = 0; j < half; ++j) {
        const std::complex<double> w = twiddle_[j * step];
        const std::complex<double> t = w * data[start + j + half];
        data[start + j + half] = data[start + j] - t;
        data[start + j] += t;
      }
    }
  }
}

void FftPlan::Direct(std::complex<double>* data, std::complex<double>* scratch) const {
  for (int64_t k = 0; k < n_; ++k) {
    std::complex<double> acc{0.0, 0.0};
    int64_t idx = 0;
    for (int64_t t = 0; t < n_; ++t) {
      acc += data[t] * twiddle_[idx];
      idx += k;
      if (idx >= n_) idx -= n_;
    }
    scratch[k] = acc;
  }
  for (int64_t k = 0; k < n_; ++k) data[k] = scratch[k];
}

void FftPlan::Transform(std::complex<double>* data, bool inverse, std::complex<double>* scratch) const {
  if (kind_ == Kind::Trivial) return;
  // The inverse transform is conj(DFT(conj(x))), so only the forward kernels exist.
  if (inverse)
    for (int64_t i = 0; i < n_; ++i) data[i] = std::conj(data[i]);
  switch (kind_) {
    case Kind::Radix2: Radix2(data, n_); break;
    case Kind::Direct: Direct(data, scratch); break;
    case Kind::Bluestein: {
      for (int64_t k = 0; k < n_; ++k) scratch[k] = data[k] * chirp_[k];
      for (int64_t k = n_; k < m_; ++k) scratch[k] = {0.0, 0.0};
      Radix2(scratch, m_);
      for (int64_t k = 0; k < m_; ++k) scratch[k] *= chirp_fft_[k];
      // Inverse FFT of length m via the same conjugation identity.
      for (int64_t k = 0; k < m_; ++k) scratch[k] = std::conj(scratch[k]);
      Radix2(scratch, m_);
      const double scale = 1.0 / static_cast<double>(m_);
      for (int64_t k = 0; k < n_; ++k) data[k] = std::conj(scratch[k]) * scale * chirp_[k];
      break;
    }
    default: break;
  }
  if (inverse)
    for (int64_t i = 0; i < n_; ++i) data[i] = std::conj(data[i]);
}

}  // namespace onyx::mlas

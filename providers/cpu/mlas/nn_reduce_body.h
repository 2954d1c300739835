// Kernel bodies of nn_reduce.cc, written once over the vector traits `V` and compiled once per
// instruction set: nn_reduce.cc includes this file several times, each inside its own
// namespace with its own V (and, for AVX2, inside a target pragma). No include guard on purpose.

inline float SumMappedFinish(typename V::R a0, typename V::R a1, typename V::R a2, typename V::R a3) {
  a0 = V::Add(V::Add(a0, a1), V::Add(a2, a3));
  float lanes[16];
  V::ToArray(a0, lanes);
  float s = 0;
  for (int k = 0; k < V::kWidth; ++k) s += lanes[k];
  return s;
}

// Sum of op(x[i]) with four vector accumulators.
template <int kOp>  // 0: x, 1: x*x, 2: |x|, 3: (x-c)^2
inline float SumOf(const float* x, int64_t n, float c) {
  constexpr int W = V::kWidth;
  const typename V::R vc = V::Set(c);
  auto map = [&](typename V::R v, typename V::R a) {
    if constexpr (kOp == 0) return V::Add(v, a);
    if constexpr (kOp == 1) return V::MulAdd(v, v, a);
    if constexpr (kOp == 2) return V::Add(V::Abs(v), a);
    if constexpr (kOp == 3) {
      typename V::R d = V::Sub(v, vc);
      return V::MulAdd(d, d, a);
    }
  };
  typename V::R a0 = V::Zero(), a1 = V::Zero(), a2 = V::Zero(), a3 = V::Zero();
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    a0 = map(V::Load(x + i), a0);
    a1 = map(V::Load(x + i + W), a1);
    a2 = map(V::Load(x + i + 2 * W), a2);
    a3 = map(V::Load(x + i + 3 * W), a3);
  }
  for (; i + W <= n; i += W) a0 = map(V::Load(x + i), a0);
  float s = SumMappedFinish(a0, a1, a2, a3);
  for (; i < n; ++i) {
    const float v = x[i];
    if constexpr (kOp == 0) s += v;
    if constexpr (kOp == 1) s += v * v;
    if constexpr (kOp == 2) s += std::fabs(v);
    if constexpr (kOp == 3) s += (v - c) * (v - c);
  }
  return s;
}

template <bool kMax>
inline float Extreme(const float* x, int64_t n) {
  constexpr int W = V::kWidth;
  float m = x[0];
  int64_t i = 0;
  if (n >= 2 * W) {
    typename V::R a0 = V::Load(x), a1 = V::Load(x + W);
    for (i = 2 * W; i + 2 * W <= n; i += 2 * W) {
      if constexpr (kMax) {
        a0 = V::Max(a0, V::Load(x + i));
        a1 = V::Max(a1, V::Load(x + i + W));
      } else {
        a0 = V::Min(a0, V::Load(x + i));
        a1 = V::Min(a1, V::Load(x + i + W));
      }
    }
    a0 = kMax ? V::Max(a0, a1) : V::Min(a0, a1);
    float lanes[16];
    V::ToArray(a0, lanes);
    m = lanes[0];
    for (int k = 1; k < W; ++k) m = kMax ? std::max(m, lanes[k]) : std::min(m, lanes[k]);
  }
  for (; i < n; ++i) m = kMax ? std::max(m, x[i]) : std::min(m, x[i]);
  return m;
}

float Sum(const float* x, int64_t n) { return SumOf<0>(x, n, 0.0f); }
float SumSquares(const float* x, int64_t n) { return SumOf<1>(x, n, 0.0f); }
float SumAbs(const float* x, int64_t n) { return SumOf<2>(x, n, 0.0f); }
float SumSquaredDiff(const float* x, int64_t n, float c) { return SumOf<3>(x, n, c); }
float Max(const float* x, int64_t n) { return Extreme<true>(x, n); }
float Min(const float* x, int64_t n) { return Extreme<false>(x, n); }

void Normalize(const float* x, int64_t n, float mean, float inv_std, const float* scale, const float* bias,
               float* y) {
  constexpr int W = V::kWidth;
  const typename V::R vm = V::Set(mean), vs = V::Set(inv_std);
  int64_t i = 0;
  if (scale && bias) {
    for (; i + W <= n; i += W)
      V::Store(y + i, V::MulAdd(V::Mul(V::Sub(V::Load(x + i), vm), vs), V::Load(scale + i), V::Load(bias + i)));
  } else if (scale) {
    for (; i + W <= n; i += W) V::Store(y + i, V::Mul(V::Mul(V::Sub(V::Load(x + i), vm), vs), V::Load(scale + i)));
  } else if (bias) {
    for (; i + W <= n; i += W) V::Store(y + i, V::Add(V::Mul(V::Sub(V::Load(x + i), vm), vs), V::Load(bias + i)));
  } else {
    for (; i + W <= n; i += W) V::Store(y + i, V::Mul(V::Sub(V::Load(x + i), vm), vs));
  }
  for (; i < n; ++i) {
    float v = (x[i] - mean) * inv_std;
    if (scale) v *= scale[i];
    if (bias) v += bias[i];
    y[i] = v;
  }
}

void Affine(const float* x, int64_t n, float a, float b, float* y) {
  constexpr int W = V::kWidth;
  const typename V::R va = V::Set(a), vb = V::Set(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) V::Store(y + i, V::MulAdd(V::Load(x + i), va, vb));
  for (; i < n; ++i) y[i] = x[i] * a + b;
}

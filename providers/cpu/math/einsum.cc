// Einsum: explicit and implicit outputs, ellipsis (broadcast like numpy), repeated labels
// (diagonals), any number of inputs. Two-input float/double contractions run as a batched GEMM
// after permuting operands to [batch, M, K] x [batch, K, N]; everything else runs as a direct
// loop over output and summed indices.
#include <cstring>
#include <algorithm>
#include <cctype>

#include "math/math_kernels.h"
#include "mlas/gemm.h"

namespace onyx::math {

namespace {

// Labels: letters map to 0..51; ellipsis dims to 52 + i (i counted from the left of the
// broadest ellipsis).
constexpr int kEllipsisBase = 52;

struct Spec {
  std::vector<std::vector<int>> inputs;  // label per dim of each input
  std::vector<int> output;               // label per dim of the output
  std::vector<int64_t> dims;             // size of each label (indexed by label), -1 unused
};

int LabelOf(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -1;
}

Spec Parse(const std::string& raw, const std::vector<const Tensor*>& ins, const KernelContext& ctx) {
  std::string eq;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) eq += c;
  auto fail = [&](const std::string& why) { return ctx.MakeError(ErrorCode::InvalidArgument, "equation \"" + raw + "\": " + why); };
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  size_t start = 0;
  for (;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ins.size())
    throw fail("has " + std::to_string(terms.size()) + " operands but the node has " + std::to_string(ins.size()) + " inputs");

  // Letters and ellipsis of one term; returns the ellipsis rank it implies (-1 without one).
  auto split = [&](const std::string& t, int64_t rank, std::vector<int>& letters_before, std::vector<int>& letters_after) {
    size_t e = t.find("...");
    if (e != std::string::npos && t.find("...", e + 3) != std::string::npos) throw fail("more than one ellipsis in a term");
    auto letters = [&](const std::string& s, std::vector<int>& out) {
      for (char c : s) {
        int l = LabelOf(c);
        if (l < 0) throw fail(std::string("unexpected character '") + c + "'");
        out.push_back(l);
      }
    };
    if (e == std::string::npos) {
      letters(t, letters_before);
      return int64_t(-1);
    }
    letters(t.substr(0, e), letters_before);
    letters(t.substr(e + 3), letters_after);
    const int64_t er = rank - static_cast<int64_t>(letters_before.size() + letters_after.size());
    if (er < 0) throw fail("term \"" + t + "\" has more labels than its input has dims");
    return er;
  };

  Spec s;
  s.dims.assign(kEllipsisBase + 64, -1);
  std::vector<std::vector<int>> before(ins.size()), after(ins.size());
  std::vector<int64_t> erank(ins.size());
  int64_t max_er = 0;
  for (size_t k = 0; k < ins.size(); ++k) {
    erank[k] = split(terms[k], static_cast<int64_t>(ins[k]->rank()), before[k], after[k]);
    if (erank[k] < 0 && before[k].size() != ins[k]->rank())
      throw fail("term \"" + terms[k] + "\" has " + std::to_string(before[k].size()) + " labels but input " +
                 std::to_string(k) + " has rank " + std::to_string(ins[k]->rank()));
    max_er = std::max(max_er, erank[k]);
  }
  if (max_er > 64) throw fail("ellipsis covers too many dims");
  for (size_t k = 0; k < ins.size(); ++k) {
    std::vector<int>& labels = s.inputs.emplace_back(before[k]);
    for (int64_t i = 0; i < std::max<int64_t>(erank[k], 0); ++i)
      labels.push_back(kEllipsisBase + static_cast<int>(max_er - erank[k] + i));
    labels.insert(labels.end(), after[k].begin(), after[k].end());
    for (size_t d = 0; d < labels.size(); ++d) {
      const int l = labels[d];
      const int64_t n = ins[k]->dim(d);
      int64_t& cur = s.dims[l];
      if (cur < 0) {
        cur = n;
      } else if (cur != n) {
        // Ellipsis dims broadcast like numpy; letters must agree.
        if (l >= kEllipsisBase && (cur == 1 || n == 1)) cur = std::max(cur, n);
        else throw fail("a label has size " + std::to_string(cur) + " in one place and " + std::to_string(n) + " in input " + std::to_string(k));
      }
    }
  }
  std::vector<int> count(s.dims.size(), 0);
  for (const auto& labels : s.inputs)
    for (int l : labels) ++count[l];
  if (arrow == std::string::npos) {
    // Implicit output: ellipsis dims, then labels seen once, alphabetically (uppercase first as in numpy).
    for (int64_t i = 0; i < max_er; ++i) s.output.push_back(kEllipsisBase + static_cast<int>(i));
    std::vector<int> once;
    for (int l = 0; l < kEllipsisBase; ++l)
      if (count[l] == 1) once.push_back(l);
    std::sort(once.begin(), once.end(), [](int a, int b) { return (a >= 26 ? a - 26 : a + 26) < (b >= 26 ? b - 26 : b + 26); });
    s.output.insert(s.output.end(), once.begin(), once.end());
  } else {
    std::vector<int> b, a;
    const std::string rhs = eq.substr(arrow + 2);
    split(rhs, max_er + static_cast<int64_t>(rhs.size()), b, a);  // letters only; the rank is not checked
    s.output = b;
    // Ellipsis dims that the output omits are summed.
    if (rhs.find("...") != std::string::npos)
      for (int64_t i = 0; i < max_er; ++i) s.output.push_back(kEllipsisBase + static_cast<int>(i));
    s.output.insert(s.output.end(), a.begin(), a.end());
    std::vector<int> seen(s.dims.size(), 0);
    for (int l : s.output) {
      if (s.dims[l] < 0) throw fail("output label does not appear in any input");
      if (seen[l]++) throw fail("output repeats a label");
    }
  }
  return s;
}

// Copies x (shape `shape`) into a new contiguous layout whose dim i is x's dim perm[i].
template <typename T>
std::vector<T> Permute(const T* x, const std::vector<int64_t>& shape, const std::vector<size_t>& perm) {
  const size_t r = shape.size();
  std::vector<int64_t> in_strides(r, 1);
  for (size_t i = r; i-- > 1;) in_strides[i - 1] = in_strides[i] * shape[i];
  std::vector<int64_t> out_shape(r), strides(r);
  int64_t n = 1;
  for (size_t i = 0; i < r; ++i) {
    out_shape[i] = shape[perm[i]];
    strides[i] = in_strides[perm[i]];
    n *= out_shape[i];
  }
  std::vector<T> out(static_cast<size_t>(n));
  std::vector<int64_t> idx(r, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[static_cast<size_t>(i)] = x[off];
    for (size_t d = r; d-- > 0;) {
      off += strides[d];
      if (++idx[d] < out_shape[d]) break;
      off -= strides[d] * out_shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

// Direct evaluation: every output element sums the product of the inputs over the labels that
// the output lacks. Repeated labels in an input walk its diagonal; broadcast dims stride 0.
template <typename T>
void Direct(const Spec& s, const std::vector<const Tensor*>& ins, Tensor& Y, ThreadPool* pool) {
  using C = ComputeT<T>;
  std::vector<int> sum_labels;
  std::vector<bool> in_out(s.dims.size(), false);
  for (int l : s.output) in_out[l] = true;
  std::vector<bool> seen(s.dims.size(), false);
  for (const auto& labels : s.inputs)
    for (int l : labels)
      if (!in_out[l] && !seen[l]) {
        seen[l] = true;
        sum_labels.push_back(l);
      }
  const size_t nin = ins.size();
  // Per input: stride per output label and per summed label.
  std::vector<std::vector<int64_t>> out_strides(nin, std::vector<int64_t>(s.output.size(), 0));
  std::vector<std::vector<int64_t>> sum_strides(nin, std::vector<int64_t>(sum_labels.size(), 0));
  for (size_t k = 0; k < nin; ++k) {
    const auto& labels = s.inputs[k];
    int64_t stride = 1;
    for (size_t d = labels.size(); d-- > 0;) {
      const int64_t n = ins[k]->dim(d);
      if (n != 1 || s.dims[labels[d]] == 1) {
        for (size_t j = 0; j < s.output.size(); ++j)
          if (s.output[j] == labels[d]) out_strides[k][j] += stride;
        for (size_t j = 0; j < sum_labels.size(); ++j)
          if (sum_labels[j] == labels[d]) sum_strides[k][j] += stride;
      }
      stride *= n;
    }
  }
  std::vector<int64_t> sum_dims;
  int64_t sum_n = 1;
  for (int l : sum_labels) {
    sum_dims.push_back(s.dims[l]);
    sum_n *= s.dims[l];
  }
  const int64_t out_n = Y.size();
  T* y = Y.data<T>();
  ParallelFor(pool, out_n, static_cast<double>(sum_n) * static_cast<double>(nin) * 2, [&](int64_t o0, int64_t o1) {
    std::vector<int64_t> base(nin), off(nin), idx(sum_dims.size());
    for (int64_t o = o0; o < o1; ++o) {
      int64_t rem = o;
      std::fill(base.begin(), base.end(), 0);
      for (size_t j = s.output.size(); j-- > 0;) {
        const int64_t n = s.dims[s.output[j]];
        const int64_t c = rem % n;
        rem /= n;
        for (size_t k = 0; k < nin; ++k) base[k] += c * out_strides[k][j];
      }
      off = base;
      std::fill(idx.begin(), idx.end(), 0);
      C acc = C(0);
      for (int64_t t = 0; t < sum_n; ++t) {
        C p = Elem<T>::Load(ins[0]->data<T>()[off[0]]);
        for (size_t k = 1; k < nin; ++k) p = WrapMul(p, static_cast<C>(Elem<T>::Load(ins[k]->data<T>()[off[k]])));
        acc = WrapAdd(acc, p);
        for (size_t j = sum_dims.size(); j-- > 0;) {
          for (size_t k = 0; k < nin; ++k) off[k] += sum_strides[k][j];
          if (++idx[j] < sum_dims[j]) break;
          for (size_t k = 0; k < nin; ++k) off[k] -= sum_strides[k][j] * sum_dims[j];
          idx[j] = 0;
        }
      }
      y[o] = Elem<T>::Store(acc);
    }
  });
}

// Two operands, no repeated or broadcast labels, every label shared or kept: a batched GEMM.
template <typename T>
bool TryGemm(const Spec& s, const std::vector<const Tensor*>& ins, Tensor& Y, ThreadPool* pool) {
  if (ins.size() != 2) return false;
  const auto& la = s.inputs[0];
  const auto& lb = s.inputs[1];
  auto has = [](const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); };
  for (size_t k = 0; k < 2; ++k) {
    const auto& labels = s.inputs[k];
    for (size_t d = 0; d < labels.size(); ++d) {
      if (std::count(labels.begin(), labels.end(), labels[d]) != 1) return false;
      if (ins[k]->dim(d) != s.dims[labels[d]]) return false;
    }
  }
  std::vector<int> batch, m, n, kk;
  for (int l : s.output) {
    const bool a = has(la, l), b = has(lb, l);
    if (a && b) batch.push_back(l);
    else if (a) m.push_back(l);
    else n.push_back(l);
  }
  for (int l : la) {
    if (has(s.output, l)) continue;
    if (!has(lb, l)) return false;  // summed within A alone
    kk.push_back(l);
  }
  for (int l : lb)
    if (!has(s.output, l) && !has(la, l)) return false;
  auto prod = [&](const std::vector<int>& ls) {
    int64_t p = 1;
    for (int l : ls) p *= s.dims[l];
    return p;
  };
  const int64_t NB = prod(batch), M = prod(m), N = prod(n), K = prod(kk);
  auto perm_of = [](const std::vector<int>& labels, std::initializer_list<const std::vector<int>*> groups) {
    std::vector<size_t> perm;
    for (const auto* g : groups)
      for (int l : *g) perm.push_back(static_cast<size_t>(std::find(labels.begin(), labels.end(), l) - labels.begin()));
    return perm;
  };
  const std::vector<T> a = Permute(ins[0]->data<T>(), ins[0]->shape(), perm_of(la, {&batch, &m, &kk}));
  const std::vector<T> b = Permute(ins[1]->data<T>(), ins[1]->shape(), perm_of(lb, {&batch, &kk, &n}));
  std::vector<T> c(static_cast<size_t>(NB * M * N));
  for (int64_t i = 0; i < NB; ++i) {
    if constexpr (std::is_same_v<T, float>)
      mlas::Sgemm(false, false, M, N, K, 1.f, a.data() + i * M * K, K, b.data() + i * K * N, N, 0.f, c.data() + i * M * N, N, pool);
    else
      mlas::Dgemm(false, false, M, N, K, 1.0, a.data() + i * M * K, K, b.data() + i * K * N, N, 0.0, c.data() + i * M * N, N, pool);
  }
  // c is laid out [batch, m, n]; the output order is s.output.
  std::vector<int> c_labels = batch;
  c_labels.insert(c_labels.end(), m.begin(), m.end());
  c_labels.insert(c_labels.end(), n.begin(), n.end());
  std::vector<int64_t> c_shape;
  for (int l : c_labels) c_shape.push_back(s.dims[l]);
  std::vector<size_t> perm;
  for (int l : s.output) perm.push_back(static_cast<size_t>(std::find(c_labels.begin(), c_labels.end(), l) - c_labels.begin()));
  const std::vector<T> out = Permute(c.data(), c_shape, perm);
  std::copy(out.begin(), out.end(), Y.data<T>());
  return true;
}

class EinsumKernel final : public OpKernel {
 public:
  explicit EinsumKernel(const KernelInfo& info) : equation_(info.Require("equation", Attribute::Type::String).s) {}
  void Compute(KernelContext& ctx) const override {
    std::vector<const Tensor*> ins;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      ins.push_back(&ctx.Input(i));
      CheckSameType(ctx, 0, i);
    }
    if (ins.empty()) throw ctx.MakeError(ErrorCode::InvalidArgument, "needs at least one input");
    const Spec s = Parse(equation_, ins, ctx);
    std::vector<int64_t> out_shape;
    for (int l : s.output) out_shape.push_back(s.dims[l]);
    Dispatch<kNumeric>(ins[0]->dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, ins[0]->dtype(), out_shape);
      if (Y.size() == 0) return;
      for (const Tensor* t : ins)
        if (t->size() == 0) {  // empty sums are zero
          std::memset(Y.raw_data(), 0, Y.nbytes());
          return;
        }
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (TryGemm<T>(s, ins, Y, ctx.thread_pool())) return;
      }
      Direct<T>(s, ins, Y, ctx.thread_pool());
    });
  }

 private:
  std::string equation_;
};

}  // namespace

void RegisterEinsumKernels(KernelRegistry& r) { RegisterOp<EinsumKernel>(r, "Einsum", kNumeric, 12); }

}  // namespace onyx::math

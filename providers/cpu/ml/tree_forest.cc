// The decision forest shared by the tree-ensemble kernels: checking it once at kernel creation,
// walking it per row, aggregating leaf votes and the post transforms of the ai.onnx.ml ops.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/memory_limits.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {

std::vector<double> TensorToDoubles(const KernelInfo& info, const Tensor& t, const std::string& what) {
  std::vector<double> v(static_cast<size_t>(t.size()));
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DataType::Float: v[i] = t.data<float>()[i]; break;
      case DataType::Double: v[i] = t.data<double>()[i]; break;
      case DataType::Float16: v[i] = HalfToFloat(t.data<uint16_t>()[i]); break;
      case DataType::BFloat16: v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]); break;
      case DataType::UInt8: v[i] = t.data<uint8_t>()[i]; break;
      case DataType::Int8: v[i] = t.data<int8_t>()[i]; break;
      case DataType::Int32: v[i] = t.data<int32_t>()[i]; break;
      case DataType::Int64: v[i] = static_cast<double>(t.data<int64_t>()[i]); break;
      default:
        throw info.MakeError(ErrorCode::InvalidGraph, what + " is a " + DataTypeName(t.dtype()) + " tensor; expected a numeric one");
    }
  }
  return v;
}

void RowToDoubles(const Tensor& x, int64_t offset, int64_t count, double* out) {
  for (int64_t i = 0; i < count; ++i) {
    const int64_t k = offset + i;
    switch (x.dtype()) {
      case DataType::Float: out[i] = x.data<float>()[k]; break;
      case DataType::Double: out[i] = x.data<double>()[k]; break;
      case DataType::Float16: out[i] = HalfToFloat(x.data<uint16_t>()[k]); break;
      case DataType::BFloat16: out[i] = BFloat16ToFloat(x.data<uint16_t>()[k]); break;
      case DataType::Int32: out[i] = x.data<int32_t>()[k]; break;
      case DataType::Int64: out[i] = static_cast<double>(x.data<int64_t>()[k]); break;
      default: out[i] = 0; break;  // kernels check the input type before reading rows
    }
  }
}

PostTransform ParsePostTransform(const KernelInfo& info, const std::string& s) {
  if (s == "NONE") return PostTransform::None;
  if (s == "SOFTMAX") return PostTransform::Softmax;
  if (s == "LOGISTIC") return PostTransform::Logistic;
  if (s == "SOFTMAX_ZERO") return PostTransform::SoftmaxZero;
  if (s == "PROBIT") return PostTransform::Probit;
  throw info.MakeError(ErrorCode::InvalidGraph, "post_transform '" + s + "' is not one of NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT");
}

double Logistic(double v) {
  // Split by sign so that exp never overflows.
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

// onnxruntime's approximation of sqrt(2) * erfinv(2v - 1) (Winitzki), kept so that scores match
// the runtime the converters validate against. v = 0 and v = 1 give -inf and +inf, never NaN.
double Probit(double v) {
  float x = static_cast<float>(v) * 2.0f - 1.0f;
  const float sgn = x < 0 ? -1.0f : 1.0f;
  x = (1 - x) * (1 + x);
  const float lg = std::log(x);
  const float a = 2 / (3.14159f * 0.147f) + 0.5f * lg;
  const float b = 1 / 0.147f * lg;
  const float c = -a + std::sqrt(a * a - b);
  return 1.41421356f * sgn * std::sqrt(c);
}

void ApplyPostTransform(PostTransform pt, double* s, int64_t n) {
  if (n <= 0) return;
  switch (pt) {
    case PostTransform::None: return;
    case PostTransform::Logistic:
      for (int64_t i = 0; i < n; ++i) s[i] = Logistic(s[i]);
      return;
    case PostTransform::Probit:
      for (int64_t i = 0; i < n; ++i) s[i] = Probit(s[i]);
      return;
    case PostTransform::Softmax:
    case PostTransform::SoftmaxZero: {
      const bool skip_zero = pt == PostTransform::SoftmaxZero;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t i = 0; i < n; ++i) mx = std::max(mx, s[i]);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (skip_zero && s[i] == 0) continue;
        s[i] = std::exp(s[i] - mx);
        sum += s[i];
      }
      if (sum == 0 || std::isnan(sum)) return;
      for (int64_t i = 0; i < n; ++i) s[i] /= sum;
      return;
    }
  }
}

void TreeForest::Validate(const KernelInfo& info) {
  const int64_t nb = static_cast<int64_t>(branches.size());
  const int64_t nl = num_leaves();
  auto check_ref = [&](int64_t ref, const std::string& where) {
    if (ref >= nb || (ref < 0 && ~ref >= nl))
      throw info.MakeError(ErrorCode::InvalidGraph, where + " refers to " + (ref >= 0 ? "node " + std::to_string(ref) : "leaf " + std::to_string(~ref)) +
                                                        " but there are " + std::to_string(nb) + " nodes and " + std::to_string(nl) + " leaves");
  };
  if (roots.empty()) throw info.MakeError(ErrorCode::InvalidGraph, "the ensemble has no tree");
  if (n_targets <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "n_targets must be positive, got " + std::to_string(n_targets));
  CheckAllocationSize(n_targets, sizeof(double), "the scores of n_targets");  // kernels keep one row of scores
  for (size_t t = 0; t < roots.size(); ++t) check_ref(roots[t], "the root of tree " + std::to_string(t));
  num_features = 0;
  for (int64_t i = 0; i < nb; ++i) {
    const Branch& b = branches[i];
    check_ref(b.true_child, "the true branch of node " + std::to_string(i));
    check_ref(b.false_child, "the false branch of node " + std::to_string(i));
    if (b.feature < 0 || b.feature >= (int64_t{1} << 40))
      throw info.MakeError(ErrorCode::InvalidGraph, "node " + std::to_string(i) + " reads feature " + std::to_string(b.feature));
    num_features = std::max(num_features, b.feature + 1);
  }
  for (const Vote& v : votes)
    if (v.target < 0 || v.target >= n_targets)
      throw info.MakeError(ErrorCode::InvalidGraph, "a leaf votes for target " + std::to_string(v.target) + " but there are " +
                                                        std::to_string(n_targets) + " targets");
  // Cycle check: iterative depth-first search from every root; reaching a node that is still on
  // the current path means a tree loops. Shared subtrees (a DAG) are fine.
  std::vector<uint8_t> state(static_cast<size_t>(nb), 0);  // 0 unseen, 1 on the path, 2 done
  std::vector<std::pair<int64_t, int>> stack;
  for (int64_t root : roots) {
    if (root < 0 || state[root] == 2) continue;
    stack.push_back({root, 0});
    state[root] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == 2) {
        state[node] = 2;
        stack.pop_back();
        continue;
      }
      const int64_t child = next == 0 ? branches[node].true_child : branches[node].false_child;
      ++next;
      if (child < 0 || state[child] == 2) continue;
      if (state[child] == 1)
        throw info.MakeError(ErrorCode::InvalidGraph, "node " + std::to_string(node) + " leads back to node " + std::to_string(child) +
                                                          ": the tree has a cycle");
      state[child] = 1;
      stack.push_back({child, 0});
    }
  }
}

int64_t TreeForest::LeafOf(int64_t ref, const double* row) const {
  // Validate() proved the trees acyclic, so a path visits each branch at most once.
  for (size_t steps = 0; ref >= 0 && steps <= branches.size(); ++steps) {
    const Branch& b = branches[ref];
    const double x = row[b.feature];
    bool go_true;
    if (std::isnan(x) && b.missing_tracks_true) {
      go_true = true;
    } else {
      switch (b.mode) {
        case NodeMode::Leq: go_true = x <= b.value; break;
        case NodeMode::Lt: go_true = x < b.value; break;
        case NodeMode::Gte: go_true = x >= b.value; break;
        case NodeMode::Gt: go_true = x > b.value; break;
        case NodeMode::Eq: go_true = x == b.value; break;
        case NodeMode::Neq: go_true = x != b.value; break;
        case NodeMode::Member:
          go_true = !std::isnan(x) && std::binary_search(members.begin() + b.members_begin, members.begin() + b.members_end, x);
          break;
        default: go_true = false;
      }
    }
    ref = go_true ? b.true_child : b.false_child;
  }
  return ref < 0 ? ~ref : 0;
}

void TreeForest::Accumulate(const double* row, Aggregate agg, double* scores, unsigned char* has) const {
  std::fill(scores, scores + n_targets, 0.0);
  std::fill(has, has + n_targets, 0);
  for (int64_t root : roots) {
    const int64_t leaf = LeafOf(root, row);
    for (int64_t k = leaf_votes_begin[leaf]; k < leaf_votes_begin[leaf + 1]; ++k) {
      const Vote& v = votes[k];
      double& s = scores[v.target];
      if (!has[v.target]) s = v.weight;
      else if (agg == Aggregate::Min) s = std::min(s, v.weight);
      else if (agg == Aggregate::Max) s = std::max(s, v.weight);
      else s += v.weight;
      has[v.target] = 1;
    }
  }
  if (agg == Aggregate::Average)
    for (int64_t t = 0; t < n_targets; ++t) scores[t] /= static_cast<double>(roots.size());
}

}  // namespace onyx::ml

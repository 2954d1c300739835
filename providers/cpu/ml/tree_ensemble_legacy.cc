// ai.onnx.ml TreeEnsembleRegressor and TreeEnsembleClassifier (opsets 1 and 3): nodes are named
// by (tree id, node id) and leaves by their LEAF mode; votes name the leaf they belong to. Both
// are turned into the TreeForest that TreeEnsemble-5 uses, so the walk is shared.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

// `name` as doubles: the float list, or `name`_as_tensor (opset 3, double precision).
std::vector<double> FloatsOrTensor(const KernelInfo& info, const std::string& name) {
  if (const Tensor* t = info.GetTensor(name + "_as_tensor")) {
    if (info.HasAttribute(name)) throw info.MakeError(ErrorCode::InvalidGraph, "only one of " + name + " and " + name + "_as_tensor may be given");
    return TensorToDoubles(info, *t, name + "_as_tensor");
  }
  const std::vector<float> f = info.GetFloats(name);
  return std::vector<double>(f.begin(), f.end());
}

void CheckLength(const KernelInfo& info, const std::string& name, size_t len, size_t expected, const std::string& of) {
  if (len != expected)
    throw info.MakeError(ErrorCode::InvalidGraph, name + " has " + std::to_string(len) + " values but " + of + " has " + std::to_string(expected));
}

Aggregate ParseAggregate(const KernelInfo& info, const std::string& s) {
  if (s == "SUM") return Aggregate::Sum;
  if (s == "AVERAGE") return Aggregate::Average;
  if (s == "MIN") return Aggregate::Min;
  if (s == "MAX") return Aggregate::Max;
  throw info.MakeError(ErrorCode::InvalidGraph, "aggregate_function '" + s + "' is not one of AVERAGE, SUM, MIN, MAX");
}

// Builds the forest from nodes_* and the votes <prefix>_treeids/_nodeids/_ids/_weights.
TreeForest BuildForest(const KernelInfo& info, const std::string& prefix, int64_t n_targets) {
  const std::vector<int64_t> tree_ids = info.GetInts("nodes_treeids"), node_ids = info.GetInts("nodes_nodeids");
  const std::vector<int64_t> features = info.GetInts("nodes_featureids");
  const std::vector<std::string> modes = info.GetStrings("nodes_modes");
  const std::vector<double> values = FloatsOrTensor(info, "nodes_values");
  const std::vector<int64_t> true_ids = info.GetInts("nodes_truenodeids"), false_ids = info.GetInts("nodes_falsenodeids");
  const std::vector<int64_t> missing = info.GetInts("nodes_missing_value_tracks_true");
  const size_t n = tree_ids.size();
  if (n == 0) throw info.MakeError(ErrorCode::InvalidGraph, "nodes_treeids is empty: the ensemble has no nodes");
  CheckLength(info, "nodes_nodeids", node_ids.size(), n, "nodes_treeids");
  CheckLength(info, "nodes_featureids", features.size(), n, "nodes_treeids");
  CheckLength(info, "nodes_modes", modes.size(), n, "nodes_treeids");
  CheckLength(info, "nodes_values", values.size(), n, "nodes_treeids");
  CheckLength(info, "nodes_truenodeids", true_ids.size(), n, "nodes_treeids");
  CheckLength(info, "nodes_falsenodeids", false_ids.size(), n, "nodes_treeids");
  if (!missing.empty()) CheckLength(info, "nodes_missing_value_tracks_true", missing.size(), n, "nodes_treeids");
  const std::vector<double> hitrates = FloatsOrTensor(info, "nodes_hitrates");
  if (!hitrates.empty()) CheckLength(info, "nodes_hitrates", hitrates.size(), n, "nodes_treeids");

  std::map<std::pair<int64_t, int64_t>, size_t> position;
  std::vector<int64_t> ref(n);  // the forest reference of each node
  int64_t branches = 0, leaves = 0;
  std::vector<NodeMode> mode(n);
  for (size_t i = 0; i < n; ++i) {
    if (!position.emplace(std::make_pair(tree_ids[i], node_ids[i]), i).second)
      throw info.MakeError(ErrorCode::InvalidGraph, "tree " + std::to_string(tree_ids[i]) + " has node id " + std::to_string(node_ids[i]) + " twice");
    static const std::pair<const char*, NodeMode> kModes[] = {{"BRANCH_LEQ", NodeMode::Leq}, {"BRANCH_LT", NodeMode::Lt},
                                                              {"BRANCH_GTE", NodeMode::Gte}, {"BRANCH_GT", NodeMode::Gt},
                                                              {"BRANCH_EQ", NodeMode::Eq},   {"BRANCH_NEQ", NodeMode::Neq}};
    if (modes[i] == "LEAF") {
      ref[i] = ~leaves++;
      continue;
    }
    const auto* m = std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& p) { return modes[i] == p.first; });
    if (m == std::end(kModes))
      throw info.MakeError(ErrorCode::InvalidGraph, "nodes_modes[" + std::to_string(i) + "] is '" + modes[i] + "'; expected BRANCH_LEQ, BRANCH_LT, "
                                                    "BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ or LEAF");
    mode[i] = m->second;
    ref[i] = branches++;
  }
  auto lookup = [&](int64_t tree, int64_t node, const std::string& where) -> size_t {
    auto it = position.find({tree, node});
    if (it == position.end())
      throw info.MakeError(ErrorCode::InvalidGraph, where + " refers to node " + std::to_string(node) + " of tree " + std::to_string(tree) +
                                                        ", which does not exist");
    return it->second;
  };

  TreeForest f;
  f.n_targets = n_targets;
  f.branches.reserve(static_cast<size_t>(branches));
  for (size_t i = 0; i < n; ++i) {
    if (ref[i] < 0) continue;
    TreeForest::Branch b;
    b.feature = features[i];
    b.value = values[i];
    b.mode = mode[i];
    b.missing_tracks_true = !missing.empty() && missing[i] != 0;
    b.true_child = ref[lookup(tree_ids[i], true_ids[i], "nodes_truenodeids[" + std::to_string(i) + "]")];
    b.false_child = ref[lookup(tree_ids[i], false_ids[i], "nodes_falsenodeids[" + std::to_string(i) + "]")];
    f.branches.push_back(b);
  }

  const std::vector<int64_t> vote_trees = info.GetInts(prefix + "_treeids"), vote_nodes = info.GetInts(prefix + "_nodeids");
  const std::vector<int64_t> vote_ids = info.GetInts(prefix + "_ids");
  const std::vector<double> weights = FloatsOrTensor(info, prefix + "_weights");
  CheckLength(info, prefix + "_nodeids", vote_nodes.size(), vote_trees.size(), prefix + "_treeids");
  CheckLength(info, prefix + "_ids", vote_ids.size(), vote_trees.size(), prefix + "_treeids");
  CheckLength(info, prefix + "_weights", weights.size(), vote_trees.size(), prefix + "_treeids");
  std::vector<std::vector<TreeForest::Vote>> by_leaf(static_cast<size_t>(leaves));
  for (size_t j = 0; j < vote_trees.size(); ++j) {
    const std::string where = prefix + "_nodeids[" + std::to_string(j) + "]";
    const int64_t r = ref[lookup(vote_trees[j], vote_nodes[j], where)];
    if (r >= 0) throw info.MakeError(ErrorCode::InvalidGraph, where + " names a branch node; votes belong to LEAF nodes");
    by_leaf[~r].push_back({vote_ids[j], weights[j]});
  }
  for (const auto& votes : by_leaf) {
    f.votes.insert(f.votes.end(), votes.begin(), votes.end());
    f.leaf_votes_begin.push_back(static_cast<int64_t>(f.votes.size()));
  }
  // One tree per tree id, in order of first appearance, rooted at its node 0.
  std::set<int64_t> seen;
  for (size_t i = 0; i < n; ++i)
    if (seen.insert(tree_ids[i]).second) f.roots.push_back(ref[lookup(tree_ids[i], 0, "tree " + std::to_string(tree_ids[i]) + "'s root")]);
  f.Validate(info);
  return f;
}

// Rows of X ([N, F] or one row [F]) as doubles.
void CheckInput(const KernelContext& ctx, const Tensor& x, const TreeForest& f, int64_t& rows, int64_t& cols) {
  const DataType dt = x.dtype();
  if (dt != DataType::Float && dt != DataType::Double && dt != DataType::Int64 && dt != DataType::Int32)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float, double, int64 or int32, got ") + DataTypeName(dt));
  if (x.rank() == 1) {
    rows = 1;
    cols = x.dim(0);
  } else if (x.rank() == 2) {
    rows = x.dim(0);
    cols = x.dim(1);
  } else {
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 1-D or 2-D, got " + ShapeToString(x.shape()));
  }
  if (rows > 0 && cols < f.num_features)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X has " + std::to_string(cols) + " features but the trees read feature " +
                                                        std::to_string(f.num_features - 1));
}

class TreeEnsembleRegressorKernel : public OpKernel {
 public:
  explicit TreeEnsembleRegressorKernel(const KernelInfo& info)
      : forest_(BuildForest(info, "target", info.GetInt("n_targets", 1))),
        aggregate_(ParseAggregate(info, info.GetString("aggregate_function", "SUM"))),
        post_transform_(ParsePostTransform(info, info.GetString("post_transform", "NONE"))),
        base_values_(FloatsOrTensor(info, "base_values")) {
    if (!base_values_.empty()) CheckLength(info, "base_values", base_values_.size(), static_cast<size_t>(forest_.n_targets), "n_targets");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    int64_t rows = 0, cols = 0;
    CheckInput(ctx, x, forest_, rows, cols);
    const int64_t nt = forest_.n_targets;
    Tensor& y = ctx.Output(0, DataType::Float, {rows, nt});
    ParallelFor(ctx.thread_pool(), rows, forest_.RowCost(), [&](int64_t r0, int64_t r1) {
      std::vector<double> row(static_cast<size_t>(cols)), scores(static_cast<size_t>(nt));
      std::vector<unsigned char> has(static_cast<size_t>(nt));
      for (int64_t r = r0; r < r1; ++r) {
        RowToDoubles(x, r * cols, cols, row.data());
        forest_.Accumulate(row.data(), aggregate_, scores.data(), has.data());
        for (size_t t = 0; t < base_values_.size(); ++t) scores[t] += base_values_[t];
        ApplyPostTransform(post_transform_, scores.data(), nt);
        for (int64_t t = 0; t < nt; ++t) y.data<float>()[r * nt + t] = static_cast<float>(scores[t]);
      }
    });
  }

 private:
  TreeForest forest_;
  Aggregate aggregate_;
  PostTransform post_transform_;
  std::vector<double> base_values_;
};

size_t CountLabels(const KernelInfo& info) {
  const size_t s = info.GetStrings("classlabels_strings").size(), i = info.GetInts("classlabels_int64s").size();
  if ((s == 0) == (i == 0)) throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of classlabels_strings and classlabels_int64s must be given");
  return s + i;
}

// Scores and labels follow onnxruntime, including its two-class conventions: with two labels and
// votes for one class only, that class's score decides (above 0.5 for non-negative weights,
// above 0 otherwise) and the second column is derived from the first.
class TreeEnsembleClassifierKernel : public OpKernel {
 public:
  explicit TreeEnsembleClassifierKernel(const KernelInfo& info)
      : forest_(BuildForest(info, "class", static_cast<int64_t>(CountLabels(info)))),
        post_transform_(ParsePostTransform(info, info.GetString("post_transform", "NONE"))),
        base_values_(FloatsOrTensor(info, "base_values")),
        string_labels_(info.GetStrings("classlabels_strings")),
        int_labels_(info.GetInts("classlabels_int64s")) {
    std::set<int64_t> classes;
    for (const TreeForest::Vote& v : forest_.votes) {
      classes.insert(v.target);
      if (v.weight < 0) all_positive_ = false;
    }
    binary_ = forest_.n_targets == 2 && classes.size() == 1;
    if (base_values_.size() > static_cast<size_t>(forest_.n_targets))
      throw info.MakeError(ErrorCode::InvalidGraph, "base_values has " + std::to_string(base_values_.size()) + " values but there are " +
                                                        std::to_string(forest_.n_targets) + " classes");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    int64_t rows = 0, cols = 0;
    CheckInput(ctx, x, forest_, rows, cols);
    const int64_t nc = forest_.n_targets;
    Tensor& labels = ctx.Output(0, string_labels_.empty() ? DataType::Int64 : DataType::String, {rows});
    Tensor& z = ctx.Output(1, DataType::Float, {rows, nc});
    ParallelFor(ctx.thread_pool(), rows, forest_.RowCost(), [&](int64_t r0, int64_t r1) {
      std::vector<double> row(static_cast<size_t>(cols)), scores(static_cast<size_t>(nc));
      std::vector<unsigned char> has(static_cast<size_t>(nc));
      for (int64_t r = r0; r < r1; ++r) {
        RowToDoubles(x, r * cols, cols, row.data());
        forest_.Accumulate(row.data(), Aggregate::Sum, scores.data(), has.data());
        int64_t label = 0, written = nc;
        if (nc == 2) label = TwoClasses(scores, has, written);
        else label = ManyClasses(scores, has);
        if (string_labels_.empty()) labels.data<int64_t>()[r] = int_labels_[label];
        else labels.data<std::string>()[r] = string_labels_[label];
        for (int64_t c = 0; c < written; ++c) z.data<float>()[r * nc + c] = static_cast<float>(scores[c]);
      }
    });
  }

 private:
  int64_t ManyClasses(std::vector<double>& scores, std::vector<unsigned char>& has) const {
    for (size_t c = 0; c < base_values_.size(); ++c) {
      scores[c] += base_values_[c];
      has[c] = 1;
    }
    int64_t best = -1;
    for (size_t c = 0; c < scores.size(); ++c)
      if (has[c] && (best < 0 || scores[c] > scores[best])) best = static_cast<int64_t>(c);
    ApplyPostTransform(post_transform_, scores.data(), static_cast<int64_t>(scores.size()));
    return best < 0 ? 0 : best;
  }

  int64_t TwoClasses(std::vector<double>& s, std::vector<unsigned char>& has, int64_t& written) const {
    int64_t n = 2;
    if (base_values_.size() == 2) {
      if (has[1]) {
        // onnxruntime computes base_values[1] + score[0] here, dropping class 1's votes; onyx
        // adds the base value to class 1's own score.
        s[1] += base_values_[1];
        s[0] = -s[1];
        has[0] = 1;
      } else {
        s[0] += base_values_[0];
        s[1] += base_values_[1];
      }
    } else if (base_values_.size() == 1) {
      s[0] += base_values_[0];
      if (!has[1]) n = 1;
    } else if (!has[1]) {
      n = 1;
    }
    const double positive = has[1] ? s[1] : (has[0] ? s[0] : 0.0);
    int64_t label;
    int second;  // how the second score derives from the first when only one was computed
    if (binary_ && all_positive_) {
      label = positive > 0.5 ? 1 : 0;
      second = 0;
    } else {
      label = positive > 0 ? 1 : 0;
      second = 1;
    }
    if (n == 2) {
      ApplyPostTransform(post_transform_, s.data(), 2);
    } else if (post_transform_ == PostTransform::Probit) {
      s[0] = Probit(s[0]);
      written = 1;
    } else if (!binary_ && !base_values_.empty()) {
      written = 1;  // onnxruntime writes the one score it has
    } else if (second == 0) {
      s[1] = s[0];
      s[0] = 1 - s[0];
    } else if (post_transform_ == PostTransform::Logistic) {
      s[1] = Logistic(s[0]);
      s[0] = Logistic(-s[0]);
    } else {
      s[1] = s[0];
      s[0] = -s[0];
    }
    return label;
  }

  TreeForest forest_;
  PostTransform post_transform_;
  std::vector<double> base_values_;
  std::vector<std::string> string_labels_;
  std::vector<int64_t> int_labels_;
  bool binary_ = false;
  bool all_positive_ = true;
};

}  // namespace

void RegisterTreeEnsembleLegacyKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Int64, DataType::Int32};
  r.Register({kCpuProvider, "ai.onnx.ml", "TreeEnsembleRegressor", 1, INT64_MAX, types, MakeFactory<TreeEnsembleRegressorKernel>()});
  r.Register({kCpuProvider, "ai.onnx.ml", "TreeEnsembleClassifier", 1, INT64_MAX, types, MakeFactory<TreeEnsembleClassifierKernel>()});
}

}  // namespace onyx::ml

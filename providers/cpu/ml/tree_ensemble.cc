// ai.onnx.ml TreeEnsemble (opset 5): nodes index one flat array, each child is either a node or
// a leaf (nodes_trueleafs/nodes_falseleafs), leaves carry one (target, weight) vote each, and
// BRANCH_MEMBER nodes take their sets, in node order, from NaN-delimited membership_values.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "ml/ml_common.h"

namespace onyx::ml {
namespace {

const Tensor& RequireTensorAttr(const KernelInfo& info, const std::string& name) {
  const Tensor* t = info.GetTensor(name);
  if (!t) throw info.MakeError(ErrorCode::InvalidGraph, "attribute " + name + " (a tensor) is required");
  return *t;
}

class TreeEnsembleKernel : public OpKernel {
 public:
  explicit TreeEnsembleKernel(const KernelInfo& info) {
    const std::vector<int64_t> features = info.GetInts("nodes_featureids");
    const size_t n = features.size();
    const Tensor& split_tensor = RequireTensorAttr(info, "nodes_splits");
    split_type_ = split_tensor.dtype();
    if (split_type_ != DataType::Float && split_type_ != DataType::Double && split_type_ != DataType::Float16)
      throw info.MakeError(ErrorCode::InvalidGraph, std::string("nodes_splits must be float, double or float16, got ") + DataTypeName(split_type_));
    const std::vector<double> splits = TensorToDoubles(info, split_tensor, "nodes_splits");
    const std::vector<double> modes = TensorToDoubles(info, RequireTensorAttr(info, "nodes_modes"), "nodes_modes");
    const std::vector<int64_t> true_ids = info.GetInts("nodes_truenodeids"), false_ids = info.GetInts("nodes_falsenodeids");
    const std::vector<int64_t> true_leafs = info.GetInts("nodes_trueleafs"), false_leafs = info.GetInts("nodes_falseleafs");
    const std::vector<int64_t> missing = info.GetInts("nodes_missing_value_tracks_true");
    const std::vector<int64_t> leaf_targets = info.GetInts("leaf_targetids");
    const std::vector<double> leaf_weights = TensorToDoubles(info, RequireTensorAttr(info, "leaf_weights"), "leaf_weights");
    const std::vector<int64_t> tree_roots = info.GetInts("tree_roots");
    auto same_length = [&](const std::string& name, size_t len, size_t expected, const std::string& of) {
      if (len != expected)
        throw info.MakeError(ErrorCode::InvalidGraph, name + " has " + std::to_string(len) + " values but " + of + " has " +
                                                          std::to_string(expected));
    };
    same_length("nodes_splits", splits.size(), n, "nodes_featureids");
    same_length("nodes_modes", modes.size(), n, "nodes_featureids");
    same_length("nodes_truenodeids", true_ids.size(), n, "nodes_featureids");
    same_length("nodes_falsenodeids", false_ids.size(), n, "nodes_featureids");
    same_length("nodes_trueleafs", true_leafs.size(), n, "nodes_featureids");
    same_length("nodes_falseleafs", false_leafs.size(), n, "nodes_featureids");
    if (!missing.empty()) same_length("nodes_missing_value_tracks_true", missing.size(), n, "nodes_featureids");
    if (const Tensor* h = info.GetTensor("nodes_hitrates")) same_length("nodes_hitrates", static_cast<size_t>(h->size()), n, "nodes_featureids");
    same_length("leaf_weights", leaf_weights.size(), leaf_targets.size(), "leaf_targetids");
    if (n == 0 && leaf_targets.empty()) throw info.MakeError(ErrorCode::InvalidGraph, "the ensemble has no nodes");

    std::vector<double> membership;
    if (const Tensor* m = info.GetTensor("membership_values")) membership = TensorToDoubles(info, *m, "membership_values");
    size_t next_member = 0;

    forest_.n_targets = info.GetInt("n_targets", 0);
    forest_.branches.resize(n);
    for (size_t i = 0; i < n; ++i) {
      TreeForest::Branch& b = forest_.branches[i];
      const double mode = modes[i];
      if (!(mode >= 0 && mode <= 6) || mode != std::floor(mode))
        throw info.MakeError(ErrorCode::InvalidGraph, "nodes_modes[" + std::to_string(i) + "] is " + std::to_string(mode) +
                                                          "; expected 0 (BRANCH_LEQ) to 6 (BRANCH_MEMBER)");
      b.mode = static_cast<NodeMode>(static_cast<int>(mode));
      b.feature = features[i];
      b.value = splits[i];
      b.missing_tracks_true = !missing.empty() && missing[i] != 0;
      auto child = [&](int64_t id, int64_t is_leaf, const char* which) -> int64_t {
        const int64_t limit = is_leaf ? static_cast<int64_t>(leaf_targets.size()) : static_cast<int64_t>(n);
        if (id < 0 || id >= limit)
          throw info.MakeError(ErrorCode::InvalidGraph, std::string("nodes_") + which + "nodeids[" + std::to_string(i) + "] is " + std::to_string(id) +
                                                            " but there are " + std::to_string(limit) + (is_leaf ? " leaves" : " nodes"));
        return is_leaf ? ~id : id;
      };
      b.true_child = child(true_ids[i], true_leafs[i], "true");
      b.false_child = child(false_ids[i], false_leafs[i], "false");
      if (b.mode == NodeMode::Member) {
        b.members_begin = static_cast<int64_t>(forest_.members.size());
        while (next_member < membership.size() && !std::isnan(membership[next_member])) forest_.members.push_back(membership[next_member++]);
        if (next_member >= membership.size())
          throw info.MakeError(ErrorCode::InvalidGraph, "membership_values has no NaN-terminated set left for BRANCH_MEMBER node " + std::to_string(i));
        ++next_member;  // the NaN
        b.members_end = static_cast<int64_t>(forest_.members.size());
        std::sort(forest_.members.begin() + b.members_begin, forest_.members.end());
      }
    }
    for (size_t i = 0; i < leaf_targets.size(); ++i) {
      forest_.votes.push_back({leaf_targets[i], leaf_weights[i]});
      forest_.leaf_votes_begin.push_back(static_cast<int64_t>(i + 1));
    }
    for (int64_t r : tree_roots) {
      if (r < 0 || r >= static_cast<int64_t>(n))
        throw info.MakeError(ErrorCode::InvalidGraph, "tree_roots holds " + std::to_string(r) + " but there are " + std::to_string(n) + " nodes");
      const TreeForest::Branch& b = forest_.branches[r];
      // A tree that is a single leaf is written as a root whose two branches are that leaf.
      forest_.roots.push_back(b.true_child < 0 && b.true_child == b.false_child ? b.true_child : r);
    }
    const int64_t agg = info.GetInt("aggregate_function", 1);
    if (agg < 0 || agg > 3) throw info.MakeError(ErrorCode::InvalidGraph, "aggregate_function " + std::to_string(agg) + " is not 0 to 3");
    aggregate_ = static_cast<Aggregate>(agg);
    const int64_t pt = info.GetInt("post_transform", 0);
    if (pt < 0 || pt > 4) throw info.MakeError(ErrorCode::InvalidGraph, "post_transform " + std::to_string(pt) + " is not 0 to 4");
    post_transform_ = static_cast<PostTransform>(pt);
    forest_.Validate(info);
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const DataType dt = x.dtype();
    if (dt != DataType::Float && dt != DataType::Double && dt != DataType::Float16)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X must be float, double or float16, got ") + DataTypeName(dt));
    if (dt != split_type_)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("X is ") + DataTypeName(dt) + " but nodes_splits is " + DataTypeName(split_type_) +
                                                          "; they must have the same type");
    if (x.rank() != 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 2-D [N, F], got " + ShapeToString(x.shape()));
    const int64_t rows = x.dim(0), cols = x.dim(1);
    if (rows > 0 && cols < forest_.num_features)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X has " + std::to_string(cols) + " features but the trees read feature " +
                                                          std::to_string(forest_.num_features - 1));
    const int64_t nt = forest_.n_targets;
    Tensor& y = ctx.Output(0, dt, {rows, nt});
    ParallelFor(ctx.thread_pool(), rows, forest_.RowCost(), [&](int64_t r0, int64_t r1) {
      std::vector<double> row(static_cast<size_t>(cols)), scores(static_cast<size_t>(nt));
      std::vector<unsigned char> has(static_cast<size_t>(nt));
      for (int64_t r = r0; r < r1; ++r) {
        RowToDoubles(x, r * cols, cols, row.data());
        forest_.Accumulate(row.data(), aggregate_, scores.data(), has.data());
        ApplyPostTransform(post_transform_, scores.data(), nt);
        for (int64_t t = 0; t < nt; ++t) {
          const double v = scores[t];
          if (dt == DataType::Float) y.data<float>()[r * nt + t] = static_cast<float>(v);
          else if (dt == DataType::Double) y.data<double>()[r * nt + t] = v;
          else y.data<uint16_t>()[r * nt + t] = FloatToHalf(static_cast<float>(v));
        }
      }
    });
  }

 private:
  TreeForest forest_;
  DataType split_type_ = DataType::Float;
  Aggregate aggregate_ = Aggregate::Sum;
  PostTransform post_transform_ = PostTransform::None;
};

}  // namespace

void RegisterTreeEnsembleKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "ai.onnx.ml", "TreeEnsemble", 5, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16},
              MakeFactory<TreeEnsembleKernel>()});
}

}  // namespace onyx::ml

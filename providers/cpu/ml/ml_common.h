#pragma once
// The ai.onnx.ml family: registration entry points of each file, and the decision forest shared by
// TreeEnsemble (opset 5), TreeEnsembleRegressor and TreeEnsembleClassifier (opsets 1 and 3).
#include <cstdint>
#include <string>
#include <vector>

#include "core/kernel_registry.h"

namespace onyx::ml {

void RegisterMlKernels(KernelRegistry& r);           // ml_kernels.cc: all of the below
void RegisterTreeEnsembleKernels(KernelRegistry& r);  // tree_ensemble.cc: TreeEnsemble
void RegisterTreeEnsembleLegacyKernels(KernelRegistry& r);  // tree_ensemble_legacy.cc: TreeEnsembleRegressor/Classifier
void RegisterSimpleMlKernels(KernelRegistry& r);      // ml_simple.cc: ArrayFeatureExtractor, Binarizer, CategoryMapper
void RegisterLinearKernels(KernelRegistry& r);        // ml_linear.cc: LinearRegressor, LinearClassifier
void RegisterSvmKernels(KernelRegistry& r);           // ml_svm.cc: SVMRegressor
void RegisterPreprocessKernels(KernelRegistry& r);    // ml_preprocess.cc: Normalizer, Scaler, Imputer, FeatureVectorizer, OneHotEncoder

// Numbering of TreeEnsemble-5's nodes_modes; the older ops spell the same modes as strings.
enum class NodeMode : uint8_t { Leq = 0, Lt = 1, Gte = 2, Gt = 3, Eq = 4, Neq = 5, Member = 6 };
enum class Aggregate { Average = 0, Sum = 1, Min = 2, Max = 3 };
enum class PostTransform { None = 0, Softmax = 1, Logistic = 2, SoftmaxZero = 3, Probit = 4 };

// Attribute values of any floating (or integer) tensor as doubles; throws InvalidGraph naming `what`.
std::vector<double> TensorToDoubles(const KernelInfo& info, const Tensor& t, const std::string& what);
// Element i of a numeric tensor as double (float, double, float16, bfloat16, integers).
void RowToDoubles(const Tensor& x, int64_t offset, int64_t count, double* out);

PostTransform ParsePostTransform(const KernelInfo& info, const std::string& s);
// Applies the transform to n scores in place (onnxruntime's formulas: PROBIT uses its erfinv
// approximation, SOFTMAX_ZERO leaves zero scores at zero).
void ApplyPostTransform(PostTransform pt, double* scores, int64_t n);
double Logistic(double v);
double Probit(double v);

// A forest of binary decision trees. Branches and leaves live in flat arrays; a child reference
// r >= 0 is branch r and r < 0 is leaf ~r. Built by the kernels from their attributes, then
// Validate() proves every reference is in range and no tree has a cycle, so Evaluate terminates.
struct TreeForest {
  struct Branch {
    int64_t feature = 0;
    double value = 0;
    NodeMode mode = NodeMode::Leq;
    bool missing_tracks_true = false;
    int64_t members_begin = 0, members_end = 0;  // BRANCH_MEMBER: sorted values in `members`
    int64_t true_child = 0, false_child = 0;
  };
  struct Vote {
    int64_t target = 0;
    double weight = 0;
  };
  std::vector<Branch> branches;
  std::vector<double> members;
  std::vector<int64_t> leaf_votes_begin = {0};  // leaf i votes: votes[begin[i], begin[i+1])
  std::vector<Vote> votes;
  std::vector<int64_t> roots;  // child references
  int64_t n_targets = 0;
  int64_t num_features = 0;  // 1 + the largest feature id a branch reads (after Validate)

  int64_t num_leaves() const { return static_cast<int64_t>(leaf_votes_begin.size()) - 1; }
  // Rough work of one row, for splitting rows over threads: a few steps per tree plus the scores.
  double RowCost() const { return 8.0 * static_cast<double>(roots.size()) + static_cast<double>(n_targets + num_features); }
  // Throws onyx::Error(InvalidGraph) naming the node for out-of-range references, features or
  // targets, and for a tree that reaches a branch again (a cycle).
  void Validate(const KernelInfo& info);
  // The leaf that `row` (num_features values) reaches from the root reference.
  int64_t LeafOf(int64_t root, const double* row) const;
  // Aggregates the votes of every tree's leaf for one row into scores[n_targets] (has_score set
  // where any vote landed). AVERAGE divides by the number of trees; MIN/MAX keep the extreme vote.
  void Accumulate(const double* row, Aggregate agg, double* scores, unsigned char* has_score) const;
};

}  // namespace onyx::ml

// NonMaxSuppression: greedy per (batch, class) selection by descending score, dropping boxes
// whose IoU with an already selected box exceeds the threshold.
#include <algorithm>
#include <numeric>
#include <vector>

#include "detection/detection_common.h"
#include "detection/detection_kernels.h"

namespace onyx {
namespace {

struct Corners {
  float x1, y1, x2, y2;  // x1 <= x2, y1 <= y2
};

class NonMaxSuppressionKernel final : public OpKernel {
 public:
  explicit NonMaxSuppressionKernel(const KernelInfo& info) : center_point_box_(info.GetInt("center_point_box", 0)) {
    if (center_point_box_ != 0 && center_point_box_ != 1)
      throw info.MakeError(ErrorCode::InvalidGraph, "center_point_box should be 0 or 1, got " + std::to_string(center_point_box_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& boxes = ctx.Input(0);
    const Tensor& scores = ctx.Input(1);
    if (boxes.dtype() != DataType::Float || scores.dtype() != DataType::Float)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("boxes and scores should be float, got ") +
                                                         DataTypeName(boxes.dtype()) + " and " + DataTypeName(scores.dtype()));
    if (boxes.rank() != 3 || boxes.dim(2) != 4)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "boxes should have shape [batches, boxes, 4], got " + ShapeToString(boxes.shape()));
    if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "scores should have shape [" + std::to_string(boxes.dim(0)) + ", classes, " +
                                                          std::to_string(boxes.dim(1)) + "], got " + ShapeToString(scores.shape()));
    int64_t max_out = 0;
    if (const Tensor* t = ctx.OptionalInput(2); t && t->size() > 0) max_out = ReadInt64s(*t, ctx)[0];
    float iou_threshold = 0.0f;
    if (const Tensor* t = ctx.OptionalInput(3); t && t->size() > 0) {
      if (t->dtype() != DataType::Float) throw ctx.MakeError(ErrorCode::InvalidArgument, "iou_threshold should be float");
      iou_threshold = t->data<float>()[0];
    }
    bool has_score_threshold = false;
    float score_threshold = 0.0f;
    if (const Tensor* t = ctx.OptionalInput(4); t && t->size() > 0) {
      if (t->dtype() != DataType::Float) throw ctx.MakeError(ErrorCode::InvalidArgument, "score_threshold should be float");
      has_score_threshold = true;
      score_threshold = t->data<float>()[0];
    }
    const int64_t batches = boxes.dim(0), num_boxes = boxes.dim(1), classes = scores.dim(1);
    std::vector<int64_t> selected;  // triples
    if (max_out > 0 && num_boxes > 0) {
      std::vector<Corners> corners(static_cast<size_t>(num_boxes));
      std::vector<float> areas(static_cast<size_t>(num_boxes));
      std::vector<int64_t> order, kept;
      for (int64_t b = 0; b < batches; ++b) {
        const float* bx = boxes.data<float>() + b * num_boxes * 4;
        for (int64_t i = 0; i < num_boxes; ++i) {
          const float* p = bx + i * 4;
          Corners c;
          if (center_point_box_ == 0) {
            c = {std::min(p[1], p[3]), std::min(p[0], p[2]), std::max(p[1], p[3]), std::max(p[0], p[2])};
          } else {
            c = {p[0] - p[2] / 2, p[1] - p[3] / 2, p[0] + p[2] / 2, p[1] + p[3] / 2};
          }
          corners[i] = c;
          areas[i] = (c.x2 - c.x1) * (c.y2 - c.y1);
        }
        for (int64_t cls = 0; cls < classes; ++cls) {
          const float* sc = scores.data<float>() + (b * classes + cls) * num_boxes;
          order.clear();
          for (int64_t i = 0; i < num_boxes; ++i)
            if (!has_score_threshold || sc[i] > score_threshold) order.push_back(i);
          // Ties keep the lower box index first.
          std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) { return sc[a] > sc[c]; });
          kept.clear();
          for (int64_t i : order) {
            if (static_cast<int64_t>(kept.size()) >= max_out) break;
            bool keep = true;
            for (int64_t k : kept)
              if (Suppresses(corners[i], areas[i], corners[k], areas[k], iou_threshold)) {
                keep = false;
                break;
              }
            if (!keep) continue;
            kept.push_back(i);
            selected.insert(selected.end(), {b, cls, i});
          }
        }
      }
    }
    const int64_t count = static_cast<int64_t>(selected.size() / 3);
    Tensor& y = ctx.Output(0, DataType::Int64, {count, 3});
    std::copy(selected.begin(), selected.end(), y.data<int64_t>());
  }

 private:
  static bool Suppresses(const Corners& a, float area_a, const Corners& b, float area_b, float threshold) {
    const float ix1 = std::max(a.x1, b.x1), ix2 = std::min(a.x2, b.x2);
    if (ix2 <= ix1) return false;
    const float iy1 = std::max(a.y1, b.y1), iy2 = std::min(a.y2, b.y2);
    if (iy2 <= iy1) return false;
    const float inter = (ix2 - ix1) * (iy2 - iy1);
    const float uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
    return inter / uni > threshold;
  }

  int64_t center_point_box_;
};

}  // namespace

void RegisterNmsKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "NonMaxSuppression", 10, INT64_MAX, {DataType::Float}, MakeFactory<NonMaxSuppressionKernel>()});
}

}  // namespace onyx

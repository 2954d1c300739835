#pragma once
// Patch extraction for convolutions as matrix products. Pure index arithmetic on raw buffers.
#include <cstdint>
#include <vector>

#include "mlas/gemm.h"

namespace onyx {
class ThreadPool;
namespace mlas {

// Geometry of a sliding window over `rank` spatial dims: `input` is the image, `output` the
// grid of window positions. Window position o in dim d covers image coordinates
// o * strides[d] - pad_begin[d] + k * dilations[d] for k in [0, kernel[d]).
struct WindowShape {
  int64_t rank = 0;
  const int64_t* input = nullptr;
  const int64_t* output = nullptr;
  const int64_t* kernel = nullptr;
  const int64_t* strides = nullptr;
  const int64_t* dilations = nullptr;
  const int64_t* pad_begin = nullptr;
};

// Writes the patches of window positions [out_begin, out_end) (flattened, row-major over
// `output`) of a `channels` x input image into col: channels * prod(kernel) rows of
// (out_end - out_begin) values, row-major, padding as zeros. Rows are spread over the pool.
void Im2col(const float* image, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
            float* col, ThreadPool* pool);
void Im2col(const double* image, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
            double* col, ThreadPool* pool);

// The patches of a 1-D or 2-D window (shape.rank 1 or 2) over a channels x image, as a GEMM's
// right-hand operand: row c * prod(kernel) + tap, column = window position, the matrix Im2col
// writes. Packed block by block straight from the image. Holds pointers to the image and to
// shape's arrays, which must outlive it.
class Im2colPanels final : public PanelSource {
 public:
  Im2colPanels(const float* image, int64_t channels, const WindowShape& shape);
  void Pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* out) const override;

 private:
  const float* image_;
  int64_t in_h_, in_w_, out_w_, kernel_h_, kernel_w_, stride_h_, stride_w_, dilation_h_, dilation_w_, pad_h_, pad_w_;
  // For wide strided windows, each image row split by column phase (see the constructor):
  // phase q of a row at phase_begin_[q]. Empty otherwise.
  std::vector<float> phased_;
  std::vector<int64_t> phase_begin_;
};

// The adjoint of Im2col: adds each col value into the image coordinate it was taken from
// (values that fall into padding are dropped). col holds positions [out_begin, out_end).
// Channels are spread over the pool.
void Col2imAdd(const float* col, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
               float* image, ThreadPool* pool);
void Col2imAdd(const double* col, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
               double* image, ThreadPool* pool);

}  // namespace mlas
}  // namespace onyx

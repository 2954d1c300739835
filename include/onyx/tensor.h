#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "onyx/data_type.h"

namespace onyx {

// Where a tensor's bytes live. Emulated is host memory that a test-only execution provider
// treats as a separate device, so that partitioning and copies are tested without a GPU.
enum class DeviceType : int32_t { CPU = 0, CUDA = 1, Emulated = 2 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int id = 0;
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool operator==(const Device&) const = default;
  std::string ToString() const;  // "cpu", "cuda:0"
};

// A dense tensor. Copies are shallow: they share the same storage. A tensor either owns its
// storage (reference counted) or borrows a caller's buffer, which must outlive every use.
// String tensors hold std::string objects.
class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-initialised storage for the shape. Throws onyx::Error on overflow.
  Tensor(DataType dtype, std::vector<int64_t> shape);
  // Wraps a caller's buffer without copying (on the given device; host memory by default).
  static Tensor Borrow(DataType dtype, std::vector<int64_t> shape, void* data, Device device = {});
  // Takes shared ownership of storage already allocated on a device (e.g. by a device allocator
  // whose deleter returns the block); data is storage.get().
  static Tensor Wrap(DataType dtype, std::vector<int64_t> shape, std::shared_ptr<void> storage, Device device);
  // Copies the bytes of a contiguous buffer into a new owning tensor.
  static Tensor Copy(DataType dtype, std::vector<int64_t> shape, const void* data);
  // A view with a new shape over the same storage (element count must match).
  Tensor Reshaped(std::vector<int64_t> shape) const;
  // A deep copy with its own host storage (host tensors only).
  Tensor Clone() const;

  bool defined() const { return dtype_ != DataType::Undefined; }
  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  int64_t dim(size_t i) const { return shape_[i]; }
  int64_t size() const { return size_; }  // number of elements
  size_t nbytes() const;                   // 0 for string tensors
  bool owns_data() const { return storage_ != nullptr; }
  // Whether this tensor owns its storage and no other tensor (copy or view) shares it.
  bool owns_data_alone() const { return storage_ != nullptr && storage_.use_count() == 1; }
  Device device() const { return device_; }
  bool on_cpu() const { return device_.is_cpu(); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T>
  T* data() { return static_cast<T*>(data_); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(data_); }

 private:
  DataType dtype_ = DataType::Undefined;
  std::vector<int64_t> shape_;
  int64_t size_ = 0;
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  Device device_;
};

// Product of dims with overflow and negativity checks; throws onyx::Error(InvalidArgument).
int64_t ShapeSize(const std::vector<int64_t>& shape);
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace onyx

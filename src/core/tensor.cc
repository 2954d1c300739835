#include "onyx/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

#include "onyx/error.h"
#include "onyx/value.h"
#include "core/host_block_cache.h"
#include "core/memory_limits.h"
#include "core/output_fill.h"

namespace onyx {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::Fail: return "Fail";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::NoSuchFile: return "NoSuchFile";
    case ErrorCode::NoModel: return "NoModel";
    case ErrorCode::InvalidProtobuf: return "InvalidProtobuf";
    case ErrorCode::InvalidGraph: return "InvalidGraph";
    case ErrorCode::NotImplemented: return "NotImplemented";
    case ErrorCode::RuntimeException: return "RuntimeException";
  }
  return "Unknown";
}

size_t DataTypeSize(DataType t) {
  switch (t) {
    case DataType::Float: case DataType::Int32: case DataType::UInt32: return 4;
    case DataType::Double: case DataType::Int64: case DataType::UInt64: case DataType::Complex64: return 8;
    case DataType::Complex128: return 16;
    case DataType::Float16: case DataType::BFloat16: case DataType::Int16: case DataType::UInt16: return 2;
    case DataType::UInt8: case DataType::Int8: case DataType::Bool: case DataType::Float8E4M3FN:
    case DataType::Float8E4M3FNUZ: case DataType::Float8E5M2: case DataType::Float8E5M2FNUZ:
    case DataType::UInt4: case DataType::Int4: case DataType::Float4E2M1: case DataType::Float8E8M0:
    case DataType::UInt2: case DataType::Int2: return 1;
    default: return 0;
  }
}

const char* DataTypeName(DataType t) {
  switch (t) {
    case DataType::Float: return "float";
    case DataType::UInt8: return "uint8";
    case DataType::Int8: return "int8";
    case DataType::UInt16: return "uint16";
    case DataType::Int16: return "int16";
    case DataType::Int32: return "int32";
    case DataType::Int64: return "int64";
    case DataType::String: return "string";
    case DataType::Bool: return "bool";
    case DataType::Float16: return "float16";
    case DataType::Double: return "double";
    case DataType::UInt32: return "uint32";
    case DataType::UInt64: return "uint64";
    case DataType::Complex64: return "complex64";
    case DataType::Complex128: return "complex128";
    case DataType::BFloat16: return "bfloat16";
    case DataType::Float8E4M3FN: return "float8e4m3fn";
    case DataType::Float8E4M3FNUZ: return "float8e4m3fnuz";
    case DataType::Float8E5M2: return "float8e5m2";
    case DataType::Float8E5M2FNUZ: return "float8e5m2fnuz";
    case DataType::UInt4: return "uint4";
    case DataType::Int4: return "int4";
    case DataType::Float4E2M1: return "float4e2m1";
    case DataType::Float8E8M0: return "float8e8m0";
    case DataType::UInt2: return "uint2";
    case DataType::Int2: return "int2";
    default: return "undefined";
  }
}

bool IsKnownDataType(int32_t code) { return code >= 1 && code <= 26; }

int PackedBits(DataType t) {
  switch (t) {
    case DataType::UInt4: case DataType::Int4: case DataType::Float4E2M1: return 4;
    case DataType::UInt2: case DataType::Int2: return 2;
    default: return 0;
  }
}

int64_t ShapeSize(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(ErrorCode::InvalidArgument, "negative dimension in shape " + ShapeToString(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw Error(ErrorCode::InvalidArgument, "shape " + ShapeToString(shape) + " has too many elements");
    n *= d;
  }
  return n;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  os << ']';
  return os.str();
}

int64_t MaxTensorBytes() {
  static const int64_t limit = [] {
    const char* env = std::getenv("ONYX_MAX_TENSOR_BYTES");
    const long long v = env ? std::atoll(env) : 0;
    return v > 0 ? static_cast<int64_t>(v) : int64_t(1) << 40;
  }();
  return limit;
}

void CheckAllocationSize(int64_t count, size_t element_bytes, const char* what) {
  if (count < 0 || (element_bytes && count > MaxTensorBytes() / static_cast<int64_t>(element_bytes)))
    throw Error(ErrorCode::Fail, std::string(what) + " of " + std::to_string(count) + " elements of " + std::to_string(element_bytes) +
                                     " bytes exceeds the allocation limit of " + std::to_string(MaxTensorBytes()) +
                                     " bytes (ONYX_MAX_TENSOR_BYTES)");
}

namespace {
thread_local OutputFill tensor_fill = OutputFill::Zero;
}  // namespace

OutputFill KernelOutputFill() {
  static const OutputFill fill = [] {
    const char* env = std::getenv("ONYX_POISON_OUTPUTS");
    return env && *env && std::string(env) != "0" ? OutputFill::Poison : OutputFill::None;
  }();
  return fill;
}

ScopedOutputFill::ScopedOutputFill(OutputFill fill) : saved_(tensor_fill) { tensor_fill = fill; }
ScopedOutputFill::~ScopedOutputFill() { tensor_fill = saved_; }

void FillStorage(void* p, unsigned long n, OutputFill fill) {
  if (fill == OutputFill::Zero) std::memset(p, 0, n);
  else if (fill == OutputFill::Poison) std::memset(p, 0xFF, n);
}

namespace {

// A model can ask for any size: running out of memory is an error, not a crash.
[[noreturn]] void OutOfMemory(int64_t count, size_t element_bytes) {
  throw Error(ErrorCode::Fail, "out of memory: cannot allocate a tensor of " + std::to_string(count) + " elements of " +
                                   std::to_string(element_bytes) + " bytes");
}

// cache: where blocks of HostBlockCache::kMinBytes and more come from (null: the heap).
std::shared_ptr<void> Allocate(DataType dtype, int64_t count, HostBlockCache* cache = nullptr) {
  const bool strings = dtype == DataType::String;
  const size_t es = strings ? sizeof(std::string) : DataTypeSize(dtype);
  if (es == 0) throw Error(ErrorCode::NotImplemented, std::string("tensors of type ") + DataTypeName(dtype) + " are not supported");
  CheckAllocationSize(count, es, "a tensor");
  if (strings) {
    try {
      return std::shared_ptr<void>(new std::string[count > 0 ? count : 1], [](void* p) {
        delete[] static_cast<std::string*>(p);
      });
    } catch (const std::bad_alloc&) {
      OutOfMemory(count, es);
    }
  }
  size_t bytes = static_cast<size_t>(count) * es;
  // 64-byte alignment suits AVX-512 loads.
  std::shared_ptr<void> storage;
  try {
    if (cache && bytes >= HostBlockCache::kMinBytes) {
      storage = cache->Get(bytes);
    } else {
      void* p = ::operator new[](bytes ? bytes : 1, std::align_val_t(64));
      storage = std::shared_ptr<void>(p, [](void* q) { ::operator delete[](q, std::align_val_t(64)); });
    }
  } catch (const std::bad_alloc&) {
    OutOfMemory(count, es);
  }
  FillStorage(storage.get(), bytes, tensor_fill);
  return storage;
}
}  // namespace

Tensor::Tensor(DataType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)), size_(ShapeSize(shape_)) {
  storage_ = Allocate(dtype_, size_);
  data_ = storage_.get();
}

Tensor HostTensor(DataType dtype, std::vector<int64_t> shape, HostBlockCache* cache) {
  if (!cache) return Tensor(dtype, std::move(shape));
  const int64_t count = ShapeSize(shape);
  return Tensor::Wrap(dtype, std::move(shape), Allocate(dtype, count, cache), Device{});
}

Tensor Tensor::Borrow(DataType dtype, std::vector<int64_t> shape, void* data, Device device) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.size_ = ShapeSize(t.shape_);
  t.data_ = data;
  t.device_ = device;
  return t;
}

Tensor Tensor::Wrap(DataType dtype, std::vector<int64_t> shape, std::shared_ptr<void> storage, Device device) {
  Tensor t = Borrow(dtype, std::move(shape), storage.get(), device);
  t.storage_ = std::move(storage);
  return t;
}

std::string Device::ToString() const {
  switch (type) {
    case DeviceType::CPU: return "cpu";
    case DeviceType::CUDA: return "cuda:" + std::to_string(id);
    case DeviceType::Emulated: return "emulated:" + std::to_string(id);
  }
  return "unknown";
}

Tensor Tensor::Copy(DataType dtype, std::vector<int64_t> shape, const void* data) {
  Tensor t(dtype, std::move(shape));
  if (dtype == DataType::String) {
    const auto* src = static_cast<const std::string*>(data);
    for (int64_t i = 0; i < t.size_; ++i) t.data<std::string>()[i] = src[i];
  } else if (t.nbytes()) {
    std::memcpy(t.data_, data, t.nbytes());
  }
  return t;
}

Tensor Tensor::Reshaped(std::vector<int64_t> shape) const {
  int64_t n = ShapeSize(shape);
  if (n != size_)
    throw Error(ErrorCode::InvalidArgument, "cannot reshape " + ShapeToString(shape_) + " to " + ShapeToString(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::Clone() const {
  if (!defined()) return Tensor();
  if (!on_cpu()) throw Error(ErrorCode::RuntimeException, "Clone of a tensor on " + device_.ToString() + ": copy it to the host first");
  return Copy(dtype_, shape_, data_);
}

size_t Tensor::nbytes() const { return static_cast<size_t>(size_) * DataTypeSize(dtype_); }

Value Value::Sequence(std::vector<Tensor> items, DataType elem_type) {
  Value v;
  v.kind_ = Kind::Sequence;
  v.sequence_ = std::make_shared<const std::vector<Tensor>>(std::move(items));
  v.seq_type_ = elem_type;
  return v;
}

const Tensor& Value::tensor() const {
  if (kind_ != Kind::Tensor) throw Error(ErrorCode::InvalidArgument, kind_ == Kind::None ? "expected a tensor, got an empty value" : "expected a tensor, got a sequence");
  return tensor_;
}
Tensor& Value::tensor() {
  if (kind_ != Kind::Tensor) throw Error(ErrorCode::InvalidArgument, kind_ == Kind::None ? "expected a tensor, got an empty value" : "expected a tensor, got a sequence");
  return tensor_;
}
const std::vector<Tensor>& Value::sequence() const {
  if (kind_ != Kind::Sequence) throw Error(ErrorCode::InvalidArgument, "expected a sequence value");
  return *sequence_;
}

}  // namespace onyx

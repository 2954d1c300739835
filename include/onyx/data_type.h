#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace onyx {

// Values equal ONNX TensorProto.DataType.
enum class DataType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
  Float8E4M3FN = 17,
  Float8E4M3FNUZ = 18,
  Float8E5M2 = 19,
  Float8E5M2FNUZ = 20,
  UInt4 = 21,
  Int4 = 22,
};

// Bytes per element; 0 for String (stored as std::string objects) and unknown types.
// Int4/UInt4 report 1: onyx stores them unpacked, one element per byte.
size_t DataTypeSize(DataType t);
// "float", "int64", "float16"... the ONNX spelling used inside "tensor(...)".
const char* DataTypeName(DataType t);
bool IsKnownDataType(int32_t code);

}  // namespace onyx

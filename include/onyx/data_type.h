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
  Float4E2M1 = 23,
  Float8E8M0 = 24,
  UInt2 = 25,
  Int2 = 26,
};

// Bytes per element; 0 for String (stored as std::string objects) and unknown types.
// Sub-byte types (Int4/UInt4/Int2/UInt2/Float4E2M1) report 1: onyx stores them unpacked, one
// element per byte (signed ones sign-extended; Float4E2M1 as its 4-bit code).
size_t DataTypeSize(DataType t);
// "float", "int64", "float16"... the ONNX spelling used inside "tensor(...)".
const char* DataTypeName(DataType t);
bool IsKnownDataType(int32_t code);
// Bits per element in the ONNX serialized (packed) form: 2 or 4 for sub-byte types, else 0.
int PackedBits(DataType t);

}  // namespace onyx

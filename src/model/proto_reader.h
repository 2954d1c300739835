#pragma once
// A minimal reader of the protobuf wire format, enough for ONNX's messages. Every length and
// offset is bounds-checked against the buffer; malformed input throws InvalidProtobuf.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "onyx/error.h"

namespace onyx::proto {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const char* what) : p_(data), end_(data + size), what_(what) {}
  Reader(std::string_view bytes, const char* what)
      : Reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), what) {}

  bool done() const { return p_ >= end_; }

  // Reads the next field key; returns false at end of message.
  bool Next() {
    if (p_ >= end_) return false;
    uint64_t key = Varint();
    field_ = static_cast<uint32_t>(key >> 3);
    wire_ = static_cast<uint32_t>(key & 7);
    if (field_ == 0) Fail("field number 0");
    return true;
  }
  uint32_t field() const { return field_; }
  uint32_t wire() const { return wire_; }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) Fail("truncated varint");
      uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail("varint longer than 10 bytes");
  }
  int64_t Int64() { Expect(kVarint); return static_cast<int64_t>(Varint()); }
  int32_t Int32() { Expect(kVarint); return static_cast<int32_t>(Varint()); }
  float Float() {
    Expect(kFixed32);
    float f;
    std::memcpy(&f, Take(4), 4);
    return f;
  }
  double Double() {
    Expect(kFixed64);
    double d;
    std::memcpy(&d, Take(8), 8);
    return d;
  }
  std::string_view Bytes() {
    Expect(kLengthDelimited);
    uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_)) Fail("length-delimited field runs past the end of the data");
    const char* s = reinterpret_cast<const char*>(p_);
    p_ += n;
    return {s, static_cast<size_t>(n)};
  }
  std::string String() { return std::string(Bytes()); }
  Reader Message() { return Reader(Bytes(), what_); }

  // Repeated scalar fields may come packed (one length-delimited run) or one by one.
  template <typename T, typename ReadOne>
  void Repeated(std::vector<T>& out, ReadOne read_one, WireType scalar_wire) {
    if (wire_ == kLengthDelimited) {
      Reader sub = Message();
      sub.wire_ = scalar_wire;
      while (!sub.done()) out.push_back(static_cast<T>(read_one(sub)));
    } else {
      out.push_back(static_cast<T>(read_one(*this)));
    }
  }
  void RepeatedInt64(std::vector<int64_t>& out) {
    Repeated(out, [](Reader& r) { return static_cast<int64_t>(r.Varint()); }, kVarint);
  }
  void RepeatedFloat(std::vector<float>& out) {
    Repeated(out, [](Reader& r) { return r.RawFixed32Float(); }, kFixed32);
  }
  void RepeatedDouble(std::vector<double>& out) {
    Repeated(out, [](Reader& r) { return r.RawFixed64Double(); }, kFixed64);
  }
  void RepeatedUInt64(std::vector<uint64_t>& out) {
    Repeated(out, [](Reader& r) { return r.Varint(); }, kVarint);
  }

  void Skip() {
    switch (wire_) {
      case kVarint: Varint(); break;
      case kFixed64: Take(8); break;
      case kFixed32: Take(4); break;
      case kLengthDelimited: Bytes(); break;
      case 3: case 4: Fail("groups are not used by ONNX");
      default: Fail("invalid wire type " + std::to_string(wire_));
    }
  }

  [[noreturn]] void Fail(const std::string& why) const {
    throw Error(ErrorCode::InvalidProtobuf, std::string("cannot parse ") + what_ + ": " + why);
  }

 private:
  float RawFixed32Float() {
    float f;
    std::memcpy(&f, Take(4), 4);
    return f;
  }
  double RawFixed64Double() {
    double d;
    std::memcpy(&d, Take(8), 8);
    return d;
  }
  const uint8_t* Take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Fail("truncated fixed-width field");
    const uint8_t* q = p_;
    p_ += n;
    return q;
  }
  void Expect(WireType w) {
    if (wire_ != w)
      Fail("field " + std::to_string(field_) + " has wire type " + std::to_string(wire_) + ", expected " + std::to_string(w));
  }

  const uint8_t* p_;
  const uint8_t* end_;
  const char* what_;
  uint32_t field_ = 0;
  uint32_t wire_ = 0;
};

}  // namespace onyx::proto

#pragma once
// What the storage of a kernel's output holds before the kernel writes it. Kernels write every
// element of their outputs, so KernelContext::Output hands them storage without zeroing it (the
// zeroing was a second pass over every output). ONYX_POISON_OUTPUTS=1 fills it with 0xFF bytes
// instead (NaN for floats, -1 for ints): a kernel that leaves part of an output unwritten, or
// reads it before writing, then gives results that the tests catch. The sanitizer stage of the
// tests runs the conformance suite that way.

namespace onyx {

enum class OutputFill { Zero, None, Poison };

// None, or Poison under ONYX_POISON_OUTPUTS=1 (read once).
OutputFill KernelOutputFill();

// Tensors allocated on this thread while it lives are filled as `fill` says (Zero otherwise).
class ScopedOutputFill {
 public:
  explicit ScopedOutputFill(OutputFill fill);
  ~ScopedOutputFill();
  ScopedOutputFill(const ScopedOutputFill&) = delete;
  ScopedOutputFill& operator=(const ScopedOutputFill&) = delete;

 private:
  OutputFill saved_;
};

// Fills n bytes at p as `fill` says.
void FillStorage(void* p, unsigned long n, OutputFill fill);

}  // namespace onyx

#pragma once
// Shared pieces of the text family: UTF-8 case mapping and the registration entry points of each
// file of the family.
#include <string>

#include "core/kernel_registry.h"

namespace onyx::text {

// Lower/upper-cases UTF-8 text: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters
// (simple one-to-one mappings only; no locale rules). Bytes that are not valid UTF-8 are kept.
std::string Utf8ToLower(const std::string& s);
std::string Utf8ToUpper(const std::string& s);

void RegisterStringKernels(KernelRegistry& r);    // string_ops.cc: StringNormalizer StringSplit StringConcat
void RegisterRegexKernels(KernelRegistry& r);     // regex_full_match.cc
void RegisterTfIdfKernels(KernelRegistry& r);     // tfidf_vectorizer.cc
void RegisterLabelEncoderKernels(KernelRegistry& r);  // label_encoder.cc (ai.onnx.ml)

}  // namespace onyx::text

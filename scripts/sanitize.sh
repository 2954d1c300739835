#!/usr/bin/env bash
# The sanitizer and fuzzing stage of the tests (issue #6), on two builds of their own:
#   build-asan  clang, AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer instrumentation:
#               unit tests, the fuzz regressions and malformed corpus, a slice of the ONNX 1.12
#               conformance suite, then a bounded fuzz run seeded with the test models.
#   build-tsan  clang, ThreadSanitizer: the concurrency tests.
# Any sanitizer report fails the stage. Environment knobs:
#   FUZZ_RUNS (default 20000) inputs for the fuzz run (at most 3 minutes); 0 skips it
#   IMAGE_FUZZ_RUNS (default 20000) inputs for the ImageDecoder fuzzer (at most 2 minutes); 0 skips it
#   SANITIZE_ONLY=asan|tsan   one build only
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
only=${SANITIZE_ONLY:-}
# -O1 keeps the instrumented tests fast enough; line tables are all the reports need.
common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"
        -DCMAKE_CXX_COMPILER=clang++ -DONYX_USE_CUDA=OFF -DONYX_BUILD_PYTHON=OFF -DONYX_BUILD_CLI=ON -DONYX_BUILD_TESTS=ON)

if [ "$only" != tsan ]; then
  echo "== ASan + UBSan build"
  cmake -S . -B build-asan "${common[@]}" -DONYX_SANITIZE=address -DONYX_BUILD_FUZZERS=ON >/dev/null
  ninja -C build-asan onyx_unit_tests onyx_cli onyx_fuzz_replay onyx_model_fuzzer onyx_image_fuzz_replay onyx_image_fuzzer
  export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:allocator_may_return_null=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

  echo "== unit tests under ASan + UBSan, outputs poisoned"
  ONYX_POISON_OUTPUTS=1 build-asan/bin/onyx_unit_tests --gtest_brief=1

  echo "== fuzz regressions and malformed corpus under ASan + UBSan"
  build-asan/bin/onyx_fuzz_replay tests/fuzz/regressions tests/data/malformed 2>/dev/null
  build-asan/bin/onyx_image_fuzz_replay tests/fuzz/image_seeds 2>/dev/null

  # Kernel outputs start as 0xFF bytes here (ONYX_POISON_OUTPUTS, see src/core/output_fill.h): a
  # kernel that leaves part of an output unwritten fails its tests instead of passing on zeros.
  echo "== ONNX 1.12 conformance (node tests) under ASan + UBSan, outputs poisoned"
  if [ -d /usr/share/libonnx-testdata/data ]; then
    ONYX_POISON_OUTPUTS=1 build-asan/bin/onyx test /usr/share/libonnx-testdata/data --label onnx-1.12 --filter onnx-1.12/node/ \
      --expect tests/conformance/passing_onnx_1_12.txt
  fi

  runs=${FUZZ_RUNS:-20000}
  if [ "$runs" != 0 ]; then
    echo "== model fuzzer: $runs inputs"
    # Seeds: the malformed corpus and the ONNX node-test models; new finds stay in build-asan.
    seeds=build-asan/fuzz-seeds corpus=build-asan/fuzz-corpus
    mkdir -p "$seeds" "$corpus" build-asan/fuzz-artifacts
    cp tests/data/malformed/*.onnx tests/fuzz/regressions/* "$seeds"/ 2>/dev/null || true
    if [ -d /usr/share/libonnx-testdata/data/node ]; then
      for m in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
        cp "$m" "$seeds/$(basename "$(dirname "$m")").onnx"
      done
    fi
    if ! build-asan/bin/onyx_model_fuzzer -seed=1 -runs="$runs" -max_total_time=180 -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix=build-asan/fuzz-artifacts/ -print_final_stats=1 "$corpus" "$seeds" 2>build-asan/fuzz.log; then
      tail -n 60 build-asan/fuzz.log
      echo "The fuzzer found an input that breaks onyx: it is in build-asan/fuzz-artifacts/. Fix the bug and"
      echo "keep the input in tests/fuzz/regressions/ so that fuzz_regressions replays it from now on."
      exit 1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done" build-asan/fuzz.log || true
  fi

  image_runs=${IMAGE_FUZZ_RUNS:-20000}
  if [ "$image_runs" != 0 ]; then
    echo "== ImageDecoder fuzzer: $image_runs inputs"
    # Seeds: one small image per format (tests/fuzz/image_seeds); new finds stay in build-asan.
    corpus=build-asan/image-fuzz-corpus
    mkdir -p "$corpus" build-asan/image-fuzz-artifacts
    if ! build-asan/bin/onyx_image_fuzzer -seed=1 -runs="$image_runs" -max_total_time=120 -timeout=20 -rss_limit_mb=4096 \
        -max_len=65536 -artifact_prefix=build-asan/image-fuzz-artifacts/ -print_final_stats=1 \
        "$corpus" tests/fuzz/image_seeds 2>build-asan/image-fuzz.log; then
      tail -n 60 build-asan/image-fuzz.log
      echo "The image fuzzer found an input that breaks a decoder: it is in build-asan/image-fuzz-artifacts/."
      echo "Fix the bug and keep the input in tests/fuzz/image_seeds/, named after the bug."
      exit 1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done" build-asan/image-fuzz.log || true
  fi
fi

if [ "$only" != asan ]; then
  echo "== TSan build"
  cmake -S . -B build-tsan "${common[@]}" -DONYX_SANITIZE=thread >/dev/null
  ninja -C build-tsan onyx_concurrency_tests
  echo "== concurrency and session tests under TSan"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/bin/onyx_concurrency_tests --gtest_brief=1
fi

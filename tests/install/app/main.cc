// Loads a model through the public API only, from a path and from bytes, and runs it on a
// borrowed buffer. Prints the top class for each sample so the test can check it.
#include <onyx/onyx.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: app MODEL\n";
    return 2;
  }
  try {
    onyx::Session session(argv[1]);
    std::ifstream f(argv[1], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    onyx::Session from_bytes(bytes.data(), bytes.size());
    const auto& in = session.inputs().at(0);
    std::cout << "input " << in.name << " " << in.type_string << "\n";
    std::vector<float> image(64, 0.0f);
    for (int i = 0; i < 8; ++i) image[i * 8 + 4] = 1.0f;  // a vertical stroke
    onyx::Tensor x = onyx::Tensor::Borrow(onyx::DataType::Float, {1, 1, 8, 8}, image.data());
    auto a = session.Run({{in.name, x}});
    auto b = from_bytes.Run({{in.name, x}}, {session.outputs().at(0).name});
    const float* pa = a.at(0).data<float>();
    const float* pb = b.at(0).data<float>();
    int best = 0;
    for (int k = 0; k < 10; ++k) {
      if (pa[k] != pb[k]) {
        std::cerr << "path and bytes sessions disagree\n";
        return 1;
      }
      if (pa[k] > pa[best]) best = k;
    }
    std::cout << "shape " << onyx::ShapeToString(a[0].shape()) << " top " << best << "\n";
    try {
      session.Run({{"no_such_input", x}});
    } catch (const onyx::Error& e) {
      std::cout << "error code " << onyx::ErrorCodeName(e.code()) << "\n";
    }
    std::cout << "producer " << session.metadata().producer_name << "\n";
    return 0;
  } catch (const onyx::Error& e) {
    std::cerr << "onyx error: " << e.what() << "\n";
    return 1;
  }
}

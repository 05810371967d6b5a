#include "ops/signal_common.h"

#include <cmath>
#include <numbers>

namespace ledge::signal {

namespace {

// e^(sign 2 pi i m/n), with m reduced modulo n first so large products stay exact.
std::complex<double> twiddle(size_t m, size_t n, double sign) {
  const double angle = sign * 2 * std::numbers::pi * static_cast<double>(m % n) / n;
  return {std::cos(angle), std::sin(angle)};
}

void fft_pow2(std::vector<std::complex<double>>& x, double sign) {
  const size_t n = x.size();
  for (size_t i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(x[i], x[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    for (size_t i = 0; i < n; i += len) {
      for (size_t k = 0; k < len / 2; ++k) {
        const std::complex<double> w = twiddle(k, len, sign);
        const std::complex<double> u = x[i + k];
        const std::complex<double> v = x[i + k + len / 2] * w;
        x[i + k] = u + v;
        x[i + k + len / 2] = u - v;
      }
    }
  }
}

}  // namespace

void dft(std::vector<std::complex<double>>& x, bool inverse) {
  const size_t n = x.size();
  if (n == 0) return;
  const double sign = inverse ? 1.0 : -1.0;
  if ((n & (n - 1)) == 0) {
    fft_pow2(x, sign);
  } else {
    std::vector<std::complex<double>> table(n), out(n);
    for (size_t m = 0; m < n; ++m) table[m] = twiddle(m, n, sign);
    for (size_t k = 0; k < n; ++k) {
      std::complex<double> s = 0;
      for (size_t j = 0; j < n; ++j) s += x[j] * table[(j * k) % n];
      out[k] = s;
    }
    x = std::move(out);
  }
  if (inverse)
    for (auto& v : x) v /= static_cast<double>(n);
}

}  // namespace ledge::signal

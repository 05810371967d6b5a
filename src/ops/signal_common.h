// Shared by the signal operators DFT and STFT: a one-dimensional discrete Fourier transform
// of complex values in double.
#pragma once

#include <complex>
#include <vector>

namespace ledge::signal {

// Replaces x by its DFT, X[k] = sum_j x[j] e^(-2 pi i jk/n); with `inverse` by the inverse
// DFT, (1/n) sum_j x[j] e^(+2 pi i jk/n). Radix-2 FFT for powers of two, else the direct sum.
void dft(std::vector<std::complex<double>>& x, bool inverse);

}  // namespace ledge::signal

#pragma once
// Sums over a batch, one per feature: out(j) = sum over i of m(i, j), within
// gamma_rows sum |m(i, j)| of exact, in an order fixed by the shape.
//   fp32, fp64: the rows added in turn with the SIMD add kernel. A GEMM
//               against a column of ones would fill a whole register tile
//               (16 to 64 columns) for its one useful column.
//   the others: one GEMM (tn) against a column of ones, which grows to the
//               largest batch seen: mp sums each column exactly and rounds
//               once, the emulated formats accumulate as their GEMM policy says.

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

template <scalar_type T>
class column_sums {
public:
    using value = storage_t<T>;

    explicit column_sums(arithmetic<T>& a) : a_(a), one_(a.number("1")), zero_(a.zero()) {}

    // `out` holds m.cols() elements (a (1, cols) parameter row, say).
    void operator()(matrix_view<const value> m, std::span<value> out) {
        if constexpr (scalar_traits<T>::simd && !scalar_traits<T>::emulated) {
            if (m.rows() == 0) {
                a_.fill(out, zero_);
                return;
            }
            a_.copy(m.row(0), out);
            for (std::size_t i = 1; i < m.rows(); ++i) a_.add(m.row(i), out, out);
            return;
        }
        if (ones_.rows() < m.rows()) {
            ones_ = a_.matrix_of(m.rows(), 1);
            a_.fill(ones_.elements(), one_);
        }
        a_.gemm(gemm_layout::tn, one_, m, ones_.row_range(0, m.rows()), zero_,
                matrix_view<value>(out.data(), out.size(), 1));
    }

private:
    arithmetic<T>& a_;
    value one_, zero_;
    matrix<value> ones_;
};

}  // namespace gradlab::nn

#pragma once
// round_into (include/gradlab/nn/dataset.hpp), included only by the
// per-family instantiation files (engine_<family>.cpp).

#include "gradlab/nn/dataset.hpp"

namespace gradlab::nn {

template <scalar_type T>
matrix<storage_t<T>> round_into(const matrix<mp_float>& data, const arithmetic<T>& a) {
    auto rounded = a.matrix_of(data.rows(), data.cols());
    const auto from = data.elements();
    const auto to = rounded.elements();
    for (std::size_t e = 0; e < from.size(); ++e) a.assign(to[e], from[e].backend().data());
    return rounded;
}

}  // namespace gradlab::nn

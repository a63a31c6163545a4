#pragma once

#include <limits>
#include <stdexcept>
#include <string>

#include <mpfr.h>

#include "gradlab/nn/init.hpp"

namespace gradlab::nn {

namespace init_detail {

// Significand bits enough to hold x exactly.
template <class V>
mpfr_prec_t exact_bits(const V& x) {
    if constexpr (std::is_same_v<V, mp_float>) return mpfr_get_prec(x.backend().data());
    else return std::numeric_limits<V>::digits;
}

}  // namespace init_detail

template <scalar_type T>
std::vector<parameter_layout> parameter_layouts(const network<T>& net) {
    std::vector<parameter_layout> layout;
    for (const parameter<T>* p : net.parameters()) {
        parameter_layout& l = layout.emplace_back();
        l.name = p->name;
        l.role = p->role;
        l.rows = p->value.rows();
        l.cols = p->value.cols();
        l.fan_in = p->fan_in;
        l.fan_out = p->fan_out;
        l.next_activation = p->next_activation;
        if (p->role == parameter_role::slope) {
            mpfr_set_prec(l.slope.backend().data(), init_detail::exact_bits(p->value(0, 0)));
            arithmetic<T>::to_mpfr(p->value(0, 0), l.slope.backend().data());
        }
    }
    return layout;
}

template <scalar_type T>
void load_parameters(network<T>& net, const std::vector<matrix<mp_float>>& values) {
    const auto& parameters = net.parameters();
    if (values.size() != parameters.size())
        throw std::invalid_argument("load_parameters: " + std::to_string(values.size()) + " values for " +
                                    std::to_string(parameters.size()) + " parameters");
    for (std::size_t k = 0; k < values.size(); ++k) {
        auto& target = parameters[k]->value;
        if (values[k].rows() != target.rows() || values[k].cols() != target.cols())
            throw std::invalid_argument("load_parameters: values of shape " +
                                        gradlab::detail::shape_text(values[k].rows(), values[k].cols()) +
                                        " for parameter " + parameters[k]->name + " of shape " +
                                        gradlab::detail::shape_text(target.rows(), target.cols()));
        const auto from = values[k].elements();
        const auto to = target.elements();
        for (std::size_t e = 0; e < to.size(); ++e) net.arith().assign(to[e], from[e].backend().data());
    }
}

}  // namespace gradlab::nn

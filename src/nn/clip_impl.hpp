#pragma once

#include <span>

#include "gradlab/nn/clip.hpp"

namespace gradlab::nn {

template <scalar_type T>
gradient_clipper<T>::gradient_clipper(arithmetic<T>& a)
    : a_(a),
      norms_(a.matrix_of(0, 0)),
      epsilon_(a.number("1e-6")),
      one_(a.number("1")),
      minus_one_(a.number("-1")),
      total_(a.zero()),
      coefficient_(a.zero()),
      low_(a.zero()) {}

template <scalar_type T>
const typename gradient_clipper<T>::value& gradient_clipper<T>::clip_by_global_norm(
    const std::vector<parameter<T>*>& parameters, const value& max_norm) {
    const auto coefficient = std::span(&coefficient_, 1);
    const auto norms = rows_of(norms_, parameters.size(), 1, a_).elements();
    for (std::size_t i = 0; i < parameters.size(); ++i) a_.l2_norm(parameters[i]->gradient.elements(), norms[i]);
    a_.l2_norm(norms, total_);
    a_.add_scalar(std::span(&total_, 1), epsilon_, coefficient);
    a_.divide(std::span(&one_, 1), coefficient, coefficient);
    a_.multiply(coefficient, std::span(&max_norm, 1), coefficient);
    if (!(coefficient_ >= one_))  // NaN scales too, as torch's clamp(max=1) keeps it
        for (auto* p : parameters) a_.scale(coefficient_, p->gradient.elements(), p->gradient.elements());
    return total_;
}

template <scalar_type T>
void gradient_clipper<T>::clip_by_value(const std::vector<parameter<T>*>& parameters, const value& clip_value) {
    a_.scale(minus_one_, std::span(&clip_value, 1), std::span(&low_, 1));
    for (auto* p : parameters) a_.clamp(p->gradient.elements(), low_, clip_value, p->gradient.elements());
}

}  // namespace gradlab::nn

#pragma once

#include "gradlab/nn/schedule.hpp"

namespace gradlab::nn {

// 128 guard bits: see schedule.hpp for what they buy.
template <scalar_type T>
learning_rate_schedule<T>::learning_rate_schedule(const schedule_spec& spec, std::string_view base_learning_rate,
                                                  const arithmetic<T>& a)
    : a_(a), formula_(spec, base_learning_rate, a.significand_bits() + 128), rate_(a.zero()) {}

template <scalar_type T>
const typename learning_rate_schedule<T>::value& learning_rate_schedule<T>::at(std::size_t step) {
    a_.assign(rate_, formula_.at(step));
    return rate_;
}

}  // namespace gradlab::nn

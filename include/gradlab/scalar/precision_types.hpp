#pragma once
// The one list of precision types, which tests, benchmarks and the runner
// iterate instead of naming the types again:
//
//   for_each_type(precision_types{}, []<class T>() { ... scalar_traits<T> ... });
//
// Each type satisfies scalar_type (checked below, where a failure names it).

#include "gradlab/scalar/scalar_traits.hpp"

namespace gradlab {

template <class... Ts>
struct type_list {};

// Calls f.template operator()<T>() for each T of the list, in order.
template <class... Ts, class F>
constexpr void for_each_type(type_list<Ts...>, F&& f) {
    (f.template operator()<Ts>(), ...);
}

// One type per precision_family, in the enum's order.
using precision_types = type_list<float, double, float128, mp_float, emulated_float>;

namespace detail {

template <scalar_type... Ts>
constexpr bool all_scalar_types(type_list<Ts...>) {
    return true;
}

}  // namespace detail

static_assert(detail::all_scalar_types(precision_types{}));

}  // namespace gradlab

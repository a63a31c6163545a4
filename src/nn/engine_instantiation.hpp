#pragma once
// The engine's templates, instantiated for one precision type per
// translation unit (engine_fp32.cpp, ...): an edit to a layer recompiles five
// small files, and a build on 2 cores runs them in parallel.

#include "activation_layer_impl.hpp"
#include "arithmetic_impl.hpp"
#include "dense_impl.hpp"
#include "loss_impl.hpp"
#include "network_impl.hpp"
#include "optimizer_impl.hpp"

#define GRADLAB_INSTANTIATE_ENGINE(T)                                                                      \
    template class gradlab::nn::arithmetic<T>;                                                             \
    template class gradlab::nn::dense<T>;                                                                  \
    template class gradlab::nn::activation_layer<T>;                                                       \
    template class gradlab::nn::network<T>;                                                                \
    template std::unique_ptr<gradlab::nn::layer<T>> gradlab::nn::make_layer<T>(                            \
        const gradlab::nn::layer_spec&, std::size_t, gradlab::nn::arithmetic<T>&, gradlab::activation);    \
    template std::unique_ptr<gradlab::nn::loss_function<T>> gradlab::nn::make_loss<T>(                     \
        gradlab::nn::loss_kind, gradlab::nn::arithmetic<T>&);                                              \
    template std::unique_ptr<gradlab::nn::optimizer<T>> gradlab::nn::make_optimizer<T>(                   \
        const gradlab::nn::optimizer_spec&, gradlab::nn::arithmetic<T>&);

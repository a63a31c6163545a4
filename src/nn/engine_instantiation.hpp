#pragma once
// The engine's templates, instantiated for one precision type per
// translation unit (engine_fp32.cpp, ...): an edit to a layer recompiles five
// small files, and a build on 2 cores runs them in parallel.

#include "activation_layer_impl.hpp"
#include "affine_transform_impl.hpp"
#include "arithmetic_impl.hpp"
#include "batch_norm_impl.hpp"
#include "batches_impl.hpp"
#include "clip_impl.hpp"
#include "dataset_impl.hpp"
#include "dense_impl.hpp"
#include "init_impl.hpp"
#include "layer_norm_impl.hpp"
#include "loss_impl.hpp"
#include "loss_scaler_impl.hpp"
#include "network_impl.hpp"
#include "optimizer_impl.hpp"
#include "residual_impl.hpp"
#include "schedule_impl.hpp"
#include "trainer_impl.hpp"
#include "weight_update_impl.hpp"

#define GRADLAB_INSTANTIATE_ENGINE(T)                                                                      \
    template class gradlab::nn::arithmetic<T>;                                                             \
    template class gradlab::nn::dense<T>;                                                                  \
    template class gradlab::nn::activation_layer<T>;                                                       \
    template class gradlab::nn::affine_transform<T>;                                                       \
    template class gradlab::nn::batch_norm<T>;                                                             \
    template class gradlab::nn::layer_norm<T>;                                                             \
    template class gradlab::nn::residual<T>;                                                               \
    template class gradlab::nn::network<T>;                                                                \
    template class gradlab::nn::batcher<T>;                                                                \
    template gradlab::matrix<gradlab::nn::storage_t<T>> gradlab::nn::round_into<T>(                        \
        const gradlab::matrix<gradlab::mp_float>&, const gradlab::nn::arithmetic<T>&);                     \
    template class gradlab::nn::trainer<T>;                                                                \
    template class gradlab::nn::weight_update<T>;                                                          \
    template std::unique_ptr<gradlab::nn::layer<T>> gradlab::nn::make_layer<T>(                            \
        const gradlab::nn::layer_spec&, std::size_t, gradlab::nn::arithmetic<T>&, gradlab::activation);    \
    template std::unique_ptr<gradlab::nn::loss_function<T>> gradlab::nn::make_loss<T>(                     \
        gradlab::nn::loss_kind, gradlab::nn::arithmetic<T>&);                                              \
    template std::vector<gradlab::nn::parameter_layout> gradlab::nn::parameter_layouts<T>(                 \
        const gradlab::nn::network<T>&);                                                                   \
    template void gradlab::nn::load_parameters<T>(gradlab::nn::network<T>&,                                \
                                                  const std::vector<gradlab::matrix<gradlab::mp_float>>&); \
    template class gradlab::nn::gradient_clipper<T>;                                                       \
    template class gradlab::nn::loss_scaler<T>;                                                            \
    template class gradlab::nn::learning_rate_schedule<T>;                                                 \
    template std::unique_ptr<gradlab::nn::optimizer<T>> gradlab::nn::make_optimizer<T>(                   \
        const gradlab::nn::optimizer_spec&, gradlab::nn::arithmetic<T>&);

#pragma once
// One row of layers.csv: what a probe measured of one tensor of one layer at
// one step, in one lane.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gradlab/nn/layer.hpp"
#include "gradlab/probe/conditioning.hpp"
#include "gradlab/probe/error_metrics.hpp"
#include "gradlab/probe/tensor_statistics.hpp"

namespace gradlab::probe {

// pre_activation: the output of a dense, normalisation or residual layer;
// activation: the output of an activation layer; activation_gradient: dL/d
// (the layer's output); weight, weight_gradient, update: of each parameter
// (the update is the change the step made to it).
enum class tensor_kind { pre_activation, activation, activation_gradient, weight, weight_gradient, update };

std::string_view tensor_kind_name(tensor_kind kind);

struct layer_record {
    std::size_t layer = 0;
    std::string_view layer_kind;  // layer<T>::kind()
    tensor_kind tensor = tensor_kind::pre_activation;
    std::string parameter;  // weight, weight_gradient, update: "layers.0.weight"; else empty
    nn::parameter_role role = nn::parameter_role::weight;  // of the parameter, when there is one
    // Gradients under loss scaling: norms and extremes of the unscaled values
    // (divided by the scale), the census of the values as held.
    tensor_statistics statistics;
    std::optional<conditioning> spectrum;             // weights, every conditioning_interval steps
    std::optional<error_metrics> drift, local_error;  // against the reference, when measured
};

}  // namespace gradlab::probe

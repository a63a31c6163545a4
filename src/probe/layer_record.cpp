#include "gradlab/probe/layer_record.hpp"

namespace gradlab::probe {

std::string_view tensor_kind_name(tensor_kind kind) {
    switch (kind) {
        case tensor_kind::pre_activation: return "pre_activation";
        case tensor_kind::activation: return "activation";
        case tensor_kind::activation_gradient: return "activation_gradient";
        case tensor_kind::weight: return "weight";
        case tensor_kind::weight_gradient: return "weight_gradient";
        case tensor_kind::update: return "update";
    }
    return "?";
}

}  // namespace gradlab::probe

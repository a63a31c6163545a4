#pragma once
// Names in study files that have no name functions elsewhere (parsed with
// the message style of nn's parse functions), shared by reader and writer.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gradlab/experiment/study.hpp"
#include "gradlab/nn/weight_update.hpp"

namespace gradlab::io::detail {

inline constexpr experiment::data_kind data_kinds[] = {
    experiment::data_kind::teacher_student, experiment::data_kind::gaussian_blobs,
    experiment::data_kind::two_spirals, experiment::data_kind::npy};
inline constexpr experiment::nonfinite_policy nonfinite_policies[] = {
    experiment::nonfinite_policy::continue_training, experiment::nonfinite_policy::stop_lane,
    experiment::nonfinite_policy::stop_run};
inline constexpr nn::clipping_kind clipping_kinds[] = {nn::clipping_kind::none, nn::clipping_kind::global_norm,
                                                       nn::clipping_kind::value};

inline std::string_view clipping_name(nn::clipping_kind kind) {
    switch (kind) {
        case nn::clipping_kind::none: return "none";
        case nn::clipping_kind::global_norm: return "global_norm";
        case nn::clipping_kind::value: return "value";
    }
    return "unknown";
}

// The functions with a parameter: leaky_relu's and prelu's slope, elu's alpha.
inline bool takes_parameter(activation_kind kind) {
    return kind == activation_kind::leaky_relu || kind == activation_kind::prelu || kind == activation_kind::elu;
}

// The value among `values` whose name is `text`; std::invalid_argument
// naming `what` and listing the valid names otherwise.
template <class E, std::size_t N, class Name>
E parse_enum(std::string_view text, const E (&values)[N], Name name, std::string_view what) {
    std::string valid;
    for (E v : values) {
        if (name(v) == text) return v;
        valid += (valid.empty() ? "" : ", ") + std::string(name(v));
    }
    throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) + "'; valid: " + valid);
}

}  // namespace gradlab::io::detail

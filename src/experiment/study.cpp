#include "gradlab/experiment/study.hpp"

namespace gradlab::experiment {

std::string_view data_kind_name(data_kind kind) {
    switch (kind) {
        case data_kind::teacher_student: return "teacher_student";
        case data_kind::gaussian_blobs: return "gaussian_blobs";
        case data_kind::two_spirals: return "two_spirals";
        case data_kind::npy: return "npy";
    }
    return "unknown";
}

std::string_view nonfinite_policy_name(nonfinite_policy policy) {
    switch (policy) {
        case nonfinite_policy::continue_training: return "continue";
        case nonfinite_policy::stop_lane: return "stop_lane";
        case nonfinite_policy::stop_run: return "stop_run";
    }
    return "unknown";
}

}  // namespace gradlab::experiment

#pragma once
// make_lane's per-family constructors, instantiated in lane_<family>.cpp.

#include <memory>

#include "gradlab/experiment/lane.hpp"

namespace gradlab::experiment {

using lane_factory = std::unique_ptr<lane> (*)(const study&, const study_variant&, const precision&,
                                               const variant_data&);

template <scalar_type T>
std::unique_ptr<lane> make_lane_in(const study& s, const study_variant& variant, const precision& spec,
                                   const variant_data& data);

}  // namespace gradlab::experiment

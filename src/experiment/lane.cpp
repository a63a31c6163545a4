#include "gradlab/experiment/lane.hpp"

#include "lane_factory.hpp"

namespace gradlab::experiment {

std::unique_ptr<lane> make_lane(const study& s, const study_variant& variant, const precision& spec,
                                const variant_data& data) {
    switch (spec.family) {
        case precision_family::fp32: return make_lane_in<float>(s, variant, spec, data);
        case precision_family::fp64: return make_lane_in<double>(s, variant, spec, data);
        case precision_family::f128: return make_lane_in<float128>(s, variant, spec, data);
        case precision_family::mp: return make_lane_in<mp_float>(s, variant, spec, data);
        case precision_family::emulated: return make_lane_in<emulated_float>(s, variant, spec, data);
    }
    throw std::logic_error("make_lane: unknown precision family");
}

}  // namespace gradlab::experiment

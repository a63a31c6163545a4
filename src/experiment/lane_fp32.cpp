#include "lane_impl.hpp"

template class gradlab::probe::lane_probe<float>;
template std::unique_ptr<gradlab::experiment::lane> gradlab::experiment::make_lane_in<float>(
    const gradlab::experiment::study&, const gradlab::experiment::study_variant&, const gradlab::precision&,
    const gradlab::experiment::variant_data&);

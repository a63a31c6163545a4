#include "lane_impl.hpp"

template class gradlab::probe::lane_probe<gradlab::float128>;
template std::unique_ptr<gradlab::experiment::lane> gradlab::experiment::make_lane_in<gradlab::float128>(
    const gradlab::experiment::study&, const gradlab::experiment::study_variant&, const gradlab::precision&,
    const gradlab::experiment::variant_data&);

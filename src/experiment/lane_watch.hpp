#pragma once
// What the runner watches in each lane over a run: the events of
// events.jsonl (each reported once per lane, except loss-scale changes and
// the spread of non-finite values, once per tensor) and the figures of
// summary.json.

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/experiment/lane.hpp"
#include "run_tables.hpp"

namespace gradlab::experiment {

class lane_watch {
public:
    // initial_scale: the loss scale before the first step, for lanes with loss scaling.
    lane_watch(const event_thresholds& thresholds, std::optional<long double> initial_scale)
        : thresholds_(thresholds), last_scale_(initial_scale) {}

    // The figures of steps.csv from the lane's step (records included), and
    // the events the step raised, appended to `events`.
    step_figures observe(std::size_t step, std::size_t epoch, lane& l, const std::optional<long double>& reference_loss,
                         std::vector<nlohmann::json>& events);

    nlohmann::json summary(const lane& l) const;
    // The cells of the lane's row in the terminal summary (summary_headings).
    std::vector<std::string> summary_cells(const lane& l) const;
    static std::vector<std::string> summary_headings() {
        return {"variant", "precision", "final loss", "first NaN/Inf", "min grad norm", "max grad norm",
                "max drift ulp", "max local ulp"};
    }

private:
    nlohmann::json event(const char* kind, std::size_t step, const lane& l) const;

    event_thresholds thresholds_;
    std::optional<long double> last_scale_;
    bool vanishing_ = false, exploding_ = false, underflow_ = false, diverged_ = false, origin_ = false;
    std::optional<long double> first_loss_;
    std::set<std::tuple<std::size_t, int, std::string>> spread_;
    std::optional<long double> smallest_gradient_norm_, largest_gradient_norm_;
    std::optional<long double> largest_drift_ulp_, largest_local_ulp_;
    std::optional<std::size_t> first_nonfinite_step_;
};

}  // namespace gradlab::experiment

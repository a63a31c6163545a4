#include "gradlab/nn/optimizer.hpp"

#include "name_table.hpp"

namespace gradlab::nn {

namespace {

constexpr std::pair<optimizer_kind, std::string_view> optimizer_names[] = {
    {optimizer_kind::sgd, "sgd"},
    {optimizer_kind::adam, "adam"},
    {optimizer_kind::adamw, "adamw"},
    {optimizer_kind::rmsprop, "rmsprop"},
};

}  // namespace

std::string_view optimizer_name(optimizer_kind kind) { return detail::name_in(optimizer_names, kind); }
optimizer_kind parse_optimizer_kind(std::string_view name) {
    return detail::parse_name_in(optimizer_names, name, "optimizer");
}

}  // namespace gradlab::nn

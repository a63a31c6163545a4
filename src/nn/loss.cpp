#include "gradlab/nn/loss.hpp"

#include "name_table.hpp"

namespace gradlab::nn {

namespace {

constexpr std::pair<loss_kind, std::string_view> loss_names[] = {
    {loss_kind::mse, "mse"},
    {loss_kind::softmax_cross_entropy, "softmax_cross_entropy"},
    {loss_kind::bce_with_logits, "bce_with_logits"},
};

}  // namespace

std::string_view loss_name(loss_kind kind) { return detail::name_in(loss_names, kind); }
loss_kind parse_loss_kind(std::string_view name) { return detail::parse_name_in(loss_names, name, "loss"); }

}  // namespace gradlab::nn

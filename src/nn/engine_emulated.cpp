#include "engine_instantiation.hpp"

GRADLAB_INSTANTIATE_ENGINE(gradlab::emulated_float)

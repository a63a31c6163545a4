#include "engine_instantiation.hpp"

GRADLAB_INSTANTIATE_ENGINE(gradlab::mp_float)

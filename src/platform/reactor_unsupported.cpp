#include "platform/reactor.hpp"

namespace zsyncctl::platform {

// An OS without a reactor implementation yet: doctor reports that none is available.
ReactorFacts probe_reactor() {
    ReactorFacts facts;
    facts.name = "none";
    return facts;
}

} // namespace zsyncctl::platform

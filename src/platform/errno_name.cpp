#include <cerrno>
#include <string>

#include "platform/io_uring_probe.hpp"

namespace zsyncctl::platform {

std::string errno_name(int error_number) {
    switch (error_number) {
    case EPERM:
        return "EPERM";
    case ENOSYS:
        return "ENOSYS";
    case ENOMEM:
        return "ENOMEM";
    case EINVAL:
        return "EINVAL";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case EACCES:
        return "EACCES";
    case EMFILE:
        return "EMFILE";
    case ENFILE:
        return "ENFILE";
    case EFAULT:
        return "EFAULT";
    case EBUSY:
        return "EBUSY";
    case EAGAIN:
        return "EAGAIN";
    case EINTR:
        return "EINTR";
    case ETIME:
        return "ETIME";
    default:
        return "errno " + std::to_string(error_number);
    }
}

} // namespace zsyncctl::platform

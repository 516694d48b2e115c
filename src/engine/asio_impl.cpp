// Asio, compiled once for the whole library (BOOST_ASIO_SEPARATE_COMPILATION is set on the
// meshorch_engine target and inherited by every part that links it).
#include <boost/asio/impl/src.hpp>

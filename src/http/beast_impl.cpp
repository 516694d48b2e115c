// Beast and Asio's SSL support, compiled once for the whole library
// (BOOST_BEAST_SEPARATE_COMPILATION is a public definition of meshorch_http; Asio itself is
// compiled in src/engine/asio_impl.cpp).
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

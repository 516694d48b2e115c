// Internal: EtcdOptions checked, and turned into the etcd client's options.
#pragma once

#include "store/etcd_client.hpp"

#include <meshorch/etcd_store.hpp>

namespace meshorch::store_detail {

// Errc::invalid_argument naming the option that is wrong.
Status check_options(const EtcdOptions& options);

EtcdClientOptions client_options(const EtcdOptions& options);

// The client for `options`, after check_options.
Result<std::shared_ptr<EtcdClient>> make_etcd_client(const EtcdOptions& options);

}  // namespace meshorch::store_detail

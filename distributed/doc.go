// Package distributed is the cluster mechanics of golocust's master/worker
// mode: the wire protocol (typed messages, [Encode] and [Decode]), the
// master's server ([Master]: authentication, worker registry with stable
// indexes, heartbeats, rebalancing, exactly-once statistics reports,
// custom messages) and the worker's client ([Worker]: reconnection with
// backoff, re-sent reports, heartbeats that never wait behind users, load
// stopped when the master is lost).
//
// The package knows nothing of users or statistics: a worker drives a
// [Load], and statistics travel as opaque bytes that the runner encodes
// and the master's MasterConfig.OnReport decodes. Most programs never use
// it directly: locust.Run's --master, --worker and --processes options,
// or locust.NewMasterRunner and locust.NewWorkerRunner, build on it. The
// protocol is documented in PROTOCOL.md next to this file.
package distributed

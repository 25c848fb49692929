/** A free loopback port for a test's server (the cluster picks its ports the same way). */
export { freePort } from '../../temporal/cluster/ports';

#!/bin/sh
# A test-cluster node. `head`: the Ray head (no engine, no episodes). `worker`: its own
# Docker engine (restarted when it stops, so a test can restart it) and a Ray worker
# (restarted when it exits: after a partition the head has declared it dead).
# Settings come from the environment that `swe-env cluster up` sets:
#   SWE_ENV_HEAD (head host), SWE_ENV_STORAGE_DRIVER, SWE_ENV_NODE_CPUS, SWE_ENV_MTU.
set -u
role=${1:-worker}
ip=$(hostname -i | awk '{print $1}')
if [ "$role" = head ]; then
  exec ray start --head --node-ip-address="$ip" --port=6379 --ray-client-server-port=10001 \
    --num-cpus=0 --include-dashboard=false --disable-usage-stats --block
fi
(
  while true; do
    rm -f /var/run/docker.pid
    dockerd --host=unix:///var/run/docker.sock --host="tcp://$ip:2375" \
      --storage-driver="${SWE_ENV_STORAGE_DRIVER:-overlay2}" --mtu="${SWE_ENV_MTU:-1400}" \
      --tls=false >>/var/log/dockerd.log 2>&1
    echo "dockerd exited ($?); restarting" >>/var/log/dockerd.log
    sleep 1
  done
) &
while true; do
  ray start --address="${SWE_ENV_HEAD}:6379" --node-ip-address="$ip" \
    --num-cpus="${SWE_ENV_NODE_CPUS:-2}" --resources='{"swe_env": 1}' \
    --disable-usage-stats --block >>/var/log/ray-node.log 2>&1
  echo "ray exited ($?); rejoining" >>/var/log/ray-node.log
  ray stop --force >/dev/null 2>&1
  sleep 2
done

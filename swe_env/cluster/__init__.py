"""A multi-node test cluster on one machine: a Ray head and worker nodes as privileged
containers on a private network, each worker with its own Docker engine (see
:mod:`swe_env.cluster.local`). Imports no runner: the runner finds the cluster by address."""
